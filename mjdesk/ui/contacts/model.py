"""The Contacts table model: a window onto a workspace query, rows fetched lazily in blocks."""

from __future__ import annotations

import logging
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Signal,
)
from PySide6.QtGui import QColor

from mjdesk.core.contacts import (
    ContactQuery,
    ContactRow,
    ContactView,
    SortKey,
    complete_view,
    fetch_rows,
    plan_view,
)
from mjdesk.core.flags import flag_labels
from mjdesk.core.work import CancelToken
from mjdesk.core.workspace import is_damage
from mjdesk.ui.common.qt_numbers import (
    ASCENDING,
    DESCENDING,
    DISPLAY_ROLE,
    FOREGROUND_ROLE,
    HORIZONTAL,
    TOOLTIP_ROLE,
)
from mjdesk.ui.common.tasks import TaskRunner

if TYPE_CHECKING:
    from PySide6.QtCore import Qt

log = logging.getLogger(__name__)

_BLOCK = 128  # rows read at once: a screenful or two, so the first paint reads little
_CACHED_BLOCKS = 128
_DISPLAY = DISPLAY_ROLE
_TOOLTIP = TOOLTIP_ROLE
_FOREGROUND = FOREGROUND_ROLE
_CONSENT_COLOURS: dict[str, QColor] = {}


def _consent_colour(status: str) -> QColor | None:
    """Green for granted, amber when too old, red for withdrawn: a glance tells who may be
    mailed. (The text says it too, for screen readers and colour-blind users.)"""
    if not _CONSENT_COLOURS:
        _CONSENT_COLOURS.update(
            granted=QColor("#1b7f3b"), stale=QColor("#8a5a00"), withdrawn=QColor("#b3261e")
        )
    return _CONSENT_COLOURS.get(status)


_CONSENT_TEXT = {
    "granted": "Granted",
    "stale": "Too old",
    "withdrawn": "Withdrawn",
    "none": "No consent",
}


def _status(row: ContactRow, cutoff: str) -> str:
    """The row's consent, with a grant older than ``cutoff`` (the retention period) as
    "stale"."""
    if row.consent_status == "granted" and cutoff and (row.consent_at or "") < cutoff:
        return "stale"
    return row.consent_status


def _consent_date(row: ContactRow) -> str:
    return (row.consent_at or "")[:10]


# (header, sort key, how a row shows in the column)
COLUMNS: tuple[tuple[str, SortKey, Callable[[ContactRow], str]], ...] = (
    ("Email", SortKey.EMAIL, lambda r: r.email),
    ("Name", SortKey.NAME, lambda r: r.name),
    ("Consent", SortKey.CONSENT, lambda r: _CONSENT_TEXT.get(r.consent_status, r.consent_status)),
    ("Consent date", SortKey.CONSENT_DATE, _consent_date),
    ("Source", SortKey.SOURCE, lambda r: r.consent_source),
    ("Lists", SortKey.LISTS, lambda r: r.lists),
    ("Subscription", SortKey.SUBSCRIPTION, lambda r: r.subscription),
    ("Flags", SortKey.FLAGS, lambda r: flag_labels(r.flags)),
)

Index = QModelIndex | QPersistentModelIndex
_CONSENT_COLUMN = [c[0] for c in COLUMNS].index("Consent")


