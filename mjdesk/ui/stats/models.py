"""The Statistics page's tables: the sent campaigns (sortable, filtered by date and list, with a
totals row that stays last), and the small tables of a campaign's detail, a comparison and a
list. Every column has its definition as the header's tooltip."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, NamedTuple, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from mjdesk.core.stats.cache import CampaignDetail, LinkClicks, ProviderFigures
from mjdesk.core.stats.figures import COUNTS, RATES, CampaignFigures, totals

Index = QModelIndex | QPersistentModelIndex
Row = TypeVar("Row")

VALUE_ROLE = Qt.ItemDataRole.UserRole + 1
"""A cell's value as a number (or text), not as shown: what sorting and the tests compare."""
CAMPAIGN_ROLE = Qt.ItemDataRole.UserRole + 2
"""The campaign id of a row of campaigns (0 for the totals row)."""


def count_text(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def percent_text(value: object) -> str:
    """A rate as shown: two decimals and a percent sign; a dash where it divides by zero."""
    return "–" if not isinstance(value, float) else f"{100 * value:.2f} %"


def when_text(stamp: object) -> str:
    """``2026-11-02T09:30:00Z`` as ``2026-11-02 09:30`` (UTC)."""
    return str(stamp).replace("T", " ")[:16]


class Column(NamedTuple, Generic[Row]):
    """One column: its title, its definition (the header's tooltip), the value of a row, and
    how that value is shown."""

    title: str
    tooltip: str
    value: Callable[[Row], object]
    text: Callable[[object], str] = str
    numeric: bool = True
    newest_first: bool = False
    """A date: sorted newest first on a first click (as numbers are, largest first)."""


def _count_column(key: str, title: str, text: str) -> Column[CampaignFigures]:
    return Column(title, text, lambda row: getattr(row, key), count_text)


def header_text(label: str) -> str:
    """A long column name on two lines, its parenthesis on the second (so a column need not
    be as wide as "Click-to-open % (Mailjet's “% Clicked”)" to show it whole)."""
    return label.replace(" (", "\n(", 1)


def one_line(title: str) -> str:
    """A header's text as one line: the name a rate has everywhere else (exports, reports)."""
    return " ".join(title.split())


def _rate_column(key: str, label: str, text: str) -> Column[CampaignFigures]:
    return Column(header_text(label), text, lambda row: row.rate(key), percent_text)


CAMPAIGN_COLUMNS: tuple[Column[CampaignFigures], ...] = (
    Column(
        "Sent at (UTC)",
        "When Mailjet started sending.",
        lambda r: r.sent_at,
        when_text,
        numeric=False,
        newest_first=True,
    ),
    Column("Subject", "The campaign's subject line.", lambda r: r.subject, str, False),
    Column("List", "The Mailjet list it was sent to.", lambda r: r.list_name, str, False),
    *(_count_column(key, title, text) for key, title, text in COUNTS),
    *(_rate_column(rate.key, rate.label, rate.definition) for rate in RATES),
)
FIRST_RATE_COLUMN = 3 + len(COUNTS)


class ColumnsModel(QAbstractTableModel, Generic[Row]):
    """A read-only table of ``rows`` over ``columns``, sortable by any column."""

    def __init__(self, columns: Sequence[Column[Row]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        self.rows: list[Row] = []
        self._sort: tuple[int, Qt.SortOrder] | None = None

    def set_rows(self, rows: Sequence[Row]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self._sorted()
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def row_at(self, row: int) -> Row | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None:
            return None
        column = self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return column.text(column.value(row))
        if role == VALUE_ROLE:
            return column.value(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and not column.numeric:
            return column.text(column.value(row))  # (long subjects and addresses)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].title
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.columns[section].tooltip
        if role == Qt.ItemDataRole.InitialSortOrderRole:
            # Counts, rates and dates: the largest (the newest) first on a first click.
            column = self.columns[section]
            first_down = column.numeric or column.newest_first
            return Qt.SortOrder.DescendingOrder if first_down else Qt.SortOrder.AscendingOrder
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        self.layoutAboutToBeChanged.emit()
        self._sort = (column, order)
        self._sorted()
        self.layoutChanged.emit()

    def _sorted(self) -> None:
        if self._sort is None:
            return
        column, order = self._sort
        value = self.columns[column].value

        def key(row: Row) -> tuple[int, Any]:
            found = value(row)
            if found is None:  # (a rate over nothing sorts below every rate)
                return (0, 0)
            return (1, found.casefold() if isinstance(found, str) else found)

        self.rows.sort(key=key, reverse=order == Qt.SortOrder.DescendingOrder)


class CampaignsModel(ColumnsModel[CampaignFigures]):
    """Every cached sent campaign the filter lets through, then the totals row (always last,
    not selectable: its rates are made from the sums, not averaged)."""

    def __init__(self, parent: QObject | None = None, *, with_totals: bool = True) -> None:
        super().__init__(CAMPAIGN_COLUMNS, parent)
        self.everything: list[CampaignFigures] = []
        self.with_totals = with_totals
        self.total: CampaignFigures | None = None
        self.since = self.until = self.list_name = ""

    def set_campaigns(self, campaigns: Sequence[CampaignFigures]) -> None:
        self.everything = list(campaigns)
        self._filter()

    def set_filter(self, since: str = "", until: str = "", list_name: str = "") -> None:
        """Only campaigns sent from ``since`` to ``until`` (``YYYY-MM-DD``, both included)
        to ``list_name``; an empty value does not filter."""
        self.since, self.until, self.list_name = since, until, list_name
        self._filter()

    def _filter(self) -> None:
        shown = [
            row
            for row in self.everything
            if (not self.since or row.sent_at[:10] >= self.since)
            and (not self.until or row.sent_at[:10] <= self.until)
            and (not self.list_name or row.list_name == self.list_name)
        ]
        self.beginResetModel()
        self.rows = shown
        self._sorted()
        # (kept when nothing matches, saying "0 campaigns": the filter emptied the table)
        self.total = totals(shown) if self.with_totals and self.everything else None
        self.endResetModel()

    @property
    def campaigns(self) -> list[CampaignFigures]:
        """The campaigns shown, in the order shown (the totals row not among them)."""
        return list(self.rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid():
            return 0
        return len(self.rows) + (self.total is not None)

    def row_at(self, row: int) -> CampaignFigures | None:
        if row == len(self.rows) and self.total is not None:
            return self.total
        return super().row_at(row)

    def is_total(self, row: int) -> bool:
        return self.total is not None and row == len(self.rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if self.is_total(index.row()):
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setBold(True)
                return font
            if index.column() == 0 and role in (
                Qt.ItemDataRole.DisplayRole,
                Qt.ItemDataRole.AccessibleTextRole,
            ):
                return "Total"
        if role == CAMPAIGN_ROLE:
            found = self.row_at(index.row())
            return None if found is None else found.campaign_id
        return super().data(index, role)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if index.isValid() and self.is_total(index.row()):
            return Qt.ItemFlag.ItemIsEnabled
        return super().flags(index)


LINK_COLUMNS: tuple[Column[LinkClicks], ...] = (
    Column("Link", "The address in the message.", lambda k: k.url, str, False),
    Column(
        "Clicks",
        "Clicks on this link, a recipient clicking twice counted twice.",
        lambda k: k.clicked_events,
        count_text,
    ),
    Column(
        "Share of clicks",
        "This link's part of all clicks on the campaign's links (the shares add up to 100 %).",
        lambda k: k.share,
        percent_text,
    ),
    Column(
        "Messages clicked",
        "Messages in which this link was clicked at least once.",
        lambda k: k.clicked_messages,
        count_text,
    ),
)

PROVIDER_COLUMNS: tuple[Column[ProviderFigures], ...] = (
    Column(
        "Mailbox provider", "Where the recipients' mail is kept.", lambda p: p.provider, str, False
    ),
    Column("Delivered", "Messages delivered there.", lambda p: p.delivered, count_text),
    Column(
        "Share of delivered",
        "This provider's part of the campaign's delivered messages (the shares add up to 100 %).",
        lambda p: p.share,
        percent_text,
    ),
    Column("Clicked", "Messages with at least one click.", lambda p: p.clicked, count_text),
    Column(
        "Click-to-open %",
        "Clicked ÷ opened at this provider (Mailjet's click-through rate per provider).",
        lambda p: p.click_to_open,
        percent_text,
    ),
    Column("Opened", "Messages opened at least once.", lambda p: p.opened, count_text),
    Column(
        "Opened %",
        "Opened ÷ delivered at this provider; inflated by privacy proxies and scanners.",
        lambda p: p.open_rate,
        percent_text,
    ),
    Column(
        "Bounced",
        "Hard and soft bounces there.",
        lambda p: p.hard_bounced + p.soft_bounced,
        count_text,
    ),
)

BOUNCE_COLUMNS: tuple[Column[tuple[str, int, str]], ...] = (
    Column("Bounce", "What happened to the message.", lambda b: b[0], str, False),
    Column("Messages", "How many messages.", lambda b: b[1], count_text),
    Column("Meaning", "", lambda b: b[2], str, False),
)


def bounce_rows(detail: CampaignDetail) -> list[tuple[str, int, str]]:
    """Hard and soft bounces and blocked messages, with what each means."""
    meaning = {key: text for key, _, text in COUNTS}
    keys = {"Hard bounced": "hard_bounced", "Soft bounced": "soft_bounced", "Blocked": "blocked"}
    return [(name, count, meaning[keys[name]]) for name, count in detail.bounces.items()]


UNSUBSCRIBE_COLUMNS: tuple[Column[tuple[CampaignFigures, int]], ...] = (
    Column(
        "Sent at (UTC)",
        "When it was sent.",
        lambda u: u[0].sent_at,
        when_text,
        numeric=False,
        newest_first=True,
    ),
    Column("Campaign", "The campaign's subject.", lambda u: u[0].subject, str, False),
    Column(
        "Unsubscribed",
        "Recipients who left the list from this campaign.",
        lambda u: u[1],
        count_text,
    ),
    Column(
        "Unsubscribed %",
        "Unsubscribed ÷ delivered for this campaign.",
        lambda u: u[0].unsubscribe_rate,
        percent_text,
    ),
)
