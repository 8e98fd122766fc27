"""What the About box tells: the build date and the third-party notices (no Qt here)."""

from __future__ import annotations

import sys
from pathlib import Path

from mjdesk.core.paths import resources_dir

#: written into the bundle's top folder by build.spec when it builds
BUILD_DATE_FILE = "build-date.txt"
#: the licence notices of the bundled libraries, under ``resources/`` (the installer shows it)
NOTICES_FILE = "NOTICES.txt"
FROM_SOURCE = "from source"


def build_date() -> str:
    """When the running bundle was built, or ``FROM_SOURCE`` when mjdesk is not frozen."""
    bundle = getattr(sys, "_MEIPASS", None)
    if not bundle:
        return FROM_SOURCE
    try:
        return (Path(bundle) / BUILD_DATE_FILE).read_text(encoding="utf-8").strip() or "unknown"
    except OSError:
        return "unknown"


def notices_text() -> str:
    """The third-party notices, or a line saying where they should have been."""
    path = resources_dir() / NOTICES_FILE
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return f"The third-party notices are missing: {path} could not be read."
