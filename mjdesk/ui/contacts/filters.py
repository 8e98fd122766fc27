"""The Contacts page's filter panel: consent, flags, lists, source file and import, each
choice with the number of contacts it would show (see mjdesk.core.filters).

Ticking choices narrows the table at once; the counts follow from a background read, so a
million contacts never hold the window up: the first count reads who has which value into
an index (mjdesk.core.facet_index), and every count after is a few vector sums, until the
workspace changes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mjdesk.core.contacts import ContactQuery, plan_view
from mjdesk.core.facet_index import FacetIndex
from mjdesk.core.filters import ContactFilter, Facet, FacetChoice
from mjdesk.core.work import CancelToken
from mjdesk.ui.common.tasks import TaskRunner

if TYPE_CHECKING:
    import numpy as np

_TITLES = {
    Facet.CONSENT: "Consent",
    Facet.FLAG: "Flags",
    Facet.LIST: "Lists",
    Facet.SOURCE: "Source file",
    Facet.IMPORT: "Import",
}
_VALUE = Qt.ItemDataRole.UserRole
_COUNT = Qt.ItemDataRole.UserRole + 1
_LABEL = Qt.ItemDataRole.UserRole + 2
#: ticks within this time make one filter change (one query, one count)
FILTER_DELAY_MS = 120


class _Counted(NamedTuple):
    facets: FacetIndex
    found: np.ndarray | None
    counts: dict[Facet, list[FacetChoice]]


def matches(con: sqlite3.Connection, text: str, cancel: CancelToken) -> np.ndarray:
    """The ids of every contact a search finds (what the counts narrow by)."""
    import numpy as np

    view = plan_view(con, ContactQuery(text), cancel)
    found: np.ndarray = np.frombuffer(view.ids or b"", dtype=np.int64).copy()
    return found


class FilterPanel(QWidget):
    """Ticked choices make a :class:`ContactFilter`; `set_query` brings the counts up to
    date for what the table shows."""

    #: the ticked choices changed: the new ContactFilter
    filterChanged = Signal(object)
    #: counts for every facet are up to date with the query shown (for tests and the bench)
    countsShown = Signal()

    def __init__(
        self,
        reading: Callable[[], AbstractContextManager[sqlite3.Connection]],
        runner: TaskRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("filterPanel")
        self.reading = reading
        self.runner = runner
        self._index: FacetIndex | None = None
        self._found: dict[str, np.ndarray] = {}
        self._token: CancelToken | None = None
        self._query = ContactQuery()
        self._shown: tuple[object, ...] | None = None  # what the counts on screen are for
        self._filling = False

        self.tree = QTreeWidget(self)
        self.tree.setObjectName("contactFilters")
        self.tree.setAccessibleName("Filters")
        self.tree.setAccessibleDescription(
            "Tick choices to show only those contacts; the number is how many each would show"
        )
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.groups: dict[Facet, QTreeWidgetItem] = {}
        for facet, title in _TITLES.items():
            group = QTreeWidgetItem(self.tree, [title])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            group.setData(0, _VALUE, facet.value)
            self.groups[facet] = group
        self.groups[Facet.CONSENT].setExpanded(True)
        self.groups[Facet.FLAG].setExpanded(True)
        self.tree.itemChanged.connect(self._ticked)

        self.clear_button = QPushButton("Clear filters", self)
        self.clear_button.setObjectName("clearFilters")
        self.clear_button.setAccessibleName("Clear filters")
        self.clear_button.setEnabled(False)
        self.clear_button.clicked.connect(self.clear)
        self.note = QLabel("Counting…", self)
        self.note.setObjectName("filterNote")
        self.note.setAccessibleName("Filter counts")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.clear_button)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FILTER_DELAY_MS)
        self._timer.timeout.connect(self._emit_filter)

    # -- the filter ----------------------------------------------------------------------

    def current_filter(self) -> ContactFilter:
        wanted = ContactFilter()
        for facet, group in self.groups.items():
            values = frozenset(
                item.data(0, _VALUE)
                for item in _children(group)
                if item.checkState(0) == Qt.CheckState.Checked
            )
            wanted = wanted.with_values(facet, values)
        return wanted

    def pick(self, facet: Facet, value: object, ticked: bool = True) -> None:
        """Tick (or untick) one choice, as a click would."""
        item = self._item(facet, value)
        if item is None:
            raise KeyError(f"{facet.value} has no choice {value!r}")
        item.setCheckState(0, Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)

    def clear(self) -> None:
        self._filling = True
        try:
            for group in self.groups.values():
                for item in _children(group):
                    item.setCheckState(0, Qt.CheckState.Unchecked)
        finally:
            self._filling = False
        self._emit_filter()

    def _ticked(self, item: QTreeWidgetItem, _column: int) -> None:
        if self._filling or item.parent() is None:
            return
        self._timer.start()

    def _emit_filter(self) -> None:
        self._timer.stop()
        wanted = self.current_filter()
        self.clear_button.setEnabled(not wanted.empty)
        self.filterChanged.emit(wanted)

    # -- counts --------------------------------------------------------------------------

    def forget_counts(self) -> None:
        """The workspace changed: the index behind the counts is read again next time."""
        self._index = None
        self._found.clear()
        self._shown = None
        if self._token is not None:  # (counting from what is now out of date)
            self._token.cancel()
            self._token = None

    def choice(self, facet: Facet, value: object) -> FacetChoice | None:
        """A choice as the panel shows it now (None: not offered)."""
        item = self._item(facet, value)
        if item is None:
            return None
        return FacetChoice(value, str(item.data(0, _LABEL)), int(item.data(0, _COUNT) or 0))

    def set_query(self, query: ContactQuery) -> None:
        """Bring the counts up to date for ``query`` (its filter and search)."""
        counted_for = (query.filter, query.terms, query.cutoff)
        if self._token is None and counted_for == self._shown:
            return  # (the counts shown are for this filter and search already: a new
            # order, or the rest of a result arriving, changes none of them)
        if self._token is not None:
            if query == self._query:
                return  # (already being counted)
            self._token.cancel()
        self._query = query
        self.note.setText("Counting…")
        reading = self.reading
        index = self._index
        text = " ".join(query.terms)
        found = self._found.get(text)

        def count(cancel: CancelToken) -> _Counted:
            nonlocal index, found
            with reading() as con:
                if index is None or index.cutoff != query.cutoff:
                    index = FacetIndex.read(con, query.cutoff, cancel)
                if text and found is None:
                    found = matches(con, query.text, cancel)
            counts = {facet: index.count(facet, query.filter, found) for facet in Facet}
            return _Counted(index, found, counts)

        def done(counted: _Counted) -> None:
            if self._token is not mine[0]:
                return  # (a later count took over)
            self._token = None
            self._index = counted.facets
            self._shown = counted_for
            if text and counted.found is not None:
                self._found = {text: counted.found}  # (one search kept: the one shown)
            for facet, choices in counted.counts.items():
                self._show(facet, choices)
            self.note.setText("")
            self.countsShown.emit()

        def failed(exc: Exception) -> None:
            if self._token is mine[0]:
                self._token = None
                self.note.setText(f"The counts could not be read: {exc}")

        def cancelled() -> None:
            if self._token is mine[0]:
                self._token = None

        mine: list[CancelToken] = []
        self._token = self.runner.submit(count, done, failed, on_cancelled=cancelled)
        mine.append(self._token)

    def _item(self, facet: Facet, value: object) -> QTreeWidgetItem | None:
        for item in _children(self.groups[facet]):
            if item.data(0, _VALUE) == value:
                return item
        return None

    def _show(self, facet: Facet, choices: list[FacetChoice]) -> None:
        """Put the choices of ``facet`` in the tree, keeping what is ticked (a ticked
        choice stays even at 0, so it can be unticked)."""
        group = self.groups[facet]
        ticked = {
            item.data(0, _VALUE)
            for item in _children(group)
            if item.checkState(0) == Qt.CheckState.Checked
        }
        offered = [c for c in choices if c.contacts or c.value in ticked or facet is Facet.CONSENT]
        self._filling = True
        try:
            items = _children(group)
            for extra in items[len(offered) :]:
                group.removeChild(extra)
            for i, choice in enumerate(offered):
                item = items[i] if i < len(items) else QTreeWidgetItem(group)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                item.setText(0, f"{choice.label}  ({choice.contacts:,})")
                item.setToolTip(0, f"{choice.label}: {choice.contacts:,} contacts")
                item.setData(0, _LABEL, choice.label)
                item.setData(0, _VALUE, choice.value)
                item.setData(0, _COUNT, choice.contacts)
                item.setCheckState(
                    0, Qt.CheckState.Checked if choice.value in ticked else Qt.CheckState.Unchecked
                )
            total = sum(c.contacts for c in choices) if facet is Facet.CONSENT else None
            title = _TITLES[facet]
            group.setText(0, title if total is None else f"{title}  ({total:,})")
            if not offered:
                empty = QTreeWidgetItem(group, ["none"])
                empty.setFlags(Qt.ItemFlag.NoItemFlags)
                empty.setData(0, _VALUE, None)
        finally:
            self._filling = False


def _children(group: QTreeWidgetItem) -> list[QTreeWidgetItem]:
    return [item for i in range(group.childCount()) if (item := group.child(i)) is not None]
