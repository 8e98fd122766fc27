"""Step 4 of the import wizard: the dry run, row by row, with fixes before anything changes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWizard,
    QWizardPage,
)

from mjdesk.core import wording
from mjdesk.core.importing import Outcome, Plan
from mjdesk.core.importing.session import check_rows
from mjdesk.ui.common import dialogs
from mjdesk.ui.common.errors import error_text
from mjdesk.ui.common.progress import JobStrip
from mjdesk.ui.importing.review_model import DETAILS, EMAIL, OUTCOME_TEXT, ROW, ReviewModel

if TYPE_CHECKING:
    from mjdesk.ui.importing.pages.host import WizardHost

#: the filter buttons, in the order a user reads them: what goes in, then what does not
FILTERS: tuple[tuple[str, frozenset[Outcome]], ...] = (
    ("All", frozenset()),
    *((OUTCOME_TEXT[o], frozenset({o})) for o in Outcome),
)
IMPORTED = (Outcome.NEW, Outcome.UPDATE)


class ReviewPage(QWizardPage):
    """Counts per outcome (each a filter), the rows, and the fixes for the selected ones."""

    def __init__(self, wizard: WizardHost) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Check what will happen")
        self.setSubTitle(
            "A dry run: nothing has changed yet. Fix what you can, then import. "
            "Double-click an address (or press F2) to correct it."
        )
        self.model = ReviewModel(self)
        self.model.editRequested.connect(self._edit)
        self.filter_group = QButtonGroup(self)
        self.filter_group.setExclusive(True)
        self.filter_buttons: dict[str, QPushButton] = {}
        filters = QHBoxLayout()
        filters.setSpacing(4)
        for number, (title, outcomes) in enumerate(FILTERS):
            button = QPushButton(title, self)
            button.setCheckable(True)
            button.setObjectName(f"filter_{title}")
            button.setProperty("outcomes", outcomes)
            self.filter_group.addButton(button, number)
            self.filter_buttons[title] = button
            filters.addWidget(button)
        filters.addStretch(1)
        self.filter_buttons["All"].setChecked(True)
        self.filter_group.idClicked.connect(self._filter_clicked)

        self.view = QTableView(self)
        self.view.setObjectName("importReview")
        self.view.setAccessibleName("Rows of the file and what happens to each")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.view.horizontalHeader()
        # Click a title to sort (Row: the file's order, where the review starts).
        header.setSortIndicator(ROW, Qt.SortOrder.AscendingOrder)
        self.view.setSortingEnabled(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(DETAILS, QHeaderView.ResizeMode.Stretch)  # the reasons
        for column, width in enumerate((50, 240, 150, 0, 150, 100)):
            if column != DETAILS:
                self.view.setColumnWidth(column, width)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_fixes())

        self.accept_button = QPushButton("&Accept suggestion", self)
        self.accept_button.setAccessibleName("Accept the suggested address for the selected rows")
        self.accept_button.clicked.connect(self._accept_selected)
        self.keep_button = QPushButton("&Keep as typed", self)
        self.keep_button.setAccessibleName("Keep the address as typed for the selected rows")
        self.keep_button.clicked.connect(self._keep_selected)
        self.accept_all_button = QPushButton("Accept all s&uggestions", self)
        self.accept_all_button.setAccessibleName("Accept every suggested address")
        self.accept_all_button.clicked.connect(self._accept_all)
        self.readmit_button = QPushButton("Confirm &new consent…", self)
        self.readmit_button.setAccessibleName(
            "Add the selected erased people again, on a new, dated consent"
        )
        self.readmit_button.clicked.connect(self._readmit_selected)
        self.edit_button = QPushButton("&Edit address", self)
        self.edit_button.setAccessibleName("Edit the address of the selected row")
        self.edit_button.clicked.connect(self._start_edit)
        fixes = QHBoxLayout()
        for button in (
            self.accept_button,
            self.keep_button,
            self.accept_all_button,
            self.readmit_button,
            self.edit_button,
        ):
            fixes.addWidget(button)
        fixes.addStretch(1)
        self.summary = QLabel(self)
        self.summary.setObjectName("reviewSummary")
        self.summary.setAccessibleName("Summary of the dry run")
        self.summary.setWordWrap(True)
        self.notices = QLabel(self)
        self.notices.setObjectName("reviewNotices")
        self.notices.setAccessibleName("Notes about the file")
        self.notices.setWordWrap(True)
        self.notices.setStyleSheet("color: #8a5a00;")
        self.message = QLabel(self)
        self.message.setAccessibleName("Problem")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b3261e;")
        self.message.hide()
        self.strip = JobStrip(wizard.runner, self)
        self.strip.busyChanged.connect(self._busy)
        self.strip.cancelled.connect(
            lambda: self._show_message("Stopped. Nothing was imported; nothing changed.")
        )

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(filters)
        layout.addWidget(self.view, 1)
        layout.addLayout(fixes)
        layout.addWidget(self.notices)
        layout.addWidget(self.message)
        layout.addWidget(self.strip)
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Import")

    # -- showing -------------------------------------------------------------------------

    def initializePage(self) -> None:
        self.show_plan()
        self._show_message("")
        self.view.setFocus()

    def show_plan(self) -> None:
        plan = self._wizard.session.plan
        self.model.set_plan(plan)
        if plan is None:
            return
        counts = plan.counts
        for title, outcomes in FILTERS:
            button = self.filter_buttons[title]
            count = len(plan) if not outcomes else sum(counts[o] for o in outcomes)
            button.setText(f"{title}  {count:,}")
            button.setAccessibleName(f"Show {title.lower()} rows: {count:,}")
            # Outcomes no row has are left out: the filters show what this file holds.
            button.setVisible(count > 0 or not outcomes or button.isChecked())
        imported = sum(counts[o] for o in IMPORTED)
        held = len(plan) - imported - counts[Outcome.UNCHANGED]
        self.summary.setText(
            f"<b>{counts[Outcome.NEW]:,} new</b> and <b>{counts[Outcome.UPDATE]:,} updated</b> "
            f"of {wording.count(len(plan), 'row')}; "
            f"{counts[Outcome.UNCHANGED]:,} already up to date; "
            f"{held:,} will not be imported (see the filters)."
        )
        self.setButtonText(
            QWizard.WizardButton.CommitButton,
            f"&Import {wording.count(imported, 'contact')}",
        )
        notes = [n.message for n in plan.cleaned.table.notices]
        unknown = plan.cleaned.unrecognised_consent
        if unknown:
            shown = ", ".join(f"“{v}” ({n})" for v, n in list(unknown.items())[:5])
            notes.append(
                f"Consent values not recognised, read as not given: {shown}. "
                "Go Back to say what they mean."
            )
        self.notices.setText("\n".join(notes))
        self.notices.setVisible(bool(notes))
        self._update_fixes()
        self.completeChanged.emit()

    def _filter_clicked(self, number: int) -> None:
        self.model.set_filter(FILTERS[number][1])
        self._update_fixes()

    def show_only(self, outcome: Outcome | None) -> None:
        """Filter as the button for ``outcome`` (None: all rows) does."""
        title = "All" if outcome is None else OUTCOME_TEXT[outcome]
        self.filter_buttons[title].click()

    def _selected_rows(self) -> list[int]:
        rows = {i.row() for i in self.view.selectionModel().selectedRows()}
        return [self.model.row_index(r) for r in sorted(rows)]

    def _update_fixes(self) -> None:
        plan = self.model.plan
        selected = self._selected_rows()
        typos = plan is not None and any(
            plan.outcomes[i] is Outcome.TYPO_SUGGESTION for i in selected
        )
        busy = self.strip.busy
        self.accept_button.setEnabled(typos and not busy)
        self.keep_button.setEnabled(typos and not busy)
        self.accept_all_button.setEnabled(
            bool(plan and plan.counts[Outcome.TYPO_SUGGESTION]) and not busy
        )
        erased = plan is not None and any(
            plan.outcomes[i] is Outcome.BLOCKED_ERASED for i in selected
        )
        self.readmit_button.setEnabled(erased and not busy)
        self.edit_button.setEnabled(len(selected) == 1 and not busy)

    # -- fixing --------------------------------------------------------------------------

    def _typo_rows(self, indexes: list[int]) -> list[int]:
        plan = self.model.plan
        assert plan is not None
        return [i for i in indexes if plan.outcomes[i] is Outcome.TYPO_SUGGESTION]

    def _accept_selected(self) -> None:
        self.accept_suggestions(self._typo_rows(self._selected_rows()))

    def _accept_all(self) -> None:
        plan = self.model.plan
        if plan is not None:
            self.accept_suggestions(plan.indexes_with(Outcome.TYPO_SUGGESTION))

    def accept_suggestions(self, indexes: list[int]) -> None:
        plan = self.model.plan
        assert plan is not None
        edits = {i: plan.cleaned.suggestions[i] for i in indexes if i in plan.cleaned.suggestions}
        if edits:
            self._wizard.session.edit_addresses(edits)
            self.recheck()

    def _keep_selected(self) -> None:
        self._wizard.session.dismiss_suggestions(self._typo_rows(self._selected_rows()))
        self.recheck()

    def _readmit_selected(self) -> None:
        plan = self.model.plan
        assert plan is not None
        rows = [i for i in self._selected_rows() if plan.outcomes[i] is Outcome.BLOCKED_ERASED]
        if not rows:
            return
        who = "this person" if len(rows) == 1 else f"these {len(rows)} people"
        if dialogs.ask_confirm(
            self,
            "Erased on request",
            f"{who.capitalize()} asked to be erased from this workspace. Add {who} again only "
            "if they have consented anew since then: the consent date in the file is kept as "
            "the proof, and a row without one stays blocked.",
            "Add again",
        ):
            self._wizard.session.confirm_erased(rows)
            self.recheck()

    def _start_edit(self) -> None:
        rows = self.view.selectionModel().selectedRows()
        if rows:
            index = self.model.index(rows[0].row(), EMAIL)
            self.view.setCurrentIndex(index)
            self.view.edit(index)

    def _edit(self, index: int, text: str) -> None:
        self._wizard.session.edit_addresses({index: text})
        self.recheck()

    def recheck(self) -> None:
        """Clean and plan again with the fixes so far (duplicates and counts follow)."""
        wizard = self._wizard
        state = wizard.session
        assert state.mapping is not None
        assert state.spec is not None
        if self.strip.busy:
            return  # the fixes are disabled while a check runs
        request = wizard.session.check_request(state.mapping, state.spec)
        self._keep_row = self.view.currentIndex().row()
        self.strip.run(
            lambda progress, cancel: check_rows(wizard.workspace, request, progress, cancel),
            self._on_plan,
            lambda exc: self._show_message(error_text(exc, None)),
            phase="Checking again…",
        )

    def _on_plan(self, plan: Plan) -> None:
        state = self._wizard.session
        assert state.spec is not None
        self._wizard.session.take_plan(plan, state.spec)
        self.show_plan()
        row = min(self._keep_row, self.model.rowCount() - 1)
        if row >= 0:
            self.view.setCurrentIndex(self.model.index(row, DETAILS))

    # -- committing ----------------------------------------------------------------------

    def isComplete(self) -> bool:
        plan = self._wizard.session.plan
        return (
            plan is not None
            and not self.strip.busy
            and any(plan.counts[o] for o in IMPORTED)
            and self._wizard.session.can_commit
        )

    def validatePage(self) -> bool:
        if self._wizard.session.result is not None:
            return True
        self._wizard.start_commit(self.strip, self._show_message)
        return False

    def _busy(self, busy: bool) -> None:
        self.view.setEnabled(not busy)
        for button in self.filter_buttons.values():
            button.setEnabled(not busy)
        self._update_fixes()
        if not busy:
            self.show_plan()
        self.completeChanged.emit()

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def cleanupPage(self) -> None:
        self.strip.cancel()
