"""Step 3 of the import wizard: how the file shows consent, and when it was given."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from mjdesk.core.importing import (
    ConsentMode,
    ConsentSpec,
    ConsentSpecError,
    ConsentState,
    ConsentValues,
    DateOrder,
    DateOrderGuess,
    Plan,
    Role,
    Table,
    guess_date_order,
)
from mjdesk.core.importing.mapping import date_share
from mjdesk.core.importing.session import check_rows
from mjdesk.ui.common.errors import error_text
from mjdesk.ui.common.progress import JobStrip

if TYPE_CHECKING:
    from mjdesk.ui.importing.pages.host import WizardHost

STATE_TEXT = {
    ConsentState.GRANTED: "Consented",
    ConsentState.NOT_GIVEN: "Not given",
    ConsentState.WITHDRAWN: "Withdrawn",
    ConsentState.UNRECOGNISED: "Not recognised (not given)",
}
ORDER_TEXT = {
    DateOrder.DMY: "Day first (UK): 01/02/2025 is 1 February 2025",
    DateOrder.MDY: "Month first (US): 01/02/2025 is January 2, 2025",
}
LAWFUL_BASES = ("consent", "contract", "legitimate interests", "legal obligation")
_VALUES_SHOWN = 50


@dataclass(frozen=True)
class ColumnFacts:
    """What the consent page shows about the chosen columns."""

    values: list[tuple[str, int]]
    dates: DateOrderGuess | None


def column_facts(table: Table, consent: str | None, date: str | None) -> ColumnFacts:
    """The most common consent values, and the day/month order of the date column."""
    values: list[tuple[str, int]] = []
    if consent is not None:
        counts = Counter(v.strip() for v in table.column(consent))
        values = counts.most_common(_VALUES_SHOWN)
    guess = guess_date_order(table.column(date)) if date is not None else None
    return ColumnFacts(values, guess)


class ConsentPage(QWizardPage):
    """A column, every row, or nothing; the date; the lawful basis. Next runs the dry run."""

    def __init__(self, wizard: WizardHost) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("How did these people consent?")
        self.setSubTitle(
            "mjdesk adds only people who consented, and keeps the proof: the file, the row, "
            "the wording and the date."
        )
        self.values = ConsentValues()
        self.mode_group = QButtonGroup(self)
        self.column_radio = QRadioButton("A &column in the file says who consented", self)
        self.column_radio.setAccessibleName("Consent from a column")
        self.all_radio = QRadioButton(
            "&Every row in this file consented (for example a sign-up form export)", self
        )
        self.all_radio.setAccessibleName("Every row consented")
        self.none_radio = QRadioButton(
            "The file says nothing about consent: &update people already here, add nobody new",
            self,
        )
        self.none_radio.setAccessibleName("No consent in this file")
        for button, mode in (
            (self.column_radio, ConsentMode.COLUMN),
            (self.all_radio, ConsentMode.ALL_ROWS),
            (self.none_radio, ConsentMode.NONE),
        ):
            self.mode_group.addButton(button, list(ConsentMode).index(mode))
        self.mode_group.idToggled.connect(self._mode_changed)

        self.consent_column = QComboBox(self)
        self.consent_column.setAccessibleName("Consent column")
        self.consent_column.currentIndexChanged.connect(lambda _i: self._columns_changed())
        self.values_table = QTableWidget(0, 3, self)
        self.values_table.setObjectName("consentValues")
        self.values_table.setAccessibleName("Consent values and what they mean")
        self.values_table.setHorizontalHeaderLabels(["Value in the file", "Rows", "Means"])
        self.values_table.verticalHeader().setVisible(False)
        self.values_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.values_table.setTabKeyNavigation(False)
        self.values_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.values_table.setMinimumHeight(110)
        column_box = QWidget(self)
        column_layout = QFormLayout(column_box)
        column_layout.setContentsMargins(24, 0, 0, 0)
        column_layout.addRow("Column:", self.consent_column)
        column_layout.addRow(self.values_table)
        self.column_box = column_box

        self.wording = QPlainTextEdit(self)
        self.wording.setObjectName("consentWording")
        self.wording.setAccessibleName("Wording they agreed to")
        self.wording.setPlaceholderText(
            "The exact words of the tick box, e.g. “I would like to receive the department "
            "newsletter by e-mail.”"
        )
        self.wording.setTabChangesFocus(True)
        self.wording.setFixedHeight(56)
        self.source = QLineEdit(self)
        self.source.setObjectName("consentSource")
        self.source.setAccessibleName("Where consent was collected")
        self.source.setPlaceholderText("e.g. Open day sign-up form, June 2025")
        all_box = QWidget(self)
        all_layout = QFormLayout(all_box)
        all_layout.setContentsMargins(24, 0, 0, 0)
        wording_label = QLabel("&Wording:", all_box)
        wording_label.setBuddy(self.wording)
        source_label = QLabel("S&ource:", all_box)
        source_label.setBuddy(self.source)
        all_layout.addRow(wording_label, self.wording)
        all_layout.addRow(source_label, self.source)
        self.all_box = all_box

        self.date_from_column = QRadioButton("From the &date column", self)
        self.date_from_column.setAccessibleName("Consent date from a column")
        self.date_column = QComboBox(self)
        self.date_column.setAccessibleName("Consent date column")
        self.date_column.currentIndexChanged.connect(lambda _i: self._columns_changed())
        self.date_given = QRadioButton("All on this da&y:", self)
        self.date_given.setAccessibleName("Consent date for every row")
        self.date_edit = QDateEdit(QDate.currentDate(), self)
        self.date_edit.setAccessibleName("Consent date")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("d MMMM yyyy")
        self.date_edit.setMaximumDate(QDate.currentDate())
        self.date_group = QButtonGroup(self)
        self.date_group.addButton(self.date_from_column)
        self.date_group.addButton(self.date_given)
        self.order_combo = QComboBox(self)
        self.order_combo.setObjectName("dateOrder")
        self.order_combo.setAccessibleName("Order of day and month in the dates")
        for order, text in ORDER_TEXT.items():
            self.order_combo.addItem(text, order)
        self.order_label = QLabel("Dates such as 01/02/2025 could be read two ways:", self)
        self.order_label.setBuddy(self.order_combo)
        self.basis = QComboBox(self)
        self.basis.setAccessibleName("Lawful basis")
        self.basis.setEditable(True)
        self.basis.addItems(LAWFUL_BASES)
        self.date_box = date_box = QGroupBox("When consent was given", self)
        date_layout = QFormLayout(date_box)
        row1 = QHBoxLayout()
        row1.addWidget(self.date_from_column)
        row1.addWidget(self.date_column, 1)
        row2 = QHBoxLayout()
        row2.addWidget(self.date_given)
        row2.addWidget(self.date_edit, 1)
        date_layout.addRow(row1)
        date_layout.addRow(row2)
        date_layout.addRow(self.order_label)
        date_layout.addRow(self.order_combo)
        basis_label = QLabel("&Lawful basis:", self)
        basis_label.setBuddy(self.basis)
        date_layout.addRow(basis_label, self.basis)

        self.message = QLabel(self)
        self.message.setObjectName("consentMessage")
        self.message.setAccessibleName("Consent problem")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b3261e;")
        self.message.hide()
        self.strip = JobStrip(wizard.runner, self)
        self.strip.busyChanged.connect(lambda _b: self.completeChanged.emit())
        self.strip.cancelled.connect(
            lambda: self._show_message("Stopped. Nothing was checked and nothing changed.")
        )

        layout = QVBoxLayout(self)
        layout.addWidget(self.column_radio)
        layout.addWidget(column_box, 1)
        layout.addWidget(self.all_radio)
        layout.addWidget(all_box)
        layout.addWidget(self.none_radio)
        layout.addWidget(date_box)
        layout.addWidget(self.message)
        layout.addWidget(self.strip)
        self._facts_for: tuple[str | None, str | None] | None = None

    # -- filling in ----------------------------------------------------------------------

    def initializePage(self) -> None:
        state = self._wizard.session
        assert state.table is not None
        assert state.mapping is not None
        mapping = state.mapping
        headers = state.table.headers
        for combo in (self.consent_column, self.date_column):
            combo.blockSignals(True)
            combo.clear()
            if combo is self.date_column:
                combo.addItem("(choose the column with the dates)", None)
            for header in headers:
                combo.addItem(header, header)
            combo.blockSignals(False)
        consent = mapping.header_for(Role.CONSENT)
        date = mapping.header_for(Role.CONSENT_DATE)
        if date is not None and date_share(state.table.column(date)) < 0.5:
            date = None  # named like a date column, but its values are not dates
        if consent is not None:
            self.consent_column.setCurrentIndex(headers.index(consent))
            self.column_radio.setChecked(True)
        elif self.mode_group.checkedButton() in (None, self.column_radio):
            self.none_radio.setChecked(True)
        if date is not None:
            self.date_column.setCurrentIndex(headers.index(date) + 1)
            self.date_from_column.setChecked(True)
        else:
            self.date_column.setCurrentIndex(0)
            self.date_given.setChecked(True)
        self._facts_for = None
        self._mode_changed()
        self._show_message("")

    @property
    def mode(self) -> ConsentMode:
        return list(ConsentMode)[max(0, self.mode_group.checkedId())]

    def _mode_changed(self, *_args: object) -> None:
        self.column_box.setEnabled(self.mode is ConsentMode.COLUMN)
        self.all_box.setEnabled(self.mode is ConsentMode.ALL_ROWS)
        # A file that says nothing about consent records none, so no date either.
        self.date_box.setEnabled(self.mode is not ConsentMode.NONE)
        self._columns_changed()

    def _chosen_columns(self) -> tuple[str | None, str | None]:
        consent = self.consent_column.currentData() if self.mode is ConsentMode.COLUMN else None
        date = self.date_column.currentData() if self.date_from_column.isChecked() else None
        return consent, date

    def _columns_changed(self) -> None:
        table = self._wizard.session.table
        wanted = self._chosen_columns()
        if table is None or wanted == self._facts_for or self.strip.busy:
            return
        self._facts_for = wanted
        consent, date = wanted
        self.strip.run(
            lambda _p, _c: column_facts(table, consent, date),
            self._show_facts,
            lambda exc: self._show_message(error_text(exc, None)),
            phase="Looking at the consent columns…",
        )

    def _show_facts(self, facts: ColumnFacts) -> None:
        self.values_table.setRowCount(len(facts.values))
        for row, (value, count) in enumerate(facts.values):
            self.values_table.setItem(row, 0, QTableWidgetItem(value or "(empty)"))
            number = QTableWidgetItem(f"{count:,}")
            number.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.values_table.setItem(row, 1, number)
            box = QComboBox()
            box.setAccessibleName(f"What {value or 'an empty cell'} means")
            for state, text in STATE_TEXT.items():
                box.addItem(text, state)
            box.setCurrentIndex(list(STATE_TEXT).index(self.values.classify(value)))
            box.currentIndexChanged.connect(
                lambda _i, v=value, b=box: self._teach(v, b.currentData())
            )
            if not value:
                box.setEnabled(False)  # an empty cell always means "not given"
            self.values_table.setCellWidget(row, 2, box)
        ambiguous = facts.dates is not None and facts.dates.ambiguous
        self.order_label.setVisible(ambiguous)
        self.order_combo.setVisible(ambiguous)
        if facts.dates is not None and facts.dates.order is not None:
            self.order_combo.setCurrentIndex(list(ORDER_TEXT).index(facts.dates.order))
        self._dates = facts.dates
        if self._chosen_columns() != self._facts_for:
            self._columns_changed()  # the choice changed while the values were counted

    def _teach(self, value: str, state: ConsentState) -> None:
        self.values = self.values.with_value(value, state)

    # -- checking ------------------------------------------------------------------------

    def spec(self) -> ConsentSpec:
        given = None
        if self.date_given.isChecked():
            day = self.date_edit.date()
            given = datetime(day.year(), day.month(), day.day())
        order = self.order_combo.currentData() if self.order_combo.isVisible() else None
        return ConsentSpec(
            mode=self.mode,
            values=self.values,
            wording=self.wording.toPlainText().strip(),
            source=self.source.text().strip(),
            given_at=given,
            lawful_basis=self.basis.currentText().strip() or "consent",
            date_order=order,
        )

    def isComplete(self) -> bool:
        return not self.strip.busy

    def validatePage(self) -> bool:
        wizard = self._wizard
        spec = self.spec()
        try:
            spec.check()
        except ConsentSpecError as exc:
            self._show_message(exc.user_message)
            (self.wording if not spec.wording else self.source).setFocus()
            return False
        consent, date = self._chosen_columns()
        if self.date_from_column.isChecked() and date is None:
            self._show_message(
                "Choose the column that holds the consent dates, or give one date for all."
            )
            self.date_column.setFocus()
            return False
        self._show_message("")
        mapping = wizard.session.mapping
        assert mapping is not None
        if consent is not None:
            mapping = mapping.with_role(consent, Role.CONSENT)
        if date is not None:
            mapping = mapping.with_role(date, Role.CONSENT_DATE)
        else:
            old = mapping.header_for(Role.CONSENT_DATE)
            if old is not None:
                mapping = mapping.with_role(old, Role.SKIP)
        if wizard.session.plan is not None and wizard.session.checked_with == (mapping, spec):
            return True
        request = wizard.session.check_request(mapping, spec)
        self.strip.run(
            lambda progress, cancel: check_rows(wizard.workspace, request, progress, cancel),
            lambda plan: self._on_plan(mapping, spec, plan),
            lambda exc: self._show_message(error_text(exc, None)),
            phase="Checking every row…",
        )
        return False

    def _on_plan(self, mapping: object, spec: ConsentSpec, plan: Plan) -> None:
        self._wizard.session.take_plan(plan, spec)
        self._wizard.next()

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def cleanupPage(self) -> None:
        self.strip.cancel()
