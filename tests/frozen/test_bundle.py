"""The PyInstaller bundle: build it (or reuse an up-to-date one) and run its self-test.

A module, plugin or data file that PyInstaller leaves out only shows in the frozen app, so
``make test`` builds ``dist/mjdesk`` from build.spec and runs ``mjdesk --self-test`` in it.
The build is reused while build.spec, the package, its resources and the installed
PySide6/PyInstaller are unchanged (a clean clone, as in CI, always builds).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from support import inno

pytestmark = pytest.mark.frozen

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist" / "mjdesk"
EXE = DIST / ("mjdesk.exe" if sys.platform == "win32" else "mjdesk")
DIGEST_FILE = ROOT / "build" / "frozen-test-inputs.sha256"
BUILD_TIMEOUT_S = 1200
#: MiB, as du -sh counts them; the Linux one-folder build with QtWebEngine (issue #5)
SIZE_BUDGET_MB = 420

CHECKS = ("imports", "resources", "certificates", "main window", "import", "preview", "keyring")


def _inputs_digest() -> str:
    """A hash of everything the bundle is built from."""
    digest = hashlib.sha256()
    files = [ROOT / "build.spec", ROOT / "pyproject.toml"]
    for folder in (ROOT / "mjdesk", ROOT / "resources"):
        files += [p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    for path in sorted(files):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    for package in ("pyinstaller", "pyside6", "pandas", "keyring"):
        digest.update(f"{package}={version(package)}".encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


@pytest.fixture(scope="session")
def bundle() -> Path:
    """``dist/mjdesk``, built now unless an up-to-date build is there."""
    pytest.importorskip("PyInstaller", reason="the build extra is not installed (make test)")
    wanted = _inputs_digest()
    if EXE.is_file() and DIGEST_FILE.is_file() and DIGEST_FILE.read_text() == wanted:
        return DIST
    DIGEST_FILE.unlink(missing_ok=True)
    built = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN", "build.spec"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    assert built.returncode == 0, (
        f"PyInstaller failed:\n{built.stdout[-5000:]}\n{built.stderr[-5000:]}"
    )
    assert EXE.is_file(), f"PyInstaller made no {EXE}"
    DIGEST_FILE.parent.mkdir(parents=True, exist_ok=True)
    DIGEST_FILE.write_text(wanted)
    return DIST


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Offscreen, with the user's XDG folders moved aside so a stray write would show."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **extra}
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        folder = tmp_path / "home" / name.lower()
        folder.mkdir(parents=True, exist_ok=True)
        env[name] = str(folder)
    return env


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=300, check=False
    )


def _lines(output: str) -> dict[str, str]:
    """Check name -> its report line, for the ``ok:``/``FAIL:`` lines."""
    found = {}
    for line in output.splitlines():
        verdict, _, rest = line.partition(": ")
        if verdict in ("ok", "FAIL"):
            found[rest.partition(":")[0]] = line
    return found


def test_the_frozen_self_test_passes(bundle: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    done = _run([str(EXE), "--self-test", str(report)], _env(tmp_path))
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr[-3000:]}"
    lines = _lines(done.stdout)
    assert sorted(lines) == sorted(CHECKS), done.stdout
    assert all(line.startswith("ok: ") for line in lines.values()), done.stdout
    assert "sample-contacts.xlsx: 10 of 12 rows imported" in lines["import"]
    assert "the contacts table shows 10" in lines["import"]
    assert "rendered in QtWebEngine (title 'mjdesk sample mailing'" in lines["preview"]
    assert "all 7 checks passed" in done.stdout
    assert report.read_text(encoding="utf-8").splitlines() == done.stdout.splitlines()
    # the user's folders were not touched (everything went to a temporary dir)
    touched = [p for p in (tmp_path / "home").rglob("*") if "mjdesk" in p.name]
    assert not touched, touched


def test_a_module_left_out_of_the_bundle_fails_by_name(bundle: Path, tmp_path: Path) -> None:
    # pytest is installed here but excluded from the bundle: a "missing hidden import"
    env = _env(tmp_path, MJDESK_SELF_TEST_EXTRA_IMPORTS="pytest")
    done = _run([str(EXE), "--self-test"], env)
    assert done.returncode == 1
    assert "FAIL: imports: missing module 'pytest'" in done.stdout
    assert "1 of 7 checks FAILED" in done.stdout


def test_the_frozen_app_reaches_its_main_window(bundle: Path, tmp_path: Path) -> None:
    done = _run(
        [str(EXE), "--data-dir", str(tmp_path / "data"), "--exit-when-ready"], _env(tmp_path)
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "mjdesk: main window ready (0 contacts)" in done.stdout


def test_the_bundle_is_slim(bundle: Path) -> None:
    internal = bundle / "_internal"
    files = [p for p in internal.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert not [p for p in files if p.suffix == ".pyi"]
    assert not [p for p in files if "tests" in p.relative_to(internal).parts]
    locales = {p.name for p in files if p.parent.name == "qtwebengine_locales"}
    assert locales == {"en-US.pak"}
    for unused in (
        "Qt6Quick3D",
        "Qt6Multimedia",
        "Qt6Pdf",
        "Qt6VirtualKeyboard",
        "gtk-3",
    ):
        assert not [n for n in names if unused in n], unused
    assert [n for n in names if "Qt6Charts" in n]  # (the Statistics page's charts)
    assert not (internal / "PySide6" / "Qt" / "qml").exists()


def test_the_bundle_holds_what_the_about_box_and_the_installer_read(bundle: Path) -> None:
    internal = bundle / "_internal"
    assert "LGPL-3.0-only" in (internal / "resources" / "NOTICES.txt").read_text(encoding="utf-8")
    built = (internal / "build-date.txt").read_text(encoding="utf-8").strip()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", built), built
    assert not (internal / "resources" / "windows").exists()  # the installer script stays out
    # every file the Windows installer script takes from the bundle is in this build
    # (the exe has no .exe suffix off Windows)
    names = [
        n.removesuffix(".exe") + EXE.suffix if n.endswith(".exe") else n
        for n in inno.bundle_names()
    ]
    assert [name for name in names if not (bundle / name).exists()] == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the budget is for Linux")
def test_the_bundle_is_within_its_size_budget(bundle: Path) -> None:
    script = ROOT / "tests" / "bench" / "bundle_size.py"
    spec = importlib.util.spec_from_file_location("bundle_size", script)
    assert spec is not None
    assert spec.loader is not None
    bundle_size = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bundle_size)
    groups = bundle_size.sizes(bundle)
    total = sum(groups.values()) / bundle_size.MB
    top = ", ".join(f"{g} {n / bundle_size.MB:.0f}" for g, n in groups.most_common(8))
    assert total <= SIZE_BUDGET_MB, f"{total:.1f} MB > {SIZE_BUDGET_MB} MB; largest: {top}"


@pytest.mark.keyring
@pytest.mark.skipif(
    not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
    reason="needs dbus-run-session and gnome-keyring-daemon",
)
def test_the_frozen_app_stores_a_secret_in_secret_service(bundle: Path, tmp_path: Path) -> None:
    # A private session bus with an unlocked keyring; both end with the command.
    script = (
        "echo -n mjdesk-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null"
        ' && exec "$0" --self-test'
    )
    env = _env(tmp_path, HOME=str(tmp_path / "home"))
    done = _run(["dbus-run-session", "--", "sh", "-c", script, str(EXE)], env)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr[-3000:]}"
    line = _lines(done.stdout)["keyring"]
    assert "backend SecretService Keyring; stored, read back and deleted" in line, line
