"""The tables of the Lists and Sync pages: the lists with their counts, and a plan's rows
(filtered by what a push would do, or by why a contact is blocked)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from mjdesk.core.activity import when_text
from mjdesk.core.sync.lists import ListOverview
from mjdesk.core.sync.plan import Action, PlanRow

Index = QModelIndex | QPersistentModelIndex
Row = TypeVar("Row")


def _count(value: int) -> str:
    return f"{value:,}"


class _ColumnsModel(QAbstractTableModel, Generic[Row]):
    """A table of ``rows``, one column per (title, text of a row) of ``columns``; those
    whose numbers ``numeric`` gives are aligned right."""

    columns: tuple[tuple[str, Callable[[Row], str]], ...] = ()
    numeric: frozenset[int] = frozenset()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[Row] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.columns[index.column()][1](self.rows[index.row()])
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in self.numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.columns)
        ):
            return self.columns[section][0]
        return None


class ListsModel(_ColumnsModel[ListOverview]):
    """Each list of the workspace with its counts."""

    columns = (
        ("List", lambda o: o.name),
        ("Mailjet list", lambda o: f"#{o.mailjet_id}" if o.linked else "Not linked"),
        ("Members", lambda o: _count(o.members)),
        ("Subscribed", lambda o: _count(o.subscribed)),
        ("Unsubscribed", lambda o: _count(o.unsubscribed)),
        ("Never synced", lambda o: _count(o.never_synced) if o.linked else ""),
        ("Removed in Mailjet", lambda o: _count(o.removed) if o.linked else ""),
        ("Last pulled (UTC)", lambda o: when_text(o.pulled_at) if o.pulled_at else "Never"),
    )
    numeric = frozenset({2, 3, 4, 5, 6})

    def set_lists(self, lists: Sequence[ListOverview]) -> None:
        self.beginResetModel()
        self.rows = list(lists)
        self.endResetModel()


class PlanModel(_ColumnsModel[PlanRow]):
    """A plan's rows, those a filter keeps: all, one action, or the blocked ones with one
    reason (``"blocked:<reason>"``)."""

    columns = (
        ("Address", lambda r: r.email or f"(erased here; Mailjet contact #{r.mailjet_id})"),
        ("Push will", lambda r: r.action.label),
        ("Why", lambda r: r.reason),
    )

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.all_rows: list[PlanRow] = []
        self.choice = ""

    def set_plan(self, rows: Sequence[PlanRow]) -> None:
        self.all_rows = list(rows)
        self.show_only(self.choice)

    def show_only(self, choice: str) -> None:
        """Keep the rows ``choice`` names ("" all, an action's stored name, or
        "blocked:<reason>")."""
        self.beginResetModel()
        self.choice = choice
        if not choice:
            self.rows = list(self.all_rows)
        elif choice.startswith("blocked:"):
            reason = choice.removeprefix("blocked:")
            self.rows = [
                r for r in self.all_rows if r.action is Action.BLOCKED and r.reason == reason
            ]
        else:
            self.rows = [r for r in self.all_rows if r.action.stored == choice]
        self.endResetModel()