class ContactsModel(QAbstractTableModel):
    """Shows a :class:`ContactView`. Searching runs on a worker; paging runs here, in blocks."""

    #: a new query's result is in place: (rows shown, query)
    viewChanged = Signal(int, object)
    #: a query is running (True) or finished (False)
    busyChanged = Signal(bool)
    #: a query failed; the message is for the user
    queryFailed = Signal(str)

    def __init__(
        self,
        open_reader: Callable[[], sqlite3.Connection],
        reading: Callable[[], AbstractContextManager[sqlite3.Connection]],
        runner: TaskRunner,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._reading = reading
        self._con = open_reader()
        self._runner = runner
        self._view = ContactView(ContactQuery(), 0)
        self._requested = self._view.query
        self._blocks: OrderedDict[int, list[ContactRow]] = OrderedDict()
        self._pending: CancelToken | None = None
        self._generation = 0
        self._started = False

    # -- the query -----------------------------------------------------------------------

    @property
    def query(self) -> ContactQuery:
        """The query last asked for (its result may still be on its way)."""
        return self._requested

    @property
    def cutoff(self) -> str:
        """The time before which a granted consent shows as too old ("": not known yet)."""
        return self._requested.cutoff

    @property
    def view(self) -> ContactView:
        return self._view

    def set_query(self, query: ContactQuery) -> None:
        """Show ``query``; a search runs in the background, a plain listing at once."""
        self._started = True
        self._requested = query
        self._generation += 1
        generation = self._generation
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        if not query.terms and query.filter.empty:
            # Counting the table and reading one page are index look-ups: no need to wait.
            self._apply(plan_view(self._con, query))
            self.busyChanged.emit(False)
            return
        self.busyChanged.emit(True)
        reading = self._reading

        def first(cancel: CancelToken) -> ContactView:
            with reading() as con:
                return plan_view(con, query, cancel, first_page=True)

        def rest(cancel: CancelToken, view: ContactView) -> ContactView:
            with reading() as con:
                return complete_view(con, view, cancel)

        def first_done(view: ContactView) -> None:
            if generation != self._generation:
                return
            self._apply(view)
            if view.complete:
                self._pending = None
                self.busyChanged.emit(False)
            else:  # a broad search: its first page is up, the rest follows
                self._pending = self._runner.submit(
                    lambda cancel: rest(cancel, view), rest_done, failed
                )

        def rest_done(view: ContactView) -> None:
            if generation == self._generation:
                self._pending = None
                self._extend(view)
                self.busyChanged.emit(False)

        def failed(exc: Exception) -> None:
            if generation == self._generation:
                self._pending = None
                self.busyChanged.emit(False)
                self.queryFailed.emit(f"The search could not run: {exc}")

        self._pending = self._runner.submit(first, first_done, failed)

    def refresh(self) -> None:
        """Run the current query again (after contacts came or went)."""
        self.set_query(self._requested)

    def refresh_contacts(self, ids: Collection[int]) -> None:
        """Read these contacts again where they are cached (they were edited in place); the
        rows keep their places until the next query, so the view does not jump."""
        wanted = set(ids)
        for block, rows in list(self._blocks.items()):
            if any(row.id in wanted for row in rows):
                del self._blocks[block]
                first = block * _BLOCK
                last = min(first + len(rows), self._view.total) - 1
                if last >= first:
                    self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))

    def _apply(self, view: ContactView) -> None:
        self.beginResetModel()
        self._view = view
        self._blocks.clear()
        self.endResetModel()
        self.viewChanged.emit(view.total, view.query)

    def _extend(self, view: ContactView) -> None:
        """Take the complete result of the view on screen, keeping the rows already shown."""
        shown = self._view.total
        old, new = self._view.ids, view.ids
        if old is None or new is None or list(new[:shown]) != list(old):
            self._apply(view)  # not an extension after all (the workspace changed meanwhile)
            return
        if view.total > shown:
            self.beginInsertRows(QModelIndex(), shown, view.total - 1)
            self._view = view
            self._blocks.pop(shown // _BLOCK, None)  # the block at the seam was partial
            self.endInsertRows()
        else:
            self._view = view
        self.viewChanged.emit(view.total, view.query)

    def all_ids(self, cancel: CancelToken | None = None) -> list[int]:
        """Every contact the current query shows, in order (for "select all N matching"):
        read on a reading connection, so call it off the GUI thread."""
        with self._reading() as con:
            view = complete_view(con, self._view, cancel)
            if view.ids is not None:
                return list(view.ids)
            order = view.query.sort.order_by(view.query.descending)
            every = f"SELECT id FROM {view.query.rows} ORDER BY {order}"
            return [row[0] for row in con.execute(every)]

    def close(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
        self._con.close()

    # -- rows ----------------------------------------------------------------------------

    def row_at(self, row: int) -> ContactRow | None:
        if not 0 <= row < self._view.total:
            return None
        block = row // _BLOCK
        rows = self._blocks.get(block)
        if rows is None:
            try:
                rows = fetch_rows(self._con, self._view, block * _BLOCK, _BLOCK)
            except sqlite3.DatabaseError as exc:
                if not is_damage(exc):
                    raise
                # (the window's banner says the file is damaged; these rows stay blank)
                log.warning("Rows %d+ of the Contacts table are on a damaged page", block * _BLOCK)
                rows = []
            self._blocks[block] = rows
            if len(self._blocks) > _CACHED_BLOCKS:
                self._blocks.popitem(last=False)
        else:
            self._blocks.move_to_end(block)
        offset = row - block * _BLOCK
        return rows[offset] if offset < len(rows) else None

    # -- QAbstractTableModel -------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._view.total

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        # Called for every role of every visible cell: the cheap refusals come first.
        if role == _FOREGROUND:
            if index.column() != _CONSENT_COLUMN:
                return None
            row = self.row_at(index.row())
            return None if row is None else _consent_colour(_status(row, self.cutoff))
        if role != _DISPLAY and role != _TOOLTIP:
            return None
        column = index.column()
        if not 0 <= column < len(COLUMNS) or not index.isValid():
            return None
        row = self.row_at(index.row())
        if row is None:
            return None
        if column == _CONSENT_COLUMN:
            status = _status(row, self.cutoff)
            text = _CONSENT_TEXT.get(status, status)
        else:
            text = COLUMNS[column][2](row)
        if role == _TOOLTIP:
            return text or None
        return text

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        # What screen readers announce for a column header. The table's header shows
        # ContactsPage's titles instead: PySide builds every Qt enum to hand this method
        # its orientation, which the first paint must not wait for.
        if role != _DISPLAY:
            return None
        if getattr(orientation, "value", orientation) == HORIZONTAL:
            return COLUMNS[section][0] if 0 <= section < len(COLUMNS) else None
        return section + 1

    def sort(self, column: int, order: Qt.SortOrder | int = ASCENDING) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        descending = getattr(order, "value", order) == DESCENDING
        query = self._requested._replace(sort=COLUMNS[column][1], descending=descending)
        if query == self._requested:
            return  # (the view asks once when sorting is turned on)
        if self._started:
            self.set_query(query)
        else:  # the view is still being set up: remember the order, run nothing yet
            self._view = ContactView(query, 0)
            self._requested = query
