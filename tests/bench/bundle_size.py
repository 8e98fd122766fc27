"""How big the PyInstaller bundle is, what takes the room, and how fast it starts.

    .venv/bin/python tests/bench/bundle_size.py dist/mjdesk [--top 20] [--budget-mb 420]
        [--start-time [--runs 3]]

``make dist`` runs it after building. The per-library breakdown groups files by what
brought them (one Qt library, Qt's plugins of one kind, one Python package, one system
library), so a regression shows up as a line that grew. ``--start-time`` measures how long
``mjdesk --exit-when-ready`` takes to reach its main window, frozen and from the venv
(offscreen, each on a fresh temporary data dir; best of ``--runs`` after one warm-up run).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path, PurePath

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024
_LIB_SUFFIX = re.compile(r"(\.so(\.\d+)*|\.dll|\.dylib|\.pyd)$", re.I)
_CONTENT_ROOTS = ("_internal", "Frameworks", "Resources", "MacOS")


def _library(name: str) -> str:
    """``libQt6WebEngineCore.so.6`` -> ``Qt6WebEngineCore``; ``Qt6Gui.dll`` -> ``Qt6Gui``."""
    stem = _LIB_SUFFIX.sub("", name)
    return stem.removeprefix("lib") if stem.startswith("lib") else stem


def group_of(rel: PurePath) -> str:
    """What brought a file into the bundle, from its path inside it."""
    parts = list(rel.parts)
    for marker in _CONTENT_ROOTS:  # _internal/ (onedir) or Contents/Frameworks/ (.app)
        if marker in parts[:3]:
            parts = parts[parts.index(marker) + 1 :]
            break
    if not parts:
        return "(other)"
    name = parts[-1]
    if parts[0] == "PySide6":
        inner = parts[1:]
        if "plugins" in inner:
            kind = (
                inner[inner.index("plugins") + 1] if len(inner) > inner.index("plugins") + 1 else ""
            )
            return f"Qt plugins: {kind}"
        frameworks = [p for p in inner if p.endswith(".framework")]
        if frameworks:
            return frameworks[0].removesuffix(".framework")
        if "resources" in inner or name.endswith((".pak", ".dat", ".bin")):
            return "QtWebEngine resources"
        if "translations" in inner:
            return "Qt translations (incl. Chromium en-US)"
        if name.startswith("QtWebEngineProcess"):
            return "QtWebEngineProcess"
        if name.startswith("Qt") and name.endswith((".abi3.so", ".pyd")):
            return "PySide6 bindings"
        if _LIB_SUFFIX.search(name) and ("lib" in inner or len(inner) == 1):
            return _library(name)
        return "PySide6 (other)"
    if parts[0].endswith((".dist-info", ".egg-info")):
        return "package metadata"
    if len(parts) == 1:
        return _library(name) if _LIB_SUFFIX.search(name) else name
    if parts[0].startswith("python3") or parts[0] in {"lib-dynload", "DLLs"}:
        return "Python stdlib extensions"
    return parts[0]


def sizes(bundle: Path) -> Counter[str]:
    """Bytes per group; symbolic links count nothing (their targets are counted once)."""
    total: Counter[str] = Counter()
    for dirpath, _dirs, files in os.walk(bundle):
        for file in files:
            path = Path(dirpath, file)
            if path.is_symlink():
                continue
            total[group_of(path.relative_to(bundle))] += path.stat().st_size
    return total


def executable(bundle: Path) -> Path:
    for candidate in ("mjdesk", "mjdesk.exe", "Contents/MacOS/mjdesk"):
        if (bundle / candidate).is_file():
            return bundle / candidate
    raise SystemExit(f"no mjdesk executable in {bundle}")


def time_start(command: list[str], runs: int) -> float:
    """Best wall time, in seconds, for ``command --exit-when-ready`` after one warm-up run."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    best = float("inf")
    for attempt in range(runs + 1):
        with tempfile.TemporaryDirectory(prefix="mjdesk-start-") as data:
            started = time.perf_counter()
            done = subprocess.run(
                [*command, "--data-dir", data, "--exit-when-ready"],
                capture_output=True,
                text=True,
                env=env,
                timeout=120,
                check=False,
            )
            took = time.perf_counter() - started
        if done.returncode != 0 or "main window ready" not in done.stdout:
            raise SystemExit(f"{command[0]} did not start:\n{done.stdout}\n{done.stderr}")
        if attempt:  # the first run only warms the disk cache
            best = min(best, took)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle", type=Path, nargs="?", default=ROOT / "dist" / "mjdesk")
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--budget-mb", type=float, default=None)
    parser.add_argument("--start-time", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    total = sizes(args.bundle)
    size = sum(total.values())
    print(f"bundle: {args.bundle} {size / MB:.1f} MB in {len(total)} groups")
    print(f"top {args.top} by size:")
    for group, count in total.most_common(args.top):
        print(f"  {count / MB:8.1f} MB  {100 * count / size:5.1f}%  {group}")
    rest = size - sum(count for _g, count in total.most_common(args.top))
    print(f"  {rest / MB:8.1f} MB  {100 * rest / size:5.1f}%  (everything else)")
    over = args.budget_mb is not None and size / MB > args.budget_mb
    if args.budget_mb is not None:
        verdict = "OVER" if over else "within"
        print(f"size budget: {size / MB:.1f} MB, {verdict} {args.budget_mb:g} MB")

    if args.start_time:
        frozen = time_start([str(executable(args.bundle))], args.runs)
        venv = time_start([sys.executable, "-m", "mjdesk"], args.runs)
        ratio = frozen / venv
        print(
            f"start to main window (offscreen, best of {args.runs}): frozen {frozen:.2f} s, "
            f"venv {venv:.2f} s, ratio {ratio:.2f}x (target <= 1.5x)"
        )
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
