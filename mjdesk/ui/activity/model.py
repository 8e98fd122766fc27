"""The Activity page's table: the journal, newest first, read a page at a time off the GUI
thread as the view scrolls (Qt's canFetchMore/fetchMore)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from mjdesk.core.activity import (
    PAGE,
    ActivityEntry,
    ActivityFilter,
    count_activity,
    list_activity,
    when_text,
)
from mjdesk.core.work import CancelToken

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable

    from PySide6.QtCore import QObject

    from mjdesk.ui.common.tasks import TaskRunner

Index = QModelIndex | QPersistentModelIndex


def _status(entry: ActivityEntry) -> str:
    return "" if entry.undone_at is None else f"Undone {when_text(entry.undone_at)}"


COLUMNS: tuple[tuple[str, Callable[[ActivityEntry], str]], ...] = (
    ("When (UTC)", lambda e: when_text(e.at)),
    ("Who", lambda e: e.actor),
    ("Kind", lambda e: e.kind),
    ("What", lambda e: e.summary),
    ("How many", lambda e: f"{e.how_many:,}"),
    ("Status", _status),
)
COUNT_COLUMN = 4


class ActivityModel(QAbstractTableModel):
    """Shows the entries an `ActivityFilter` selects; the next page is read when the view
    asks for it, so a history of any length opens as fast as a short one."""

    #: a filter's first page is in place: (how many entries match in all)
    loaded = Signal(int)
    #: reading failed; the message is for the user
    failed = Signal(str)

    def __init__(
        self,
        reading: Callable[[], AbstractContextManager[sqlite3.Connection]],
        runner: TaskRunner,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._reading = reading
        self._runner = runner
        self._filter = ActivityFilter()
        self._entries: list[ActivityEntry] = []
        self._total = 0
        self._generation = 0
        self._fetching = False
        self._pending: CancelToken | None = None

    @property
    def filter(self) -> ActivityFilter:
        return self._filter

    @property
    def total(self) -> int:
        """How many entries match (not all of them are read yet)."""
        return self._total

    def entry(self, row: int) -> ActivityEntry | None:
        return self._entries[row] if 0 <= row < len(self._entries) else None

    def row_of(self, activity_id: int) -> int | None:
        for row, entry in enumerate(self._entries):
            if entry.id == activity_id:
                return row
        return None

    def set_filter(self, where: ActivityFilter) -> None:
        """Show the entries ``where`` selects (read in the background; `loaded` follows)."""
        self._filter = where
        self._generation += 1
        generation = self._generation
        if self._pending is not None:
            self._pending.cancel()
        reading = self._reading

        def work(_cancel: CancelToken) -> tuple[int, list[ActivityEntry]]:
            with reading() as con:
                return count_activity(con, where), list_activity(con, where)

        def done(found: tuple[int, list[ActivityEntry]]) -> None:
            if generation != self._generation:
                return
            self._pending = None
            self.beginResetModel()
            self._total, self._entries = found
            self._fetching = False
            self.endResetModel()
            self.loaded.emit(self._total)

        self._pending = self._runner.submit(work, done, self._failed)

    def refresh(self) -> None:
        """Read the same filter again (the workspace changed)."""
        self.set_filter(self._filter)

    def _failed(self, exc: Exception) -> None:
        self._fetching = False
        self.failed.emit(f"The activity could not be read ({exc}).")

    # -- paging --------------------------------------------------------------------------

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._fetching and len(self._entries) < self._total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent) or not self._entries:
            return
        self._fetching = True
        generation, where, before = self._generation, self._filter, self._entries[-1].id
        reading = self._reading

        def work(_cancel: CancelToken) -> list[ActivityEntry]:
            with reading() as con:
                return list_activity(con, where, before=before, limit=PAGE)

        def done(page: list[ActivityEntry]) -> None:
            if generation != self._generation:
                return
            if page:
                first = len(self._entries)
                # (still fetching: a view told of the new rows may ask for more at once)
                self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
                self._entries.extend(page)
                self.endInsertRows()
            else:
                self._total = len(self._entries)  # (entries went meanwhile)
            self._fetching = False

        self._runner.submit(work, done, self._failed)

    # -- QAbstractTableModel -------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        entry = self.entry(index.row())
        column = index.column()
        if entry is None or not 0 <= column < len(COLUMNS):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return COLUMNS[column][1](entry)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == COUNT_COLUMN:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section][0] if 0 <= section < len(COLUMNS) else None
        return section + 1

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
