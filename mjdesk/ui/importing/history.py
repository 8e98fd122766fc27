"""File › Import History: every import of this workspace, with undo, also after a restart."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from mjdesk.core import wording
from mjdesk.core.importing.undo import ImportSummary, list_imports

if TYPE_CHECKING:
    from mjdesk.core.changes import Changes
    from mjdesk.ui.common.host import FeatureHost

HEADERS = ("File", "Sheet", "When", "Who", "New", "Updated", "Status")


def when_text(iso: str) -> str:
    """'2025-06-01T10:22:03Z' as '2025-06-01 10:22'."""
    return iso.replace("T", " ")[:16]


class ImportsDialog(QDialog):
    """A list of past imports; Undo asks for the selected one to be undone."""

    #: (batch id, file name): the user asked to undo this import
    undoRequested = Signal(int, str)

    def __init__(self, host: FeatureHost) -> None:
        super().__init__(host.window)
        self.workspace = host.workspace
        self.runner = host.runner
        host.events.changed.connect(self._on_changes)
        self.setObjectName("importsDialog")
        self.setWindowTitle("Import history")
        self.setAccessibleName("Import history")
        self.resize(860, 420)
        self.table = QTableWidget(0, len(HEADERS), self)
        self.table.setObjectName("importsTable")
        self.table.setAccessibleName("Past imports")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        # The file name takes the room the other columns leave, at any width of the dialog.
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selection)
        self.note = QLabel(self)
        self.note.setAccessibleName("Import history status")
        self.note.setWordWrap(True)
        self.undo_button = QPushButton("&Undo import", self)
        self.undo_button.setObjectName("historyUndo")
        self.undo_button.setAccessibleName("Undo the selected import")
        self.undo_button.setEnabled(False)
        self.undo_button.clicked.connect(self._undo)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(self.undo_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.imports: list[ImportSummary] = []

    def reload(self) -> None:
        """Read the list again (off the GUI thread)."""
        reading = self.workspace.reading

        def work(_token: object) -> list[ImportSummary]:
            with reading() as con:
                return list_imports(con)

        self.note.setText("Reading…")
        self.runner.submit(work, self._show, self._failed)

    def _on_changes(self, changes: Changes) -> None:
        if changes.imports and self.isVisible():
            self.reload()

    def _failed(self, exc: Exception) -> None:
        self.note.setText(f"The list of imports could not be read ({exc}).")

    def _show(self, imports: list[ImportSummary]) -> None:
        self.imports = imports
        self.table.setRowCount(len(imports))
        for row, item in enumerate(imports):
            status = (
                f"Undone {when_text(item.undone_at)}"
                if item.undone_at
                else ("Imported" if item.undoable else "Imported (no undo)")
            )
            values = (
                item.file_name,
                item.sheet or "",
                when_text(item.imported_at),
                item.imported_by,
                f"{item.added:,}",
                f"{item.updated:,}",
                status,
            )
            for column, text in enumerate(values):
                cell = QTableWidgetItem(text)
                if column in (4, 5):
                    cell.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, column, cell)
        self.note.setText(
            "No imports yet."
            if not imports
            else f"{wording.count(len(imports), 'import')}, newest first."
        )
        if imports:
            self.table.selectRow(0)
        self._selection()

    def selected(self) -> ImportSummary | None:
        rows = self.table.selectionModel().selectedRows()
        return self.imports[rows[0].row()] if rows else None

    def _selection(self) -> None:
        item = self.selected()
        self.undo_button.setEnabled(item is not None and item.undoable)

    def _undo(self) -> None:
        item = self.selected()
        if item is not None:
            self.undoRequested.emit(item.batch_id, item.file_name)
