"""Qt stays out of everything but the ui package: import every other module without it."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import mjdesk

NOT_UI = sorted(
    info.name
    for info in pkgutil.walk_packages(mjdesk.__path__, "mjdesk.")
    if not info.name.startswith("mjdesk.ui") and info.name not in ("mjdesk.__main__",)
)

BLOCK_QT = """
import importlib, sys

class NoQt:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "shiboken6"):
            raise ImportError(f"{name} imported outside mjdesk.ui")
        return None

sys.meta_path.insert(0, NoQt())
for name in sys.argv[1:]:
    importlib.import_module(name)
leaked = [m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "mjdesk.ui")]
assert not leaked, leaked
print(len(sys.argv) - 1)
"""


def test_every_non_ui_module_imports_without_qt() -> None:
    assert "mjdesk.core.workspace" in NOT_UI
    assert "mjdesk.app" in NOT_UI  # the bootstrap imports Qt only inside run_gui()
    done = subprocess.run(
        [sys.executable, "-c", BLOCK_QT, *NOT_UI], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(len(NOT_UI))


def test_version_answers_without_starting_qt() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mjdesk", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == f"mjdesk {mjdesk.__version__}"
    assert "PySide6" not in done.stderr
