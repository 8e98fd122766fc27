"""Qt stays out of everything but the ui package: every other module is imported in a clean
interpreter, and neither PySide6, shiboken6 nor mjdesk.ui may be asked for or loaded."""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import mjdesk

FORBIDDEN = ("PySide6", "shiboken6", "mjdesk.ui")

NOT_UI = sorted(
    info.name
    for info in pkgutil.walk_packages(mjdesk.__path__, "mjdesk.")
    # mjdesk.__main__ starts the app when imported.
    if not (info.name == "mjdesk.ui" or info.name.startswith("mjdesk.ui."))
    and info.name != "mjdesk.__main__"
)

# Run by a fresh interpreter: argv[1] the forbidden names (comma-separated), then the modules.
# Each module is imported in turn; an import of a forbidden name is refused (ImportError) and
# noted against the module that asked, even if that module catches the ImportError; what is in
# sys.modules afterwards is checked too.
CHECK = """
import importlib, json, sys

FORBIDDEN = tuple(sys.argv[1].split(","))

def forbidden(name):
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)

class Refuse:
    def __init__(self):
        self.asked = []

    def find_spec(self, name, path=None, target=None):
        if forbidden(name):
            self.asked.append(name)
            raise ImportError(f"{name} imported outside mjdesk.ui")
        return None

preloaded = sorted(m for m in sys.modules if forbidden(m))
refuse = Refuse()
sys.meta_path.insert(0, refuse)
asked = {}
for name in sys.argv[2:]:
    before = len(refuse.asked)
    try:
        importlib.import_module(name)
    except ImportError as exc:
        if len(refuse.asked) == before:
            raise
    if len(refuse.asked) > before:
        asked[name] = sorted(set(refuse.asked[before:]))
import mjdesk
print(json.dumps({
    "mjdesk": mjdesk.__file__,
    "imported": len(sys.argv) - 2,
    "preloaded": preloaded,
    "asked": asked,
    "loaded": sorted(m for m in sys.modules if forbidden(m)),
}))
"""


def check_imports(modules: list[str], *extra_path: Path) -> dict[str, Any]:
    """Import ``modules`` in a new interpreter (this one has Qt loaded by other tests) that finds
    the same mjdesk as this one; returns what the CHECK script found."""
    source_root = Path(mjdesk.__file__).resolve().parents[1]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [*map(str, extra_path), str(source_root), env.get("PYTHONPATH", "")]
    )
    done = subprocess.run(
        [sys.executable, "-c", CHECK, ",".join(FORBIDDEN), *modules],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    assert Path(found["mjdesk"]).resolve() == Path(mjdesk.__file__).resolve()
    assert found["imported"] == len(modules)
    return found


def test_every_non_ui_module_imports_without_qt() -> None:
    assert "mjdesk.app" in NOT_UI  # the bootstrap imports Qt only inside run_gui()
    for layer in ("core", "core.importing", "mailjet", "sandbox", "sandbox.resources"):
        assert f"mjdesk.{layer}" in NOT_UI
        assert sum(name.startswith(f"mjdesk.{layer}.") for name in NOT_UI) >= 2, layer
    found = check_imports(NOT_UI)
    assert found["preloaded"] == [], "loaded before any mjdesk module"
    assert found["asked"] == {}, f"imported outside mjdesk.ui (module: names): {found['asked']}"
    assert found["loaded"] == []


def test_the_check_sees_qt_and_the_ui_package(tmp_path: Path) -> None:
    """The check above can fail: a module that imports Qt, even one that swallows the
    ImportError, and one that imports only ``mjdesk.ui`` (which needs no Qt) are both caught."""
    (tmp_path / "sneaky_qt.py").write_text(
        "try:\n    import PySide6.QtCore\nexcept ImportError:\n    pass\n", encoding="utf-8"
    )
    (tmp_path / "sneaky_ui.py").write_text("import mjdesk.ui\n", encoding="utf-8")
    found = check_imports(["mjdesk.core.work", "sneaky_qt", "sneaky_ui"], tmp_path)
    assert found["asked"] == {"sneaky_qt": ["PySide6"], "sneaky_ui": ["mjdesk.ui"]}
    assert found["loaded"] == []


def test_version_answers_without_starting_qt() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mjdesk", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == f"mjdesk {mjdesk.__version__}"
    assert "PySide6" not in done.stderr
