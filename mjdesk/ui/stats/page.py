"""The Statistics page: every sent campaign's figures and rates from the workspace cache (so it
opens offline, saying how old the figures are), Refresh in the background with progress and
Stop, a campaign's detail, 2 to 10 campaigns compared, the lists, and exports (the table as
CSV or XLSX, any chart as PNG, a one-page PDF report)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractItemModel, QDate, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mjdesk.core.clock import parse_iso
from mjdesk.core.stats import cache
from mjdesk.core.stats.cache import CampaignDetail, ListStatistics
from mjdesk.core.stats.export import write_table
from mjdesk.core.stats.figures import CampaignFigures
from mjdesk.core.work import UserError
from mjdesk.ui.common import dialogs
from mjdesk.ui.common.errors import error_text
from mjdesk.ui.common.progress import JobStrip
from mjdesk.ui.common.tasks import Pool
from mjdesk.ui.stats.models import (
    BOUNCE_COLUMNS,
    CAMPAIGN_ROLE,
    LINK_COLUMNS,
    PROVIDER_COLUMNS,
    UNSUBSCRIBE_COLUMNS,
    CampaignsModel,
    ColumnsModel,
    bounce_rows,
    percent_text,
)
from mjdesk.ui.stats.panel import ChartPanel

if TYPE_CHECKING:
    from PySide6.QtGui import QShowEvent

    from mjdesk.core.changes import Changes
    from mjdesk.core.work import CancelToken, ProgressReport
    from mjdesk.core.workspace import Workspace
    from mjdesk.mailjet.client import MailjetClient
    from mjdesk.mailjet.stats_fetch import FetchSummary
    from mjdesk.ui.common.host import FeatureHost

ClientFactory = Callable[[], "MailjetClient | None"]

REFRESH_SHORTCUT = "Ctrl+Shift+R"
COMPARE_SHORTCUT = "Ctrl+Shift+M"
EXPORT_SHORTCUT = "Ctrl+Shift+E"
REPORT_SHORTCUT = "Ctrl+Shift+F"
COMPARE_MOST = 10
DETAIL_CHART_LEAST = 250
"""The campaign's chart is never less tall than this (its axis labels stay whole)."""
DETAIL_TABLES_LEAST = 175
"""Nor its tables (five rows of links, providers or bounces show)."""

OPENS_NOTE = (
    "Opens are inflated: mail-privacy proxies (Apple Mail's among them) and security scanners "
    "open messages nobody read. Click-based figures come first and are the ones to trust."
)
NO_ACCOUNT = (
    "This profile is not connected to Mailjet (Settings › Accounts): the saved figures are "
    "shown, and cannot be refreshed."
)
TABLE_FILTERS = "CSV files (*.csv);;Excel workbooks (*.xlsx)"


@dataclass(frozen=True)
class Cached:
    """What the page reads from the cache at once."""

    campaigns: list[CampaignFigures]
    list_names: list[str]
    lists: list[ListStatistics]
    started_at: str | None
    """When the newest fetch began (the figures' age), None before the first."""


def read_cache(workspace: Workspace) -> Cached:
    with workspace.reading() as con:
        info = cache.last_fetch(con)
        return Cached(
            cache.campaigns(con),
            cache.list_names(con),
            cache.lists(con),
            None if info is None else info.started_at,
        )


def table_file(chosen: Path) -> Path:
    """The file a table is written to: a name without an ending gets ``.csv``, an old Excel
    ``.xls`` becomes ``.xlsx`` (what is written); any other ending is kept, and refused."""
    suffix = chosen.suffix.lower()
    if not suffix:
        return chosen.with_suffix(".csv")
    if suffix == ".xls":
        return chosen.with_suffix(".xlsx")
    return chosen


def _buddy(text: str, widget: QWidget, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setBuddy(widget)
    return label


def _table(
    model: QAbstractItemModel, name: str, parent: QWidget, *, by: int | None = 0
) -> QTableView:
    """A read-only table of whole rows, sorted by column ``by`` descending at first (the
    newest, the most clicked); ``by`` None: not sortable."""
    table = QTableView(parent)
    table.setAccessibleName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    if by is not None:
        table.setSortingEnabled(True)
        table.sortByColumn(by, Qt.SortOrder.DescendingOrder)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 10)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    fit_headers(table)
    return table


