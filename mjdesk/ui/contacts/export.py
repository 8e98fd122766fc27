"""Export…: the contacts the page's filter and search show, to a CSV or Excel file with the
columns the user ticks. The file is written off the GUI thread, with progress and Stop, and
the dialog says where it went."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mjdesk.core.changes import Changes
from mjdesk.core.export_contacts import (
    DEFAULT_KEYS,
    ExportColumn,
    ExportResult,
    available_columns,
)
from mjdesk.core.export_contacts import export_contacts as write_export
from mjdesk.ui.common import dialogs
from mjdesk.ui.common.errors import error_text
from mjdesk.ui.common.progress import JobStrip

if TYPE_CHECKING:
    from mjdesk.core.contacts import ContactQuery
    from mjdesk.core.work import CancelToken, ProgressReport
    from mjdesk.ui.common.host import FeatureHost

FILE_FILTER = "Excel workbook (*.xlsx);;CSV (*.csv)"
#: columns a row of the dialog holds
PER_ROW = 3


class ExportDialog(QDialog):
    """The columns to export as tick boxes (the usual ones ticked), Export… to choose the
    file and write it, a progress strip with Stop, and a line saying what happened."""

    def __init__(
        self,
        host: FeatureHost,
        query: ContactQuery,
        columns: list[ExportColumn],
        parent: QWidget | None = None,
        *,
        explanation: str = "",
        file_stem: str = "contacts",
    ) -> None:
        super().__init__(parent)
        self.host = host
        self.query = query
        self.file_stem = file_stem
        self.setWindowTitle("Export contacts")
        self.setAccessibleName("Export contacts")
        said = QLabel(
            explanation
            or "The contacts shown (with the filter and the search applied) are written to "
            "a CSV or Excel file with the columns ticked below.",
            self,
        )
        said.setWordWrap(True)
        box = QGroupBox("Columns", self)
        grid = QGridLayout(box)
        self.boxes: dict[str, QCheckBox] = {}
        for place, column in enumerate(columns):
            tick = QCheckBox(column.title, box)
            tick.setAccessibleName(f"Export the column {column.title}")
            tick.setChecked(column.key in DEFAULT_KEYS)
            tick.toggled.connect(self._update)
            grid.addWidget(tick, place // PER_ROW, place % PER_ROW)
            self.boxes[column.key] = tick
        self._columns = columns
        self.strip = JobStrip(host.runner, self)
        self.strip.busyChanged.connect(self._update)
        self.strip.cancelled.connect(self._stopped)
        self.outcome = QLabel(self)
        self.outcome.setWordWrap(True)
        self.outcome.setAccessibleName("Export result")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        self.export_button = QPushButton("&Export…", self)
        self.export_button.setAccessibleName("Choose the file and export")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.export)
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(said)
        layout.addWidget(box)
        layout.addWidget(self.strip)
        layout.addWidget(self.outcome)
        layout.addWidget(buttons)
        self.resize(560, self.sizeHint().height())
        self.finished.connect(self._dispose)

    def chosen(self) -> list[ExportColumn]:
        """The ticked columns, in the dialog's order."""
        return [c for c in self._columns if self.boxes[c.key].isChecked()]

    def _update(self) -> None:
        self.export_button.setEnabled(bool(self.chosen()) and not self.strip.busy)

    def reject(self) -> None:
        """Close, stopping an export under way (it leaves no file behind)."""
        self.strip.cancel()
        super().reject()

    def _dispose(self) -> None:
        """Closed: deleted once no export of its own is still stopping (its result would
        come back to a deleted strip)."""
        if self.strip.busy:
            self.strip.busyChanged.connect(self._dispose_when_idle)
        else:
            self.deleteLater()

    def _dispose_when_idle(self, busy: bool) -> None:
        if not busy:
            self.deleteLater()

    def export(self) -> None:
        """Ask where, then write the file in the background."""
        if self.strip.busy or not self.chosen():
            return
        target = dialogs.ask_save_file(
            self,
            "Export contacts",
            f"{self.file_stem} {date.today().isoformat()}.xlsx",
            FILE_FILTER,
            settings=self.host.settings,
            kind="exports",
        )
        if target is None:
            return
        if target.suffix.lower() not in (".xlsx", ".csv"):
            target = target.with_name(target.name + ".xlsx")
        workspace, query, columns = self.host.workspace, self.query, self.chosen()

        def work(progress: ProgressReport, cancel: CancelToken) -> ExportResult:
            progress.start(f"Writing {target.name}…")
            return write_export(workspace, query, columns, target, cancel=cancel, progress=progress)

        self.outcome.clear()
        self.strip.run(
            work,
            self._done,
            lambda exc: self._failed(exc, target),
            phase=f"Writing {target.name}…",
        )

    def _done(self, result: ExportResult) -> None:
        said = (
            f"Exported {result.contacts:,} contacts to {result.path.name} in {result.path.parent}."
        )
        self.outcome.setText(said)
        self.host.events.announce(Changes(activity=True))
        self.host.events.say(said)

    def _failed(self, exc: Exception, target: Path) -> None:
        if isinstance(exc, OSError):
            said = (
                f"{target.name} could not be written ({exc.strerror or exc}). Nothing was written."
            )
        else:
            said = error_text(exc, target)
        self.outcome.setText(said)

    def _stopped(self) -> None:
        self.outcome.setText("Export stopped: no file was written.")


def export_contacts(
    host: FeatureHost,
    query: ContactQuery,
    parent: QWidget,
    *,
    explanation: str = "",
    file_stem: str = "contacts",
) -> ExportDialog:
    """Open the export dialog for the contacts ``query`` shows (the page's filter and search,
    with its stale cutoff); returns it, shown (window-modal, not blocking). ``explanation``
    says what is exported when it is not what the page shows."""
    with host.workspace.reading() as con:
        columns = available_columns(con)
    dialog = ExportDialog(
        host, query, columns, parent, explanation=explanation, file_stem=file_stem
    )
    dialog.open()
    return dialog
