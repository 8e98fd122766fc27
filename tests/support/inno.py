"""Reading resources/windows/mjdesk.iss (the Windows installer script) for the tests: the
files it names in the PyInstaller bundle, to compare with the bundle build.spec makes."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath, PureWindowsPath

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "resources" / "windows" / "mjdesk.iss"
SPEC = ROOT / "build.spec"
#: where PyInstaller (6 and later) puts everything but the exe, as build.spec leaves it
CONTENTS = "_internal"


def lines(script: Path = SCRIPT) -> list[str]:
    """The script's lines without comments (Inno's ``;`` and the preprocessor's ``//``)."""
    kept = []
    for line in script.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith((";", "//")):
            kept.append(stripped)
    return kept


def defines(script: Path = SCRIPT) -> dict[str, str]:
    return dict(re.findall(r'^#define\s+(\w+)\s+"([^"]*)"', "\n".join(lines(script)), re.M))


def setup(script: Path = SCRIPT) -> dict[str, str]:
    """The ``[Setup]`` directives (those inside ``#ifdef`` too)."""
    found: dict[str, str] = {}
    section = ""
    for line in lines(script):
        if line.startswith("["):
            section = line
        elif section == "[Setup]" and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            found[key.strip()] = value.strip()
    return found


def file_sources(script: Path = SCRIPT) -> list[str]:
    """The ``Source:`` of each ``[Files]`` entry."""
    return re.findall(r'^Source:\s*"([^"]+)"', "\n".join(lines(script)), re.M)


def app_files(script: Path = SCRIPT) -> list[str]:
    """Every installed file the script points at as ``{app}\\...`` (icons, uninstaller, run)."""
    return sorted(set(re.findall(r"\{app\}\\([^\";\n]+)", "\n".join(lines(script)))))


def in_bundle(name: str, script: Path = SCRIPT) -> str | None:
    """``{#BundleDir}\\a\\b`` as ``a/b`` relative to the bundle; None if outside it."""
    prefix = "{#BundleDir}"
    if not name.startswith(prefix):
        return None
    return str(PurePosixPath(*PureWindowsPath(name[len(prefix) :].lstrip("\\")).parts))


def bundle_names(script: Path = SCRIPT) -> list[str]:
    """Every file or folder of the bundle the script names (``{#BundleDir}\\...`` in
    ``[Setup]`` and ``[Files]``, ``{app}\\...`` anywhere), relative to the bundle."""
    named = set(app_files(script))
    for value in [*file_sources(script), *setup(script).values()]:
        name = in_bundle(value)
        if name is not None and name != "*":
            named.add(name)
    return sorted(named)


def resolve(relative: str, script: Path = SCRIPT) -> Path:
    """A path in the script (relative to its folder, Windows style) on this machine."""
    return (script.parent / PurePosixPath(*PureWindowsPath(relative).parts)).resolve()


def spec_bundle() -> tuple[str, str]:
    """The bundle folder's and the exe's names, as build.spec gives them to PyInstaller."""
    text = SPEC.read_text(encoding="utf-8")
    collected = re.search(r'COLLECT\([^)]*name="([^"]+)"', text, re.S)
    exe = re.search(r'EXE\([^)]*?name="([^"]+)"', text, re.S)
    assert collected, "build.spec names no COLLECT"
    assert exe, "build.spec names no EXE"
    assert "contents_directory" not in text, f"build.spec moves {CONTENTS}: update the tests"
    return collected.group(1), exe.group(1)


def spec_layout() -> set[str]:
    """What build.spec puts in the Windows bundle that the installer may name: the exe, the
    resources (as build.spec filters them), the build date and their folders, relative to
    the bundle."""
    _folder, exe = spec_bundle()
    text = SPEC.read_text(encoding="utf-8")
    skipped = re.search(r"path\.suffix not in (\{[^}]*\})", text)
    build_date = re.search(r'^BUILD_DATE_NAME = "([^"]+)"', text, re.M)
    assert skipped, "build.spec's resource filter moved"
    assert build_date, "build.spec's BUILD_DATE_NAME moved"
    suffixes = set(re.findall(r'"(\.\w+)"', skipped.group(1)))
    layout = {f"{exe}.exe", f"{CONTENTS}/{build_date.group(1)}"}
    for path in (ROOT / "resources").rglob("*"):
        if path.is_file() and path.suffix not in suffixes and "__pycache__" not in path.parts:
            layout.add(f"{CONTENTS}/resources/{path.relative_to(ROOT / 'resources').as_posix()}")
    return layout | {str(parent) for name in layout for parent in PurePosixPath(name).parents}