def fit_headers(table: QTableView, least: int = 72, least_text: int = 170) -> None:
    """Each column as wide as its header's text (long names are on two lines), and at least
    ``least`` pixels (room for a count or a rate), ``least_text`` for words (a list's name),
    a date as wide as a date and time: no column's name is cut off."""
    header = table.horizontalHeader()
    model = table.model()
    stamp = table.fontMetrics().horizontalAdvance("2026-12-31 23:59") + 24
    for section in range(header.count()):
        column = model.columns[section] if isinstance(model, ColumnsModel) else None
        if column is not None and column.newest_first:
            floor = stamp
        elif column is not None and not column.numeric:
            floor = least_text
        else:
            floor = least
        header.resizeSection(section, max(floor, header.sectionSizeHint(section)))


def _button(
    text: str, name: str, tip: str, slot: Callable[[], object], parent: QWidget
) -> QPushButton:
    button = QPushButton(text, parent)
    button.setAccessibleName(name)
    button.setToolTip(tip)
    button.clicked.connect(lambda: slot())  # (not clicked's `checked` argument)
    return button


class StatisticsPage(QWidget):
    """Campaigns, a campaign, a comparison and the lists, in tabs over one cache."""

    #: the cached figures are on screen (how many campaigns)
    loaded = Signal(int)
    #: a campaign's detail is on screen (its id)
    opened = Signal(int)
    #: a refresh ended (its sentence, or why not)
    refreshed = Signal(str)

    def __init__(
        self, host: FeatureHost, client_for: ClientFactory, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.host = host
        self.client_for = client_for
        self.started_at: str | None = None
        self.offline_reason = ""
        self.detail: CampaignDetail | None = None
        self.lists: list[ListStatistics] = []
        self._stale = True
        self._details_asked: set[int] = set()
        self.setObjectName("statisticsPage")
        self.setAccessibleName("Statistics")

        self.age = QLabel(self)
        self.age.setObjectName("statsAge")
        self.age.setAccessibleName("Age of the figures")
        self.refresh_button = _button(
            "&Refresh from Mailjet",
            "Refresh the statistics from Mailjet",
            f"Read again the campaigns sent in the last 30 days, new campaigns and the lists "
            f"({REFRESH_SHORTCUT})",
            self.refresh_from_mailjet,
            self,
        )
        QShortcut(QKeySequence(REFRESH_SHORTCUT), self, self.refresh_from_mailjet)
        top = QHBoxLayout()
        top.addWidget(self.age, 1)
        top.addWidget(self.refresh_button)
        self.strip = JobStrip(host.runner, self)
        self.strip.busyChanged.connect(lambda busy: self.refresh_button.setEnabled(not busy))
        self.strip.cancelled.connect(
            lambda: self._say("Stopped: the saved figures are as they were.")
        )
        self.status = QLabel(self)
        self.status.setObjectName("statsStatus")
        self.status.setAccessibleName("Statistics status")
        self.status.setWordWrap(True)

        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName("Statistics views")
        self.tabs.addTab(self._campaigns_tab(), "&Campaigns")
        self.tabs.addTab(self._detail_tab(), "C&ampaign")
        self.tabs.addTab(self._compare_tab(), "Com&pare")
        self.tabs.addTab(self._lists_tab(), "&Lists")
        # (the status line speaks of what was just done on one tab: not left over another)
        self.tabs.currentChanged.connect(lambda _index: self._say(""))

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.strip)
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)
        self._ticker = QTimer(self)
        self._ticker.setInterval(60_000)
        self._ticker.timeout.connect(self._show_age)
        self._ticker.start()
        self._show_age()
        host.events.changed.connect(self._on_changes)

    # -- building --------------------------------------------------------------------------

    def _campaigns_tab(self) -> QWidget:
        tab = QWidget(self)
        self.model = CampaignsModel(tab)
        self.since, self.since_on = self._day_field("Sent &from:", "Sent from", tab)
        self.until, self.until_on = self._day_field("&until:", "Sent until", tab)
        self.list_filter = QComboBox(tab)
        self.list_filter.setAccessibleName("Sent to list")
        self.list_filter.addItem("Every list", "")
        self.list_filter.currentIndexChanged.connect(self._filter)
        self.open_button = _button(
            "&Open",
            "Open the campaign's detail",
            "Its detail (Enter or double-click)",
            self.open_selected,
            tab,
        )
        self.compare_button = _button(
            "Co&mpare Selected",
            "Compare the selected campaigns",
            f"Select 2 to {COMPARE_MOST} campaigns ({COMPARE_SHORTCUT})",
            self.compare_selected,
            tab,
        )
        QShortcut(QKeySequence(COMPARE_SHORTCUT), self, self.compare_selected)
        self.export_button = _button(
            "&Export Table…",
            "Export the campaigns table",
            f"The campaigns shown, as CSV or XLSX ({EXPORT_SHORTCUT})",
            self.export_table,
            tab,
        )
        QShortcut(QKeySequence(EXPORT_SHORTCUT), self, self.export_table)
        filters = QHBoxLayout()
        filters.addWidget(self.since_on)
        filters.addWidget(self.since)
        filters.addWidget(self.until_on)
        filters.addWidget(self.until)
        filters.addWidget(_buddy("&To list:", self.list_filter, tab))
        filters.addWidget(self.list_filter)
        filters.addStretch(1)
        filters.addWidget(self.open_button)
        filters.addWidget(self.compare_button)
        filters.addWidget(self.export_button)
        self.table = _table(self.model, "Sent campaigns and their figures", tab)
        self.table.setObjectName("campaignsTable")
        self.table.horizontalHeader().resizeSection(1, 260)
        self.table.doubleClicked.connect(lambda index: self.open_campaign(self._id_at(index)))
        enter = QShortcut(QKeySequence(Qt.Key.Key_Return), self.table, self.open_selected)
        enter.setContext(Qt.ShortcutContext.WidgetShortcut)
        enter2 = QShortcut(QKeySequence(Qt.Key.Key_Enter), self.table, self.open_selected)
        enter2.setContext(Qt.ShortcutContext.WidgetShortcut)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.model.modelReset.connect(self._selection_changed)
        self.empty = QLabel(tab)
        self.empty.setAccessibleName("No campaigns")
        self.empty.setWordWrap(True)
        layout = QVBoxLayout(tab)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        self._selection_changed()
        return tab

    def _day_field(self, text: str, name: str, parent: QWidget) -> tuple[QDateEdit, QCheckBox]:
        """A day the filter starts or ends on, used while its box is ticked; unticked it says
        "any day". Ticking it starts at the campaigns' first (or last) day, where the calendar
        then opens, and the day can be typed over."""
        edit = QDateEdit(parent)
        edit.setAccessibleName(name)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setMinimumDate(QDate(2000, 1, 1))
        edit.setSpecialValueText("any day")  # (the minimum date, shown while unticked)
        edit.setDate(edit.minimumDate())
        edit.setEnabled(False)
        edit.dateChanged.connect(self._filter)
        box = QCheckBox(text, parent)
        box.setAccessibleName(f"Filter by {name.lower()}")
        box.setToolTip("Tick to choose a day; untick for any day.")
        box.toggled.connect(lambda on: self._day_ticked(edit, on))
        return edit, box

    def _day_ticked(self, edit: QDateEdit, on: bool) -> None:
        if on:
            edit.setSpecialValueText("")
            edit.setDate(self._range_day(first=edit is self.since))
            edit.setEnabled(True)
            edit.setFocus()
            edit.setSelectedSection(QDateEdit.Section.YearSection)
        else:
            edit.setEnabled(False)
            edit.setSpecialValueText("any day")
            edit.setDate(edit.minimumDate())
        self._filter()

    def _range_day(self, *, first: bool) -> QDate:
        """The first (or last) day a cached campaign was sent, today when there is none."""
        days = sorted(row.sent_at[:10] for row in self.model.everything)
        if not days:
            return QDate.currentDate()
        return QDate.fromString(days[0] if first else days[-1], "yyyy-MM-dd")

    def _detail_tab(self) -> QWidget:
        tab = QWidget(self)
        self.detail_title = QLabel("Open a campaign (double-click it, or Enter) to see it here.")
        self.detail_title.setAccessibleName("Campaign")
        self.detail_title.setWordWrap(True)
        self.detail_title.setTextFormat(Qt.TextFormat.PlainText)
        font = self.detail_title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.detail_title.setFont(font)
        self.note = QLabel(OPENS_NOTE, tab)
        self.note.setObjectName("opensNote")
        self.note.setAccessibleName("About opens")
        self.note.setWordWrap(True)
        self.note.setFrameShape(QLabel.Shape.StyledPanel)
        self.note.setForegroundRole(QPalette.ColorRole.ToolTipText)
        self.note.setBackgroundRole(QPalette.ColorRole.ToolTipBase)
        self.note.setAutoFillBackground(True)
        self.note.setMargin(6)
        self.summary = QLabel(tab)
        self.summary.setAccessibleName("Campaign figures")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.slicing = QComboBox(tab)
        self.slicing.setAccessibleName("Opens and clicks per")
        self.slicing.addItem("Per day", True)
        self.slicing.addItem("Per hour", False)
        self.slicing.currentIndexChanged.connect(self._show_time_chart)
        self.time_chart = ChartPanel("Clicks and opens over time", tab)
        self.links_model = ColumnsModel(LINK_COLUMNS, tab)
        self.providers_model = ColumnsModel(PROVIDER_COLUMNS, tab)
        self.bounces_model = ColumnsModel(BOUNCE_COLUMNS, tab)
        links = _table(self.links_model, "Links clicked and their share", tab, by=1)
        providers = _table(self.providers_model, "Mailbox providers", tab, by=1)
        providers.setObjectName("providersTable")
        bounces = _table(self.bounces_model, "Bounces", tab, by=None)
        links.horizontalHeader().resizeSection(0, 360)
        tables = QTabWidget(tab)
        tables.setAccessibleName("Campaign tables")
        tables.addTab(links, "Links")
        tables.addTab(providers, "Mailbox providers")
        tables.addTab(bounces, "Bounces")
        self.detail_png = _button(
            "Save Chart as P&NG…",
            "Save the chart as a PNG image",
            "1200 × 700 pixels",
            lambda: self.save_chart(self.time_chart),
            tab,
        )
        self.detail_pdf = _button(
            "P&DF Report…",
            "Save a one-page PDF report of the campaign",
            f"Figures, chart, top links and when they were fetched ({REPORT_SHORTCUT})",
            self.report_detail,
            tab,
        )
        QShortcut(QKeySequence(REPORT_SHORTCUT), self, self.report_current)
        controls = QHBoxLayout()
        controls.addWidget(_buddy("Opens and clicks &per:", self.slicing, tab))
        controls.addWidget(self.slicing)
        controls.addStretch(1)
        controls.addWidget(self.detail_png)
        controls.addWidget(self.detail_pdf)
        # The chart and the tables share what is left, 3 to 2, neither below what keeps it
        # readable (axis labels whole, five rows): in a smaller window the tab scrolls.
        self.time_chart.setMinimumHeight(DETAIL_CHART_LEAST)
        self.detail_tables = tables
        tables.setMinimumHeight(DETAIL_TABLES_LEAST)
        split = QSplitter(Qt.Orientation.Vertical, tab)
        split.setObjectName("detailSplitter")
        split.addWidget(self.time_chart)
        split.addWidget(tables)
        split.setChildrenCollapsible(False)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        inner = QWidget(tab)
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.detail_title)
        layout.addWidget(self.note)
        layout.addWidget(self.summary)
        layout.addLayout(controls)
        layout.addWidget(split, 1)
        self.detail_scroll = QScrollArea(tab)
        self.detail_scroll.setAccessibleName("Campaign detail")
        self.detail_scroll.setWidgetResizable(True)
        self.detail_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.detail_scroll.setWidget(inner)
        outer = QVBoxLayout(tab)
        outer.addWidget(self.detail_scroll)
        self._detail_enabled(False)
        return tab

    def _compare_tab(self) -> QWidget:
        tab = QWidget(self)
        self.compare_model = CampaignsModel(tab)
        self.compare_hint = QLabel(
            f"Select 2 to {COMPARE_MOST} campaigns on the Campaigns tab, then Compare Selected "
            f"({COMPARE_SHORTCUT}).",
            tab,
        )
        self.compare_hint.setAccessibleName("How to compare")
        self.compare_hint.setWordWrap(True)
        self.compare_chart = ChartPanel("Rates of the compared campaigns", tab)
        table = _table(self.compare_model, "Compared campaigns", tab)
        table.setObjectName("comparedTable")
        table.horizontalHeader().resizeSection(1, 240)
        self.compare_png = _button(
            "Save Chart as P&NG…",
            "Save the comparison chart as a PNG image",
            "1200 × 700 pixels",
            lambda: self.save_chart(self.compare_chart),
            tab,
        )
        self.compare_pdf = _button(
            "P&DF Report…",
            "Save a one-page PDF report of the comparison",
            f"Totals, each campaign's rates, chart and top links ({REPORT_SHORTCUT})",
            self.report_comparison,
            tab,
        )
        self.compare_export = _button(
            "&Export Table…",
            "Export the compared campaigns",
            "As CSV or XLSX",
            lambda: self.export_table(self.compare_model.campaigns),
            tab,
        )
        controls = QHBoxLayout()
        controls.addWidget(self.compare_hint, 1)
        controls.addWidget(self.compare_png)
        controls.addWidget(self.compare_pdf)
        controls.addWidget(self.compare_export)
        split = QSplitter(Qt.Orientation.Vertical, tab)
        split.addWidget(self.compare_chart)
        split.addWidget(table)
        split.setChildrenCollapsible(False)
        split.setSizes([600, 300])  # (the chart gets two thirds)
        layout = QVBoxLayout(tab)
        layout.addLayout(controls)
        layout.addWidget(split, 1)
        self._compare_enabled(False)
        return tab

    def _lists_tab(self) -> QWidget:
        tab = QWidget(self)
        self.list_choice = QComboBox(tab)
        self.list_choice.setAccessibleName("Mailjet list")
        self.list_choice.currentIndexChanged.connect(self._show_list)
        self.list_counts = QLabel(tab)
        self.list_counts.setAccessibleName("Current counts by subscription state")
        self.subscribers_chart = ChartPanel("Subscribers over time", tab)
        self.states_chart = ChartPanel("Members by subscription state", tab)
        self.unsubscribes_model = ColumnsModel(UNSUBSCRIBE_COLUMNS, tab)
        table = _table(self.unsubscribes_model, "Unsubscribes per campaign", tab)
        table.horizontalHeader().resizeSection(1, 300)
        self.list_png = _button(
            "Save Chart as P&NG…",
            "Save the subscribers chart as a PNG image",
            "1200 × 700 pixels",
            lambda: self.save_chart(self.subscribers_chart),
            tab,
        )
        controls = QHBoxLayout()
        controls.addWidget(_buddy("&Mailjet list:", self.list_choice, tab))
        controls.addWidget(self.list_choice)
        controls.addWidget(self.list_counts, 1)
        controls.addWidget(self.list_png)
        pictures = QSplitter(Qt.Orientation.Horizontal, tab)
        pictures.addWidget(self.subscribers_chart)
        pictures.addWidget(self.states_chart)
        pictures.setStretchFactor(0, 3)
        pictures.setStretchFactor(1, 1)
        split = QSplitter(Qt.Orientation.Vertical, tab)
        split.addWidget(pictures)
        split.addWidget(table)
        split.setChildrenCollapsible(False)
        split.setSizes([600, 300])  # (the chart gets two thirds)
        layout = QVBoxLayout(tab)
        layout.addLayout(controls)
        layout.addWidget(split, 1)
        return tab

    # -- reading the cache -------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

    def _on_changes(self, changes: Changes) -> None:
        if changes.lists:
            self._stale = True
            if self.isVisible():
                self.reload()

    def reload(self) -> None:
        """Read the cache again (in the background)."""
        self._stale = False
        workspace = self.host.workspace
        self.host.runner.submit(lambda _cancel: read_cache(workspace), self._show, self._failed)

    def _show(self, found: Cached) -> None:
        self.started_at = found.started_at
        self._show_age()
        chosen = self.list_filter.currentData() or ""
        self.list_filter.blockSignals(True)
        self.list_filter.clear()
        self.list_filter.addItem("Every list", "")
        for name in found.list_names:
            self.list_filter.addItem(name, name)
        self.list_filter.setCurrentIndex(max(0, self.list_filter.findData(chosen)))
        self.list_filter.blockSignals(False)
        self.model.set_campaigns(found.campaigns)
        self._filter()
        self.lists = found.lists
        shown_list = self.list_choice.currentText()
        self.list_choice.blockSignals(True)
        self.list_choice.clear()
        for item in found.lists:
            self.list_choice.addItem(item.name, item.mailjet_list_id)
        self.list_choice.setCurrentIndex(max(0, self.list_choice.findText(shown_list)))
        self.list_choice.blockSignals(False)
        self._show_list()
        if self.detail is not None:  # (its figures again, where it is: the tab stays)
            self.open_campaign(self.detail.figures.campaign_id, fetch=False, turn=False)
        self.loaded.emit(len(found.campaigns))

    def _failed(self, exc: Exception) -> None:
        self._say(f"The statistics could not be read: {error_text(exc)}")

    def _say(self, text: str) -> None:
        self.status.setText(text)

    def age_text(self, now: datetime | None = None) -> str:
        """ "Figures fetched 3 hours ago." (and offline, why), from the newest fetch."""
        if self.started_at is None:
            text = cache.describe_age(None)
        else:
            moment = now or datetime.now(UTC)
            text = cache.describe_age(max(timedelta(0), moment - parse_iso(self.started_at)))
            text += f" ({self.started_at.replace('T', ' ')[:16]} UTC)"
        return f"{text} {self.offline_reason}".strip()

    def _show_age(self) -> None:
        self.age.setText(self.age_text())

    # -- the campaigns table -----------------------------------------------------------------

    def _filter(self) -> None:
        def day(edit: QDateEdit, box: QCheckBox) -> str:
            return edit.date().toString("yyyy-MM-dd") if box.isChecked() else ""

        since, until = day(self.since, self.since_on), day(self.until, self.until_on)
        self.model.set_filter(since, until, self.list_filter.currentData() or "")
        if not self.model.everything:
            text = "No sent campaign saved yet: Refresh from Mailjet to fetch them."
        elif since and until and until < since:
            text = (
                f"“Until” ({until}) is before “from” ({since}): no campaign can match. "
                "Change one of the days, or untick it."
            )
        elif not self.model.campaigns:
            text = "No campaign matches these days and this list."
        else:
            text = ""
        self.empty.setText(text)
        self.empty.setVisible(bool(text))

    def _id_at(self, index: QModelIndex) -> int:
        found = self.model.data(index, CAMPAIGN_ROLE) if index.isValid() else None
        return int(found or 0)

    def selected_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [
            row.campaign_id
            for row in (self.model.row_at(r) for r in rows if not self.model.is_total(r))
            if row is not None
        ]

    def _selection_changed(self) -> None:
        chosen = len(self.selected_ids())
        self.open_button.setEnabled(chosen == 1)
        self.compare_button.setEnabled(2 <= chosen <= COMPARE_MOST)
        self.export_button.setEnabled(bool(self.model.campaigns))

    def export_table(self, rows: Sequence[CampaignFigures] | None = None) -> Path | None:
        """Save the campaigns shown (or ``rows``) as CSV or XLSX, by the name's ending."""
        chosen = list(rows) if rows is not None else self.model.campaigns
        if not chosen:
            return None
        target = dialogs.ask_save_file(
            self,
            "Export the Statistics",
            "campaign statistics.csv",
            TABLE_FILTERS,
            settings=self.host.settings,
            kind="export",
        )
        if target is None:
            return None
        target = table_file(target)
        return self._saved(
            lambda: write_table(chosen, target),
            "Export the Statistics",
            f"{len(chosen):,} campaigns saved to {target}.",
        )

    def _saved(self, write: Callable[[], object], title: str, done: str) -> Path | None:
        try:
            written = write()
        except UserError as exc:
            dialogs.tell_problem(self, title, exc.user_message)
            return None
        except OSError as exc:
            dialogs.tell_problem(self, title, f"It could not be saved ({exc.strerror or exc}).")
            return None
        self._say(done)
        return written if isinstance(written, Path) else None

    # -- refresh -----------------------------------------------------------------------------

    def refresh_from_mailjet(self) -> None:
        """Fetch what can have changed (a full fetch the first time), with progress and Stop."""
        if self.strip.busy or not self.isVisible():
            return
        workspace, client_for, first = self.host.workspace, self.client_for, self.started_at is None

        def work(progress: ProgressReport, cancel: CancelToken) -> FetchSummary:
            from mjdesk.mailjet.stats_fetch import fetch_statistics

            progress.start("Connecting to Mailjet…")
            client = client_for()
            if client is None:
                raise UserError(NO_ACCOUNT)
            client.cancel = cancel
            with client:
                progress.start("Fetching every campaign…" if first else "Refreshing…")
                return fetch_statistics(client, workspace, full=first, progress=progress)

        self._say("")
        self.strip.run(
            work,
            self._refreshed,
            self._refresh_failed,
            pool=Pool.NETWORK,
            phase="Refreshing the statistics…",
        )

    def _refreshed(self, summary: FetchSummary) -> None:
        self.offline_reason = ""
        self._details_asked.clear()
        self._say(summary.message)
        self.refreshed.emit(summary.message)
        self.reload()

    def _refresh_failed(self, exc: Exception) -> None:
        self.offline_reason = "Offline: the saved figures are shown."
        self._show_age()
        text = error_text(exc)
        self._say(f"Not refreshed: {text}")
        self.refreshed.emit(text)

    # -- a campaign --------------------------------------------------------------------------

    def open_selected(self) -> None:
        chosen = self.selected_ids()
        current = self._id_at(self.table.currentIndex())
        self.open_campaign(chosen[0] if len(chosen) == 1 else current)

    def open_campaign(self, campaign_id: int, *, fetch: bool = True, turn: bool = True) -> None:
        """Show a campaign's detail from the cache (``turn``: on its tab, brought forward);
        fetch it first when it is missing or older than its figures (and Mailjet can be
        reached)."""
        if not campaign_id:
            return
        reading = self.host.workspace.reading

        def work(_cancel: CancelToken) -> tuple[CampaignFigures | None, CampaignDetail | None]:
            with reading() as con:
                return cache.campaign(con, campaign_id), cache.detail(con, campaign_id)

        def show(found: tuple[CampaignFigures | None, CampaignDetail | None]) -> None:
            figures, detail = found
            if figures is None:
                return
            self._show_detail(figures, detail)
            old = detail is None or detail.fetched_at < figures.fetched_at
            if fetch and old and campaign_id not in self._details_asked:
                self._fetch_detail(campaign_id)

        if turn:
            self.tabs.setCurrentIndex(1)
        self.host.runner.submit(work, show, self._failed)

    def _fetch_detail(self, campaign_id: int) -> None:
        if self.strip.busy:
            return
        self._details_asked.add(campaign_id)
        workspace, client_for = self.host.workspace, self.client_for

        def work(progress: ProgressReport, cancel: CancelToken) -> FetchSummary | None:
            from mjdesk.mailjet.stats_fetch import fetch_details

            client = client_for()
            if client is None:
                return None
            client.cancel = cancel
            with client:
                progress.start("Fetching the campaign's detail…")
                return fetch_details(client, workspace, [campaign_id], progress=progress)

        def done(summary: FetchSummary | None) -> None:
            if summary is not None:
                self.open_campaign(campaign_id, fetch=False, turn=False)

        def failed(exc: Exception) -> None:
            self.offline_reason = "Offline: the saved figures are shown."
            self._show_age()
            self._say(f"The campaign's detail could not be fetched: {error_text(exc)}")

        self.strip.run(work, done, failed, pool=Pool.NETWORK, phase="Fetching the detail…")

    def _show_detail(self, figures: CampaignFigures, detail: CampaignDetail | None) -> None:
        self.detail = detail or CampaignDetail(figures, "", [], [], [], [])
        self.detail_title.setText(
            f"{figures.subject} — sent {figures.sent_at.replace('T', ' ')[:16]} UTC to "
            f"“{figures.list_name}”"
        )
        f = figures
        lines = [
            f"<b>Clicked {f.clicked:,}</b>: click rate {percent_text(f.click_rate)} of "
            f"delivered; click-to-open {percent_text(f.click_to_open)} (Mailjet's “% Clicked”).",
            f"Delivered {f.delivered:,} of {f.processed:,} sent "
            f"({percent_text(f.delivery_rate)}); unsubscribed {f.unsubscribed:,}, "
            f"spam complaints {f.spam:,}.",
            f"Opened {f.opened:,} ({percent_text(f.open_rate)} of delivered, inflated).",
        ]
        if detail is None:
            lines.append("Opens and clicks over time, links and providers are not fetched yet.")
        self.summary.setText("<br>".join(lines))
        self.links_model.set_rows(self.detail.links)
        self.providers_model.set_rows(self.detail.providers)
        self.bounces_model.set_rows(bounce_rows(self.detail))
        self._show_time_chart()
        self._detail_enabled(True)
        self.opened.emit(figures.campaign_id)

    def _show_time_chart(self) -> None:
        from mjdesk.ui.stats import charts

        detail = self.detail
        if detail is None:
            return
        by_day = bool(self.slicing.currentData())
        slices = detail.by_day if by_day else detail.by_hour
        self.time_chart.show_chart(
            lambda palette: charts.over_time(slices, by_day=by_day, palette=palette)
        )

    def _detail_enabled(self, on: bool) -> None:
        for widget in (self.detail_png, self.detail_pdf, self.slicing):
            widget.setEnabled(on)

    # -- compare -----------------------------------------------------------------------------

    def compare_selected(self) -> None:
        chosen = set(self.selected_ids())
        if not 2 <= len(chosen) <= COMPARE_MOST:
            self._say(f"Select 2 to {COMPARE_MOST} campaigns to compare.")
            return
        self.compare([row for row in self.model.campaigns if row.campaign_id in chosen])

    def compare(self, campaigns: Sequence[CampaignFigures]) -> None:
        from mjdesk.ui.stats import charts

        rows = list(campaigns)
        self.compare_model.set_campaigns(rows)
        self.compare_chart.show_chart(lambda palette: charts.compared_rates(rows, palette))
        self.compare_hint.setText(
            f"{len(rows)} campaigns compared: click-based rates first. Opens are inflated by "
            "mail-privacy proxies and scanners."
        )
        self._compare_enabled(True)
        self.tabs.setCurrentIndex(2)

    def _compare_enabled(self, on: bool) -> None:
        for widget in (self.compare_png, self.compare_pdf, self.compare_export):
            widget.setEnabled(on)

    # -- lists -------------------------------------------------------------------------------

    def _show_list(self) -> None:
        from mjdesk.ui.stats import charts

        index = self.list_choice.currentIndex()
        item = self.lists[index] if 0 <= index < len(self.lists) else None
        if item is None:
            self.list_counts.setText("No list fetched yet.")
            self.unsubscribes_model.set_rows([])
            self.subscribers_chart.show_chart(None)
            self.states_chart.show_chart(None)
            self.list_png.setEnabled(False)
            return
        self.list_counts.setText(
            f"Now: {item.subscribed:,} subscribed, {item.unsubscribed:,} unsubscribed "
            f"(fetched {item.fetched_at.replace('T', ' ')[:16]} UTC)."
        )
        self.unsubscribes_model.set_rows(item.unsubscribes_by_campaign)
        self.subscribers_chart.show_chart(
            lambda palette: charts.subscribers_over_time(
                item.name, item.subscribers_by_day, palette
            )
        )
        states = item.counts_by_state
        self.states_chart.show_chart(
            lambda palette: charts.grouped_bars(
                "Members by subscription state",
                list(states),
                [("Members", [float(v) for v in states.values()])],
                value_title="Members",
                percent=False,
                palette=palette,
            )
        )
        self.list_png.setEnabled(True)

    # -- exports -----------------------------------------------------------------------------

    def save_chart(self, panel: ChartPanel) -> Path | None:
        target = dialogs.ask_save_file(
            self,
            "Save the Chart",
            f"{panel.accessibleName()}.png",
            "PNG images (*.png)",
            settings=self.host.settings,
            kind="export",
        )
        if target is None:
            return None
        if target.suffix.lower() != ".png":
            target = target.with_suffix(".png")
        return self._saved(
            lambda: panel.save_png(target), "Save the Chart", f"Chart saved to {target}."
        )

    def report_current(self) -> None:
        """The PDF report of what the tab shows: the campaign, or the comparison."""
        shown = self.tabs.currentIndex()
        if shown == 1 and self.detail is not None:
            self.report_detail()
        elif shown == 2 and self.compare_model.campaigns:
            self.report_comparison()
        else:
            self._say(
                f"A PDF report ({REPORT_SHORTCUT}) is of the campaign on the Campaign tab or "
                "of the campaigns on the Compare tab: open one first."
            )

    def report_detail(self) -> Path | None:
        detail = self.detail
        if detail is None:
            return None
        has_detail = bool(detail.fetched_at)
        return self._report(
            [detail.figures], [detail if has_detail else None], detail.figures.subject
        )

    def report_comparison(self) -> Path | None:
        rows = self.compare_model.campaigns
        if len(rows) < 2:
            return None
        reading = self.host.workspace.reading
        with reading() as con:  # (a few small reads: the report is drawn here anyway)
            details = [cache.detail(con, row.campaign_id) for row in rows]
        return self._report(rows, details, f"{len(rows)} campaigns compared")

    def _report(
        self,
        rows: Sequence[CampaignFigures],
        details: Sequence[CampaignDetail | None],
        name: str,
    ) -> Path | None:
        from mjdesk.ui.stats.report import write_report

        safe = "".join(ch for ch in name if ch.isalnum() or ch in " -_")[:60].strip() or "report"
        target = dialogs.ask_save_file(
            self,
            "Save a PDF Report",
            f"{safe}.pdf",
            "PDF files (*.pdf)",
            settings=self.host.settings,
            kind="export",
        )
        if target is None:
            return None
        if target.suffix.lower() != ".pdf":
            target = target.with_suffix(".pdf")

        def write() -> Path:
            write_report(rows, details, target)
            return target

        return self._saved(write, "Save a PDF Report", f"Report saved to {target}.")
