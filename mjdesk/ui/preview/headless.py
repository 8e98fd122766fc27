"""What QtWebEngine needs to run without a screen (the self-test, ``mjdesk preview --png``, the
tests): Qt-free, so it can run before any Qt module is loaded."""

from __future__ import annotations

import os
import sys


def prepare_environment(environ: dict[str, str] | os._Environ[str] = os.environ) -> list[str]:
    """What QtWebEngine needs to run headless, set for this process only; returns what was set.

    Without a display on Linux the offscreen platform is used; offscreen Chromium needs
    ``--disable-gpu``, and as root its sandbox must be off. A normal run of mjdesk sets
    none of these.
    """
    done: list[str] = []
    display = environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY")
    if sys.platform.startswith("linux") and not environ.get("QT_QPA_PLATFORM") and not display:
        environ["QT_QPA_PLATFORM"] = "offscreen"
        done.append("QT_QPA_PLATFORM=offscreen")
    if environ.get("QT_QPA_PLATFORM") == "offscreen":
        flags = environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "").split()
        wanted = [flag for flag in ("--disable-gpu", "--log-level=3") if flag not in flags]
        if wanted:  # (no GPU; and Chromium's own complaints about it kept off the console)
            environ["QTWEBENGINE_CHROMIUM_FLAGS"] = " ".join([*flags, *wanted])
            done.extend(wanted)
        if not environ.get("QT_QUICK_BACKEND"):
            # the view composites through Qt Quick; without a GPU it draws in software
            environ["QT_QUICK_BACKEND"] = "software"
            done.append("QT_QUICK_BACKEND=software")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        environ["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
        done.append("QTWEBENGINE_DISABLE_SANDBOX=1 (running as root)")
    return done
