"""Take the README screenshot: the real main window on a sample workspace.

``xvfb-run -s "-screen 0 1280x800x24" .venv/bin/python tests/support/screenshot.py OUT.png``
(or with QT_QPA_PLATFORM=offscreen, which renders the same widgets without a screen).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from mjdesk.core.filters import Facet
from mjdesk.core.paths import AppPaths
from mjdesk.core.settings import Settings
from mjdesk.core.workspace import Workspace
from mjdesk.ui.shell.main_window import MainWindow
from mjdesk.ui.shell.theme import apply_theme

from support.generate import generate


def main(out: Path, search: str = "", picks: tuple[str, ...] = ()) -> int:
    """``picks``: filter choices to tick first, as FACET=VALUE (``consent=stale``,
    ``list=2``, ``flag=role``)."""
    app = QApplication([])
    apply_theme(app)
    with tempfile.TemporaryDirectory() as temp:
        paths = AppPaths.under(Path(temp))
        paths.ensure()
        generate(paths.workspace_file("Department"), 5_000)
        workspace = Workspace.open(paths.workspace_file("Department"))
        window = MainWindow(workspace, paths, Settings(), "Department")
        window.resize(1260, 760)
        window.move(10, 10)

        def shoot() -> None:
            panel = window.contacts_page.filters
            for pick in picks:
                facet, _eq, value = pick.partition("=")
                assert panel is not None
                chosen = Facet(facet)
                panel.pick(chosen, int(value) if chosen in (Facet.LIST, Facet.IMPORT) else value)
            if search:
                window.contacts_page.search.setText(search)
                window.contacts_page._run_search()
            QTimer.singleShot(1500, grab)

        def grab() -> None:
            window.grab().save(str(out))
            window.close()
            app.quit()

        window.ready.connect(lambda: QTimer.singleShot(300, shoot))
        window.show()
        app.exec()
        workspace.close()
    print(f"saved {out}")  # noqa: T201
    return 0


if __name__ == "__main__":
    # screenshot.py OUT.png [SEARCH [FACET=VALUE ...]]
    sys.exit(main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "", tuple(sys.argv[3:])))
