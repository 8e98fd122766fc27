"""The Preview page's tables: the mailings to pick from, and the pre-flight checklist."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from mjdesk.core.preview.checks import CheckResult, Status
from mjdesk.core.preview.mail import MailKind

Index = QModelIndex | QPersistentModelIndex

#: Mailjet's campaign draft statuses (``campaigndraft`` Status)
DRAFT_STATUS = {-2: "Deleted", -1: "Archived", 0: "Draft", 1: "Scheduled", 2: "Sent", 3: "A/X test"}


@dataclass(frozen=True)
class MailingRow:
    """One line of the mailings list: a cached draft or template, or a local file."""

    kind: MailKind
    source_id: str
    title: str
    subject: str
    status: str
    list_name: str
    modified: str


class _Table(QAbstractTableModel):
    headers: tuple[str, ...] = ()

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.headers)
        ):
            return self.headers[section]
        return None


class MailingsModel(_Table):
    """Drafts and templates from the workspace's copy, and the local files opened."""

    headers = ("Title", "Kind", "Status", "List", "Modified", "Subject")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[MailingRow] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def set_rows(self, rows: Sequence[MailingRow]) -> None:
        """Show ``rows``, with the local files opened so far kept at the top."""
        files = [r for r in self.rows if r.kind == MailKind.FILE]
        self.beginResetModel()
        self.rows = files + list(rows)
        self.endResetModel()

    def add_file(self, row: MailingRow) -> int:
        """Add (or find) a local file; its row."""
        for number, known in enumerate(self.rows):
            if known.kind == MailKind.FILE and known.source_id == row.source_id:
                return number
        self.beginInsertRows(QModelIndex(), 0, 0)
        self.rows.insert(0, row)
        self.endInsertRows()
        return 0

    def remove_file(self, source_id: str) -> None:
        """Take a local file off the list (one that could not be opened)."""
        row = self.find(MailKind.FILE, source_id)
        if row is not None:
            self.beginRemoveRows(QModelIndex(), row, row)
            del self.rows[row]
            self.endRemoveRows()

    def find(self, kind: MailKind, source_id: str) -> int | None:
        for number, row in enumerate(self.rows):
            if row.kind == kind and row.source_id == source_id:
                return number
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return (
                row.title,
                str(row.kind).capitalize(),
                row.status,
                row.list_name,
                row.modified,
                row.subject,
            )[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{row.title}\n{row.subject}" if row.subject else row.title
        return None


_STATUS_TEXT = {Status.PASS: "✓ Pass", Status.WARN: "! Warn", Status.FAIL: "✗ Fail"}
_STATUS_COLOUR = {Status.PASS: "#1b6e20", Status.WARN: "#8a5a00", Status.FAIL: "#b3261e"}


class ChecklistModel(_Table):
    """The checks, each with its status and one-line reason."""

    headers = ("Result", "Check", "Reason")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.results: list[CheckResult] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.results)

    def set_results(self, results: Sequence[CheckResult]) -> None:
        self.beginResetModel()
        self.results = list(results)
        self.endResetModel()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.results):
            return None
        result = self.results[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (_STATUS_TEXT[result.status], result.title, result.reason)[column]
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return (str(result.status), result.title, result.reason)[column]
        if role == Qt.ItemDataRole.ForegroundRole and column == 0:
            return QColor(_STATUS_COLOUR[result.status])
        if role == Qt.ItemDataRole.ToolTipRole:
            more = f" ({len(result.cases):,} cases: select it to see them)" if result.cases else ""
            return result.reason + more
        return None
