"""Importing, as the main window offers it: File › Import…, dropped files, File › Import
History (with undo), Settings › Organisation Domains. Owns the wizard and the undo of imports.

It knows the window only as a widget to parent its dialogs and to take drops; what it changes
in the workspace it announces through `WorkspaceEvents`, and each page refreshes itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QKeySequence

from mjdesk.core.changes import IMPORTED, Changes
from mjdesk.core.importing.remembered import org_domains, parse_domains, set_org_domains
from mjdesk.ui.common import dialogs
from mjdesk.ui.common.tasks import Pool

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from mjdesk.core.importing.commit import ImportResult
    from mjdesk.core.importing.undo import UndoResult
    from mjdesk.ui.common.host import FeatureHost
    from mjdesk.ui.importing.history import ImportsDialog
    from mjdesk.ui.importing.wizard import ImportWizard

SPREADSHEET_SUFFIXES = frozenset(
    {".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
)


def dropped_file(event: QDragEnterEvent | QDropEvent) -> Path | None:
    """The one local spreadsheet file being dragged, if that is what it is."""
    mime = event.mimeData()
    if not mime.hasUrls():
        return None
    urls = [u for u in mime.urls() if u.isLocalFile()]
    if len(urls) != 1:
        return None
    path = Path(urls[0].toLocalFile())
    return path if path.suffix.lower() in SPREADSHEET_SUFFIXES else None


class ImportController(QObject):
    """The import actions of one main window."""

    def __init__(self, host: FeatureHost) -> None:
        super().__init__(host.window)
        self.host = host
        window = self.window = host.window
        self.workspace, self.runner, self.events = host.workspace, host.runner, host.events
        self.settings = host.settings
        events = host.events
        self.wizard: ImportWizard | None = None
        self.dialog: ImportsDialog | None = None
        events.changed.connect(self._on_changes)

        self.import_action = QAction("&Import…", window)
        self.import_action.setShortcut(QKeySequence("Ctrl+I"))
        self.import_action.setStatusTip("Import contacts from a spreadsheet (or drop one here)")
        self.import_action.triggered.connect(lambda: self.open_wizard())
        self.history_action = QAction("Import &History…", window)
        self.history_action.setStatusTip("Past imports, with undo")
        self.history_action.triggered.connect(self.open_history)
        self.domains_action = QAction("Organisation &Domains…", window)
        self.domains_action.setStatusTip(
            "Your organisation's e-mail domains: imports offer fixes for their misspellings"
        )
        self.domains_action.triggered.connect(lambda: self.edit_domains())
        for action in (self.import_action, self.history_action):
            window.addAction(action)  # shortcuts work even with the menu bar hidden
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    # -- the wizard ---------------------------------------------------------------------

    def open_wizard(self, path: Path | None = None) -> ImportWizard:
        """Show the wizard (the one already open, if any), starting on ``path``."""
        from mjdesk.ui.importing.wizard import ImportWizard

        wizard = self.wizard
        if wizard is not None and (not wizard.isVisible() and not wizard.busy):
            wizard.deleteLater()
            wizard = self.wizard = None
        if wizard is None:
            wizard = ImportWizard(
                self.workspace,
                self.runner,
                self.settings,
                self.window,
                settings_path=self.host.settings_file,
                org_domains=org_domains(self.settings),
            )
            wizard.committed.connect(self._committed)
            wizard.undoRequested.connect(lambda batch: self.undo(batch))
            wizard.listed.connect(self._listed)
            self.wizard = wizard
        if wizard.isVisible():
            wizard.raise_()
        wizard.show()
        wizard.activateWindow()
        if path is not None:
            wizard.open_file(path)
        return wizard

    def edit_domains(self) -> tuple[str, ...] | None:
        """Ask for the organisation's domains and keep them; None when the user cancels."""
        window = self.window
        text = dialogs.ask_text(
            window,
            "Organisation domains",
            "Your organisation's e-mail domains, separated by commas. Addresses at a "
            "misspelling of one of them (yrok.ac.uk for york.ac.uk) are held back in an "
            "import, with the fix offered.",
            ", ".join(org_domains(self.settings)),
        )
        if text is None:
            return None
        usable, refused = parse_domains(text)
        if refused:
            dialogs.tell_problem(
                window,
                "Organisation domains",
                f"These are not domain names, so they were left out: {', '.join(refused)}.",
            )
        set_org_domains(self.settings, usable)
        self.host.save_settings()
        self.events.announce(Changes(settings=True))
        return usable

    def _committed(self, result: ImportResult) -> None:
        self.events.say(f"Imported {result.file_name}: {result.summary}. Ctrl+Z undoes it.")
        self.events.announce(IMPORTED)

    def _listed(self, changes: Changes, message: str) -> None:
        self.events.say(message + " Ctrl+Z undoes it.")
        self.events.announce(changes)

    # -- undo ---------------------------------------------------------------------------

    def undo(self, batch_id: int, file_name: str = "", *, parent: QWidget | None = None) -> None:
        """Ask, then undo import ``batch_id`` off the GUI thread."""
        # The importer loads only when first used: the window's start stays light.
        from mjdesk.core.clock import current_user
        from mjdesk.core.importing.errors import CommitError
        from mjdesk.core.importing.undo import undo_import

        where = parent or (self.wizard if self.wizard and self.wizard.isVisible() else None)
        owner: QWidget = where or self.window
        name = file_name or "this file"
        if not dialogs.ask_confirm(
            owner,
            "Undo import",
            f"Undo the import of {name}? The contacts it added are removed and the ones it "
            "changed go back to how they were, with their consent records.",
            "Undo import",
        ):
            return
        workspace = self.workspace

        def work(_token: object) -> UndoResult:
            return undo_import(workspace, batch_id, actor=current_user())

        def failed(exc: Exception) -> None:
            text = exc.user_message if isinstance(exc, CommitError) else str(exc)
            dialogs.tell_problem(owner, "Undo import", text)

        self.runner.submit(work, self._undone, failed, pool=Pool.WRITE)

    def _undone(self, result: UndoResult) -> None:
        self.events.say(
            f"Import undone: {result.removed:,} contacts removed, {result.restored:,} restored."
        )
        self.events.announce(IMPORTED)

    def _on_changes(self, changes: Changes) -> None:
        """An import was undone (here, from Edit › Undo or the history): the wizard's last
        page says so if it shows that import."""
        wizard = self.wizard
        shown = wizard.session.result if wizard is not None else None
        if not changes.imports or wizard is None or shown is None:
            return
        reading, batch = self.workspace.reading, shown.batch_id

        def work(_token: object) -> bool:
            with reading() as con:
                row = con.execute(
                    "SELECT undone_at IS NOT NULL FROM import_batches WHERE id = ?", (batch,)
                ).fetchone()
            return bool(row and row[0])

        def show(undone: bool) -> None:
            if undone and wizard is self.wizard:
                wizard.done_page.show_undone()

        self.runner.submit(work, show)

    # -- history ------------------------------------------------------------------------

    def open_history(self) -> ImportsDialog:
        from mjdesk.ui.importing.history import ImportsDialog

        if self.dialog is None:
            self.dialog = ImportsDialog(self.host)
            self.dialog.undoRequested.connect(
                lambda batch, name: self.undo(batch, name, parent=self.dialog)
            )
        self.dialog.reload()
        if self.dialog.isVisible():
            self.dialog.raise_()
        self.dialog.show()
        return self.dialog

    # -- drag and drop, closing ---------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            drag = cast("QDragEnterEvent", event)
            if dropped_file(drag) is not None:
                drag.setDropAction(Qt.DropAction.CopyAction)
                drag.accept()
                return True
        elif kind == QEvent.Type.Drop:
            drop = cast("QDropEvent", event)
            path = dropped_file(drop)
            if path is not None:
                drop.setDropAction(Qt.DropAction.CopyAction)
                drop.accept()
                self.open_wizard(path)
                return True
        elif kind == QEvent.Type.Close:
            if self.wizard is not None:
                self.wizard.close_without_asking()
            if self.dialog is not None:
                self.dialog.close()
        return super().eventFilter(watched, event)
