"""Step 1 of the import wizard: the file, and which sheet of it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWizardPage,
)

from mjdesk.core import wording
from mjdesk.core.importing import SheetInfo, Table, list_sheets
from mjdesk.core.importing.errors import PasswordProtectedError, WrongPasswordError
from mjdesk.core.importing.session import read_file
from mjdesk.ui.common import dialogs
from mjdesk.ui.common.errors import error_text
from mjdesk.ui.common.progress import JobStrip

if TYPE_CHECKING:
    from mjdesk.ui.importing.pages.host import WizardHost

STEPS_HTML = (
    "<p><b>What happens next</b></p><ol>"
    "<li><b>Columns.</b> mjdesk finds the header row and guesses what each column holds; "
    "you check the guess (it is remembered for files with the same columns).</li>"
    "<li><b>Consent.</b> You say how the file shows who agreed, and when.</li>"
    "<li><b>Dry run.</b> Every row is checked against your contacts: new, updated, "
    "unchanged, or held back with the reason. Fix addresses right there.</li>"
    "<li><b>Import.</b> One click; Edit › Undo takes it back. Each consent is kept with its "
    "proof: this file's name and fingerprint, the sheet and the row.</li></ol>"
    "<p>Any encoding or delimiter works; hidden sheets and formula errors are pointed out.</p>"
)
"""The first page says what the steps are, so the user knows what they are agreeing to."""
TYPING_PAUSE_MS = 300
"""How long the path field waits after a keystroke before it opens what it names."""
FILE_FILTER = "Spreadsheets (*.csv *.tsv *.txt *.xlsx *.xlsm *.xlsb *.xls *.ods);;All files (*)"


def sheet_label(sheet: SheetInfo) -> str:
    marks = []
    if sheet.is_chart:
        marks.append("chart, no data")
    elif not sheet.rows:
        marks.append("empty")
    if not sheet.visible:
        marks.append("hidden")
    size = wording.count(sheet.rows, "row") if sheet.rows and not sheet.is_chart else ""
    shown = [size, *marks] if size else marks
    return sheet.name + (f" ({', '.join(shown)})" if shown else "")


class FilePage(QWizardPage):
    """Choose a file (or it comes dropped on the window), then a sheet; Next reads it."""

    def __init__(self, wizard: WizardHost) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Choose the spreadsheet")
        self.setSubTitle(
            "CSV, Excel (XLSX, XLS) or OpenDocument (ODS). Nothing changes until you confirm "
            "the import at the end."
        )
        self.path_edit = QLineEdit(self)
        self.path_edit.setObjectName("importPath")
        self.path_edit.setAccessibleName("Spreadsheet file")
        self.path_edit.setPlaceholderText("Choose a file, or drop one on the main window")
        self.path_edit.editingFinished.connect(self._path_typed)
        # A path typed or pasted is opened as soon as it names a file, not only on Enter.
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(TYPING_PAUSE_MS)
        self._typing.timeout.connect(self._path_paused)
        self.path_edit.textEdited.connect(self._path_edited)
        self.browse = QPushButton("&Choose…", self)
        self.browse.setObjectName("importBrowse")
        self.browse.setAccessibleName("Choose a spreadsheet file")
        self.browse.clicked.connect(self._browse)
        self.sheet_combo = QComboBox(self)
        self.sheet_combo.setObjectName("importSheet")
        self.sheet_combo.setAccessibleName("Sheet")
        self.sheet_combo.currentIndexChanged.connect(lambda _i: self.completeChanged.emit())
        self.sheet_note = QLabel(self)
        self.sheet_note.setWordWrap(True)
        self.error_label = QLabel(self)
        self.error_label.setObjectName("importFileError")
        self.error_label.setAccessibleName("Problem with the file")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setStyleSheet("color: #b3261e;")
        self.error_label.hide()
        self.strip = JobStrip(wizard.runner, self)
        self.strip.busyChanged.connect(self._busy)
        self.strip.cancelled.connect(self._on_cancelled)

        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse)
        form = QFormLayout()
        file_label = QLabel("&File:", self)
        file_label.setBuddy(self.path_edit)
        sheet_label_ = QLabel("S&heet:", self)
        sheet_label_.setBuddy(self.sheet_combo)
        form.addRow(file_label, row)
        form.addRow(sheet_label_, self.sheet_combo)
        form.addRow("", self.sheet_note)
        self.steps = QLabel(STEPS_HTML, self)
        self.steps.setObjectName("importSteps")
        self.steps.setAccessibleName("What happens next")
        self.steps.setWordWrap(True)
        self.steps.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addSpacing(12)
        layout.addWidget(self.steps)
        layout.addStretch(1)
        layout.addWidget(self.strip)
        self._sheets: list[SheetInfo] = []
        self._sheets_for: Path | None = None
        self._opening: Path | None = None
        self._asking = False
        # The password of the encrypted workbook shown, in memory for this import only: it
        # is never saved, logged or shown, and goes with the next file chosen.
        self._password: str | None = None

    # -- choosing ------------------------------------------------------------------------

    def _browse(self) -> None:
        chosen = dialogs.ask_open_file(
            self,
            "Import a spreadsheet",
            FILE_FILTER,
            settings=self._wizard.settings,
            kind="sources",
        )
        if chosen is not None:
            self.set_path(chosen)

    def _path_edited(self) -> None:
        self._typing.start()
        self.completeChanged.emit()  # Next waits for the sheets of the path now shown

    def _path_paused(self) -> None:
        text = self.path_edit.text().strip()
        if text and Path(text).is_file():
            self._path_typed()

    def _path_typed(self) -> None:
        text = self.path_edit.text().strip()
        if not text or Path(text) == self._sheets_for:
            return
        if self._asking and Path(text) == self._opening:
            return  # the field lost the focus to the password question about this very file
        self.set_path(Path(text))

    def set_path(self, path: Path) -> None:
        """Take ``path`` and list its sheets (in the background)."""
        if self.strip.busy:
            # The same path again (Enter, then the focus leaving the field) changes nothing;
            # another one stops the listing under way.
            if path != self._opening:
                self.strip.cancel()
            return
        self._opening = path
        self.path_edit.setText(str(path))
        self._sheets, self._sheets_for, self._password = [], None, None
        self.sheet_combo.clear()
        self.sheet_note.clear()
        self._show_error("")
        self._list(path, None)

    def _list(self, path: Path, password: str | None) -> None:
        self.strip.run(
            lambda _p, _c: list_sheets(path, password=password),
            lambda sheets: self._on_sheets(path, sheets, password),
            lambda exc: self._not_listed(path, exc),
            phase=f"Opening {path.name}…",
        )

    def _not_listed(self, path: Path, exc: Exception) -> None:
        """Ask for the password of an encrypted workbook (again, saying why, when the one
        typed was wrong); anything else is shown."""
        if not (isinstance(exc, PasswordProtectedError) and exc.password_helps):
            self._show_error(error_text(exc, path))
            return
        label = f"{path.name} is protected with a password. Type it to open the file; "
        label += "it is used for this import only and never saved."
        if isinstance(exc, WrongPasswordError):
            label = f"{exc.user_message}\n\n{label}"
        self._asking = True
        try:
            password = dialogs.ask_password(self, "Password-protected workbook", label)
        finally:
            self._asking = False
        if password is None:
            self._show_error(
                f"{path.name} is protected with a password and was not opened. Choose it "
                "again to type the password, or choose another file."
            )
            return
        self._list(path, password)

    def _on_sheets(self, path: Path, sheets: list[SheetInfo], password: str | None) -> None:
        self._sheets, self._sheets_for, self._password = sheets, path, password
        self.sheet_combo.clear()
        text_file = len(sheets) == 1 and not sheets[0].name
        self.sheet_combo.setEnabled(not text_file)
        if text_file:
            self.sheet_combo.addItem("(a text file has one sheet)", None)
        else:
            model = self.sheet_combo.model()
            assert isinstance(model, QStandardItemModel)
            for sheet in sheets:
                self.sheet_combo.addItem(sheet_label(sheet), sheet.name)
                if not sheet.has_data:
                    item = model.item(self.sheet_combo.count() - 1)
                    item.setEnabled(False)
            first = next((i for i, s in enumerate(sheets) if s.has_data and s.visible), None)
            if first is None:
                first = next((i for i, s in enumerate(sheets) if s.has_data), 0)
            self.sheet_combo.setCurrentIndex(first)
            hidden = sum(1 for s in sheets if not s.visible)
            self.sheet_note.setText(
                "One sheet."
                if len(sheets) == 1
                else f"{len(sheets)} sheets"
                + (f", {hidden} hidden" if hidden else "")
                + ". The first sheet with data is chosen."
            )
        self.completeChanged.emit()

    @property
    def sheet(self) -> str | None:
        data = self.sheet_combo.currentData()
        return data if isinstance(data, str) else None

    # -- reading -------------------------------------------------------------------------

    def isComplete(self) -> bool:
        shown = Path(self.path_edit.text().strip())
        return self._sheets_for is not None and not self.strip.busy and shown == self._sheets_for

    def validatePage(self) -> bool:
        state = self._wizard.session
        path, sheet = self._sheets_for, self.sheet
        if path is None:
            return False
        if state.table is not None and state.read_key == (path, sheet):
            return True
        self._show_error("")
        password = self._password
        self.strip.run(
            lambda progress, cancel: read_file(path, sheet, progress, cancel, password),
            lambda table: self._on_read(path, sheet, table),
            lambda exc: self._show_error(error_text(exc, path)),
            phase=f"Reading {path.name}…",
        )
        return False

    def _on_read(self, path: Path, sheet: str | None, table: Table) -> None:
        self._wizard.take_table(path, sheet, table)
        self._wizard.next()

    def _on_cancelled(self) -> None:
        self._show_error("Stopped. Nothing was read and nothing changed.")

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def _busy(self, busy: bool) -> None:
        for widget in (self.path_edit, self.browse, self.sheet_combo):
            widget.setEnabled(not busy)
        if not busy and self._sheets and len(self._sheets) == 1 and not self._sheets[0].name:
            self.sheet_combo.setEnabled(False)
        self.completeChanged.emit()

    def cleanupPage(self) -> None:
        self.strip.cancel()
