"""Step 5 of the import wizard: what was imported, undo, and the reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWizardPage,
)

from mjdesk.core import wording
from mjdesk.core.importing import Outcome
from mjdesk.core.importing.report import OUTCOME_LABELS
from mjdesk.core.importing.session import imported_contact_ids
from mjdesk.ui.common.errors import error_text
from mjdesk.ui.common.progress import JobStrip
from mjdesk.ui.common.tasks import Pool

if TYPE_CHECKING:
    from mjdesk.core.edits import EditResult
    from mjdesk.core.work import CancelToken, ProgressReport
    from mjdesk.ui.importing.pages.host import WizardHost


class DonePage(QWizardPage):
    """The summary of a committed import, with Undo and the exports."""

    #: the user asked to undo the import with this batch id
    undoRequested = Signal(int)
    #: the imported people were put on a list: (its Changes, the sentence saying so)
    listed = Signal(object, str)

    def __init__(self, wizard: WizardHost) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Imported")
        self.setFinalPage(True)
        self.summary = QLabel(self)
        self.summary.setObjectName("importDoneSummary")
        self.summary.setAccessibleName("What was imported")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.undo_button = QPushButton("&Undo import", self)
        self.undo_button.setObjectName("undoImport")
        self.undo_button.setAccessibleName("Undo this import")
        self.undo_button.setToolTip("Put the contacts back exactly as they were before this import")
        self.undo_button.clicked.connect(self._undo)
        self.report_button = QPushButton("Export &report…", self)
        self.report_button.setObjectName("exportReport")
        self.report_button.setAccessibleName("Export the per-row report")
        self.annotated_button = QPushButton("Save &annotated copy…", self)
        self.annotated_button.setObjectName("annotatedCopy")
        self.annotated_button.setAccessibleName(
            "Save a copy of the spreadsheet with the problems highlighted"
        )
        self.list_choice = QComboBox(self)
        self.list_choice.setObjectName("importList")
        self.list_choice.setAccessibleName("List to add the imported people to")
        self.list_choice.setEditable(True)
        self.list_choice.setMinimumWidth(220)
        editor = self.list_choice.lineEdit()
        if editor is not None:
            editor.setPlaceholderText("A list, new or yours")
        self.list_button = QPushButton("Add to &List", self)
        self.list_button.setObjectName("importAddToList")
        self.list_button.setAccessibleName("Add the imported people to the list")
        self.list_button.setToolTip(
            "Put everyone this file brought in or found on the list (one step: Ctrl+Z undoes it)"
        )
        self.list_button.clicked.connect(self._add_to_list)
        list_label = QLabel("Put them on a lis&t:", self)
        list_label.setBuddy(self.list_choice)
        self.report_note = QLabel(self)
        self.report_note.setWordWrap(True)
        self.report_note.setAccessibleName("About the reports")
        buttons = QHBoxLayout()
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.report_button)
        buttons.addWidget(self.annotated_button)
        buttons.addStretch(1)
        on_list = QHBoxLayout()
        on_list.addWidget(list_label)
        on_list.addWidget(self.list_choice)
        on_list.addWidget(self.list_button)
        on_list.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)
        layout.addLayout(on_list)
        layout.addWidget(self.report_note)
        layout.addStretch(1)
        self.strip = JobStrip(wizard.runner, self)
        layout.addWidget(self.strip)
        self.report_button.clicked.connect(self._export_report)
        self.annotated_button.clicked.connect(self._annotated_copy)

    def initializePage(self) -> None:
        result = self._wizard.session.result
        if result is None:
            return
        counts = result.counts
        held = [
            f"{counts.get(o.value, 0):,} {OUTCOME_LABELS[o]}"
            for o in Outcome
            if o not in (Outcome.NEW, Outcome.UPDATE) and counts.get(o.value, 0)
        ]
        where = result.file_name + (f", sheet {result.sheet}" if result.sheet else "")
        self.summary.setText(
            f"<p><b>{result.added:,} new contacts</b> and <b>{result.updated:,} updated</b> "
            f"from {where}; {wording.count(result.consent_records, 'consent record')} kept "
            "with their proof."
            "</p>"
            + (f"<p>Not imported: {', '.join(held)}.</p>" if held else "")
            + "<p>Changed your mind? <b>Undo import</b> puts everything back as it was; "
            "it is also Edit › Undo (Ctrl+Z) and in File › Import History.</p>"
            "<p>The contacts are on the Contacts page now: search them with Ctrl+F.</p>"
        )
        self.undo_button.setEnabled(True)
        self.undo_button.setText("&Undo import")
        for button in (self.report_button, self.annotated_button):
            button.setEnabled(True)
        self.report_note.setVisible(False)
        self.list_button.setEnabled(True)
        self._read_lists()
        self.undo_button.setFocus()

    def _undo(self) -> None:
        result = self._wizard.session.result
        if result is not None:
            self.undoRequested.emit(result.batch_id)

    def show_undone(self) -> None:
        """The import was undone (from here, the menu or the history)."""
        self.undo_button.setEnabled(False)
        self.undo_button.setText("Undone")
        self.summary.setText(
            "<p><b>The import was undone.</b> The contacts are back as they were before it.</p>"
        )

    def _read_lists(self) -> None:
        reading = self._wizard.workspace.reading

        def work(_cancel: CancelToken) -> list[str]:
            with reading() as con:
                return [str(r[0]) for r in con.execute("SELECT name FROM lists ORDER BY name")]

        self._wizard.runner.submit(work, self._fill_lists)

    def _fill_lists(self, names: list[str]) -> None:
        typed = self.list_choice.currentText()
        self.list_choice.clear()
        self.list_choice.addItems(names)
        self.list_choice.setEditText(typed)

    def _add_to_list(self) -> None:
        """Put the people of the imported file on the chosen list, as one step."""
        plan, name = self._wizard.session.plan, self.list_choice.currentText().strip()
        if plan is None or self.strip.busy:
            return
        if not name:
            self._saved("Type the name of a list (a new one is made), or pick one of yours.")
            return
        workspace = self._wizard.workspace

        def work(_progress: ProgressReport, _cancel: CancelToken) -> EditResult:
            from mjdesk.core.edits import add_to_list

            return add_to_list(workspace, imported_contact_ids(workspace, plan), name)

        self.strip.run(work, self._listed, self._not_listed, pool=Pool.WRITE, phase="Adding…")

    def _listed(self, result: EditResult) -> None:
        self._saved(result.message + " Edit › Undo (Ctrl+Z) takes it back.")
        self.list_button.setEnabled(False)
        self.listed.emit(result.changes, result.message)

    def _not_listed(self, exc: Exception) -> None:
        self._saved(error_text(exc))

    def _export_report(self) -> None:
        self._save(annotated=False)

    def _annotated_copy(self) -> None:
        self._save(annotated=True)

    def _save(self, *, annotated: bool) -> None:
        from mjdesk.ui.importing.reports import save

        plan = self._wizard.session.plan
        if plan is not None:
            save(
                self,
                self.strip,
                plan,
                annotated=annotated,
                settings=self._wizard.settings,
                source=self._wizard.session.path,
                done=self._saved,
            )

    def _saved(self, text: str) -> None:
        self.report_note.setText(text)
        self.report_note.setVisible(True)
