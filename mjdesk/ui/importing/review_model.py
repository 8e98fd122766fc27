"""The review table of the import wizard: every row of the dry run, filtered by outcome.

Lazy: the model holds the plan (column-shaped lists) and, when filtered, an array of row
indexes; a row object is built only when a cell is painted, and a few hundred are cached.
So 100,000 or 1,000,000 rows cost the same to show.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from mjdesk.core.importing import ConsentState, Outcome, Plan, ReviewRow

Index = QModelIndex | QPersistentModelIndex

OUTCOME_TEXT = {
    Outcome.NEW: "New",
    Outcome.UPDATE: "Update",
    Outcome.UNCHANGED: "Unchanged",
    Outcome.SKIPPED_NO_CONSENT: "Skipped: no consent",
    Outcome.INVALID: "Invalid",
    Outcome.DUPLICATE: "Duplicate",
    Outcome.BLOCKED_ERASED: "Blocked: erased",
    Outcome.TYPO_SUGGESTION: "Typo?",
}
"""Outcome names as the user reads them (filters, the table, the report)."""

_OUTCOME_COLOUR = {
    Outcome.NEW: "#1b7f3b",
    Outcome.UPDATE: "#1f5fa8",
    Outcome.INVALID: "#b3261e",
    Outcome.BLOCKED_ERASED: "#b3261e",
    Outcome.SKIPPED_NO_CONSENT: "#8a5a00",
    Outcome.DUPLICATE: "#8a5a00",
    Outcome.TYPO_SUGGESTION: "#8a5a00",
}
_CONSENT_TEXT = {
    ConsentState.GRANTED: "Granted",
    ConsentState.WITHDRAWN: "Withdrawn",
    ConsentState.NOT_GIVEN: "Not given",
    ConsentState.UNRECOGNISED: "Not recognised",
}
_KEPT_TEXT = {"granted": "Granted", "withdrawn": "Withdrawn", "none": "None"}
_FIELD_NAMES = {"first_name": "first name", "last_name": "last name"}


def consent_text(plan: Plan, index: int) -> str:
    """The Consent column: the consent the person has after the import; for someone already
    here whose consent the file leaves alone, that consent and what the file said."""
    kept = plan.kept_consent.get(index)
    state = plan.cleaned.consent[index]
    said = _CONSENT_TEXT[state]
    if kept is None:
        return said
    if kept == state.value:
        return f"{said} (already)"
    return f"{_KEPT_TEXT.get(kept, kept)}, kept (file: {said.lower()})"


ROW, EMAIL, OUTCOME, DETAILS, NAME, CONSENT = range(6)
HEADERS = ("Row", "Email", "Outcome", "What happens", "Name", "Consent")
_CACHE = 512


def describe(row: ReviewRow, plan: Plan) -> str:
    """The "what happens" text of one row: the reason, or what an update changes."""
    parts = []
    if row.outcome is Outcome.UPDATE and row.changes:
        parts.append(
            "; ".join(
                f"{_FIELD_NAMES.get(c.name, c.name)}: {c.before or '(empty)'} → {c.after}"
                for c in row.changes
            )
        )
    if row.reason:
        parts.append(row.reason)
    date_problem = plan.cleaned.date_problems.get(row.index)
    if date_problem:
        parts.append("Consent date: " + date_problem)
    if row.role_address:
        parts.append("A shared (role) address, not a person's.")
    return " ".join(parts)


class ReviewModel(QAbstractTableModel):
    """Rows of a `Plan`, all or those with chosen outcomes. The Email cell is editable:
    an edit is handed on (`editRequested`) for the wizard to check again, not applied here."""

    #: (row index in the table, new address) the user typed in an Email cell
    editRequested = Signal(int, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._plan: Plan | None = None
        self._indexes: array[int] | None = None  # None: every row, in file order
        self._filter: frozenset[Outcome] = frozenset()
        self._order: tuple[int, bool] | None = None  # (column, descending); None: file order
        self._where: array[int] | None = None  # plan row -> view row, made when first asked
        self._cache: OrderedDict[int, ReviewRow] = OrderedDict()

    # -- contents ------------------------------------------------------------------------

    @property
    def plan(self) -> Plan | None:
        return self._plan

    @property
    def outcome_filter(self) -> frozenset[Outcome]:
        return self._filter

    def set_plan(self, plan: Plan | None) -> None:
        self.beginResetModel()
        self._plan = plan
        self._cache.clear()
        self._indexes = self._select()
        self.endResetModel()

    def set_filter(self, outcomes: frozenset[Outcome]) -> None:
        """Show only rows with these outcomes (empty: every row)."""
        self.beginResetModel()
        self._filter = outcomes
        self._indexes = self._select()
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order the rows by a column (Row ascending: the file's order). "What happens"
        sorts by outcome, as its text starts with the outcome's reason."""
        descending = order == Qt.SortOrder.DescendingOrder
        wanted = None if column in (ROW, -1) and not descending else (column, descending)
        if wanted == self._order:
            return
        self.layoutAboutToBeChanged.emit()
        self._order = wanted
        self._indexes = self._select()
        self.layoutChanged.emit()

    def _select(self) -> array[int] | None:
        """The plan rows shown, in order; None: every row in file order."""
        plan = self._plan
        self._where = None
        if plan is None:
            return None
        if self._filter:
            shown = [i for i, o in enumerate(plan.outcomes) if o in self._filter]
        elif self._order is None:
            return None
        else:
            shown = list(range(len(plan)))
        if self._order is not None:
            column, descending = self._order
            keys = self._sort_keys(plan, column)
            # Stable, so rows that tie stay in file order (reversed with the rest).
            shown.sort(key=keys.__getitem__, reverse=descending)
        return array("q", shown)

    def _sort_keys(self, plan: Plan, column: int) -> Sequence[Any]:
        cleaned = plan.cleaned
        if column == ROW:
            return range(len(plan))
        if column == EMAIL:
            raw = cleaned.table.column(self._email_header())
            return [(e or r).casefold() for e, r in zip(cleaned.emails, raw, strict=True)]
        if column in (OUTCOME, DETAILS):
            rank = {o: OUTCOME_TEXT[o] for o in Outcome}
            return [rank[o] for o in plan.outcomes]
        if column == NAME:
            return [
                f"{first} {last}".strip().casefold()
                for first, last in zip(cleaned.first_names, cleaned.last_names, strict=True)
            ]
        if column == CONSENT:
            return [consent_text(plan, i) for i in range(len(plan))]
        return range(len(plan))

    def row_index(self, row: int) -> int:
        """The table row index (into the plan) shown at view row ``row``."""
        return row if self._indexes is None else self._indexes[row]

    def view_row_of(self, index: int) -> int | None:
        """The view row showing plan row ``index``, or None if filtered out."""
        if self._indexes is None:
            return index if self._plan is not None and index < len(self._plan) else None
        if self._where is None:
            assert self._plan is not None
            where = array("q", [-1]) * len(self._plan)
            for row, shown in enumerate(self._indexes):
                where[shown] = row
            self._where = where
        if not 0 <= index < len(self._where):
            return None
        row = self._where[index]
        return row if row >= 0 else None

    def review_row(self, row: int) -> ReviewRow | None:
        plan = self._plan
        if plan is None or not 0 <= row < self.rowCount():
            return None
        index = self.row_index(row)
        cached = self._cache.get(index)
        if cached is None:
            cached = plan.row(index)
            self._cache[index] = cached
            if len(self._cache) > _CACHE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(index)
        return cached

    # -- Qt model ------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() or self._plan is None:
            return 0
        return len(self._plan) if self._indexes is None else len(self._indexes)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation is Qt.Orientation.Horizontal and 0 <= section < len(HEADERS):
            if role == Qt.ItemDataRole.DisplayRole:
                return HEADERS[section]
            if role == Qt.ItemDataRole.ToolTipRole and section == ROW:
                return "The row number in the spreadsheet"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == EMAIL:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.review_row(index.row())
        if row is None:
            return None
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole and column in (DETAILS, EMAIL):
            return self._text(row, DETAILS) or None
        if role == Qt.ItemDataRole.ForegroundRole and column == OUTCOME:
            colour = _OUTCOME_COLOUR.get(row.outcome)
            return QColor(colour) if colour else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == ROW:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, row: ReviewRow, column: int) -> str:
        plan = self._plan
        assert plan is not None
        if column == ROW:
            return str(row.row_number)
        if column == EMAIL:
            return row.email or plan.cleaned.table.column(self._email_header())[row.index]
        if column == OUTCOME:
            text = OUTCOME_TEXT[row.outcome]
            if row.outcome is Outcome.DUPLICATE and row.duplicate_of_row is not None:
                text += f" of row {row.duplicate_of_row}"
            return text
        if column == DETAILS:
            return describe(row, plan)
        if column == NAME:
            cleaned = plan.cleaned
            return " ".join(
                p for p in (cleaned.first_names[row.index], cleaned.last_names[row.index]) if p
            )
        if column == CONSENT:
            return consent_text(plan, row.index)
        return ""

    def _email_header(self) -> str:
        from mjdesk.core.importing import Role

        assert self._plan is not None
        return self._plan.cleaned.mapping.header_for(Role.EMAIL) or ""

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or index.column() != EMAIL or role != Qt.ItemDataRole.EditRole:
            return False
        row = self.review_row(index.row())
        text = str(value).strip()
        if row is None or text == row.email:
            return False
        self.editRequested.emit(row.index, text)
        return True
