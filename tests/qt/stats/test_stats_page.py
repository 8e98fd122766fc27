"""The Statistics page over a cache fetched from the seeded sandbox through the real client,
driven as a user would: each figure in the table equals the cache's (each rate its definition,
computed here), sort, filter by date and list, open a campaign, compare three, the lists,
export each format (CSV, XLSX, PNG, PDF), and the page offline once the sandbox is stopped."""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCharts import QBarSeries, QCategoryAxis, QLineSeries
from PySide6.QtCore import QDate, QItemSelectionModel, QLocale, QPoint, Qt
from PySide6.QtGui import QFont, QFontMetrics, QImage
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import QTableView
from pytestqt.qtbot import QtBot

from mjdesk.core.stats import cache
from mjdesk.core.stats.export import HEADER
from mjdesk.core.stats.figures import COUNTS, RATES, CampaignFigures
from mjdesk.core.workspace import Workspace
from mjdesk.mailjet.client import MailjetClient
from mjdesk.mailjet.retry import RetryPolicy
from mjdesk.mailjet.stats_fetch import fetch_statistics
from mjdesk.sandbox.seed import seeded_store
from mjdesk.sandbox.server import Sandbox
from mjdesk.ui.common import dialogs
from mjdesk.ui.shell.main_window import MainWindow
from mjdesk.ui.stats.models import FIRST_RATE_COLUMN, VALUE_ROLE, one_line
from mjdesk.ui.stats.page import COMPARE_SHORTCUT, OPENS_NOTE, StatisticsPage

OpenWindow = Callable[..., MainWindow]
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
DEFINITIONS = {
    "delivery_rate": ("delivered", "processed"),
    "open_rate": ("opened", "delivered"),
    "click_to_open": ("clicked", "opened"),
    "click_rate": ("clicked", "delivered"),
    "hard_bounce_rate": ("hard_bounced", "processed"),
    "soft_bounce_rate": ("soft_bounced", "processed"),
    "blocked_rate": ("blocked", "processed"),
    "spam_rate": ("spam", "delivered"),
    "unsubscribe_rate": ("unsubscribed", "delivered"),
}
"""Each rate's definition, written out again here (not read from the code under test)."""


def _client_for(sandbox: Sandbox) -> Callable[[], MailjetClient]:
    account = next(iter(sandbox.store.accounts.values()))
    return lambda: MailjetClient(
        account.api_key,
        account.secret_key,
        api_url=sandbox.url,
        retry=RetryPolicy(sleep=lambda s: None),
    )


@pytest.fixture(scope="module")
def stats_sandbox() -> Iterator[Sandbox]:
    with Sandbox(seeded_store()) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def stats_cache(stats_sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace whose statistics were fully fetched from the seeded sandbox."""
    path = tmp_path_factory.mktemp("stats-ui") / "ws.sqlite3"
    with _client_for(stats_sandbox)() as client, Workspace.open(path) as workspace:
        fetch_statistics(client, workspace, full=True)
    return path


def show_stats(qtbot: QtBot, window: MainWindow) -> StatisticsPage:
    page = window.stats_page
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        window.nav.setCurrentRow(window.pages.indexOf(page))
    assert window.pages.currentWidget() is page
    return page


@pytest.fixture
def stats_page(
    qtbot: QtBot, open_window: OpenWindow, stats_cache: Path, stats_sandbox: Sandbox
) -> StatisticsPage:
    page = show_stats(qtbot, open_window(stats_cache))
    page.client_for = _client_for(stats_sandbox)
    return page


def cached(path: Path) -> list[CampaignFigures]:
    with Workspace.open(path) as workspace, workspace.reading() as con:
        return cache.campaigns(con)


def column(page: StatisticsPage, title: str) -> int:
    """The column named ``title`` (a long name is shown on two lines)."""
    model = page.model
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    return [one_line(t) for t in titles].index(title)


def subjects(page: StatisticsPage) -> list[str]:
    return [row.subject for row in page.model.campaigns]


def select_rows(page: StatisticsPage, rows: list[int]) -> None:
    selection = page.table.selectionModel()
    selection.clearSelection()
    for row in rows:
        selection.select(
            page.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )


def test_each_figure_in_the_table_equals_the_cache_and_each_rate_its_definition(
    qtbot: QtBot, qtmodeltester: object, stats_page: StatisticsPage, stats_cache: Path
) -> None:
    page, model = stats_page, stats_page.model
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    expected = cached(stats_cache)
    assert len(expected) == 12
    assert model.rowCount() == 12 + 1  # (and the totals row)
    for row, figures in enumerate(expected):
        assert model.data(model.index(row, 1)) == figures.subject
        for key, title, _ in COUNTS:
            value = model.data(model.index(row, column(page, title)), VALUE_ROLE)
            assert value == getattr(figures, key), (figures.subject, key)
        for rate in RATES:
            part, whole = (getattr(figures, name) for name in DEFINITIONS[rate.key])
            shown = model.data(model.index(row, column(page, rate.label)), VALUE_ROLE)
            assert shown == (part / whole if whole else None), (figures.subject, rate.key)
            text = model.data(model.index(row, column(page, rate.label)))
            assert text == ("–" if not whole else f"{100 * part / whole:.2f} %")
    total = model.rowCount() - 1
    assert model.data(model.index(total, 0)) == "Total"
    assert not model.flags(model.index(total, 0)) & Qt.ItemFlag.ItemIsSelectable
    for key, title, _ in COUNTS:
        summed = sum(getattr(f, key) for f in expected)
        assert model.data(model.index(total, column(page, title)), VALUE_ROLE) == summed
    clicked, delivered = (sum(getattr(f, k) for f in expected) for k in ("clicked", "delivered"))
    click_rate = model.data(model.index(total, column(page, "Click rate % (of delivered)")))
    assert click_rate == f"{100 * clicked / delivered:.2f} %"  # (from the sums, not averaged)

    # Names that cannot be misread, each with its definition as the header's tooltip.
    tips = {
        one_line(model.headerData(c, Qt.Orientation.Horizontal)): model.headerData(
            c, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole
        )
        for c in range(FIRST_RATE_COLUMN, model.columnCount())
    }
    assert "Click-to-open % (Mailjet's “% Clicked”)" in tips
    assert tips["Click-to-open % (Mailjet's “% Clicked”)"].startswith("Clicked ÷ opened")
    assert tips["Click rate % (of delivered)"].startswith("Clicked ÷ delivered")
    assert page.age.text().startswith("Figures fetched ")
    assert " ago" in page.age.text() or "just now" in page.age.text()


def test_sort_and_filter_by_date_and_list(qtbot: QtBot, stats_page: StatisticsPage) -> None:
    page, model = stats_page, stats_page.model
    header = page.table.horizontalHeader()
    clicked = column(page, "Clicked")
    header.setSortIndicator(clicked, Qt.SortOrder.DescendingOrder)
    values = [model.data(model.index(r, clicked), VALUE_ROLE) for r in range(model.rowCount())]
    assert values[:-1] == sorted(values[:-1], reverse=True)
    assert model.data(model.index(model.rowCount() - 1, 0)) == "Total"  # (always last)
    header.setSortIndicator(1, Qt.SortOrder.AscendingOrder)
    assert subjects(page) == sorted(subjects(page), key=str.casefold)

    dates = sorted(row.sent_at[:10] for row in model.campaigns)
    middle = dates[len(dates) // 2]
    page.since_on.setChecked(True)
    page.since.setDate(QDate.fromString(middle, "yyyy-MM-dd"))
    assert model.campaigns
    assert all(row.sent_at[:10] >= middle for row in model.campaigns)
    assert len(model.campaigns) == sum(1 for d in dates if d >= middle)
    page.until_on.setChecked(True)
    page.until.setDate(QDate.fromString(middle, "yyyy-MM-dd"))
    assert {row.sent_at[:10] for row in model.campaigns} == {middle}
    page.since_on.setChecked(False)
    page.until_on.setChecked(False)
    assert len(model.campaigns) == 12

    names = [page.list_filter.itemText(i) for i in range(1, page.list_filter.count())]
    assert names
    page.list_filter.setCurrentIndex(1)
    assert model.campaigns
    assert {row.list_name for row in model.campaigns} == {names[0]}
    total = model.row_at(model.rowCount() - 1)
    assert total is not None
    assert total.processed == sum(row.processed for row in model.campaigns)


def test_open_a_campaign_with_enter_shows_its_detail_clicks_first(
    qtbot: QtBot, qtmodeltester: object, stats_page: StatisticsPage, stats_cache: Path
) -> None:
    page = stats_page
    newest = page.model.campaigns[0]
    page.table.setFocus()
    page.table.setCurrentIndex(page.model.index(0, 1))
    select_rows(page, [0])
    with qtbot.waitSignal(page.opened, timeout=10_000) as opened:
        qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert opened.args == [newest.campaign_id]
    assert page.tabs.currentIndex() == 1
    assert page.note.text() == OPENS_NOTE
    assert page.note.isVisible()
    summary = page.summary.text()
    assert summary.index("Clicked") < summary.index("Opened")
    assert f"Clicked {newest.clicked:,}" in summary

    with Workspace.open(stats_cache) as workspace, workspace.reading() as con:
        detail = cache.detail(con, newest.campaign_id)
    assert detail is not None
    assert detail.links
    assert detail.providers
    chart = page.time_chart.chart()
    assert chart is not None
    lines = [s for s in chart.series() if isinstance(s, QLineSeries)]
    assert [s.name() for s in lines] == ["Clicked", "Opened"]
    assert [int(p.y()) for p in lines[0].points()] == [d.clicked for d in detail.by_day]
    assert [int(p.y()) for p in lines[1].points()] == [d.opened for d in detail.by_day]
    (days,) = chart.axes(Qt.Orientation.Horizontal)
    assert isinstance(days, QCategoryAxis)
    assert days.titleText() == "Day (UTC)"
    on_value = {days.endValue(label): label for label in days.categoriesLabels()}
    for point, item in zip(lines[0].points(), detail.by_day, strict=True):
        day = QDate.fromString(item.hour[:10], "yyyy-MM-dd")
        assert (
            on_value[point.x()]
            == f"{day.day()} {QLocale.c().monthName(day.month(), QLocale.FormatType.ShortFormat)}"
        )
    page.slicing.setCurrentIndex(1)  # per hour
    chart = page.time_chart.chart()
    assert chart is not None
    assert chart.series()[0].count() == len(detail.by_hour)  # type: ignore[attr-defined]
    assert [a.titleText() for a in chart.axes()] == [
        "Hour (UTC)",
        "Messages",
    ]

    for model in (page.links_model, page.providers_model, page.bounces_model):
        qtmodeltester.check(model)  # type: ignore[attr-defined]
    links = page.links_model
    assert links.rowCount() == len(detail.links)
    assert sum(links.data(links.index(r, 2), VALUE_ROLE) for r in range(links.rowCount())) == (
        pytest.approx(1.0)
    )
    providers = page.providers_model
    shares = [
        providers.data(providers.index(r, 2), VALUE_ROLE) for r in range(len(detail.providers))
    ]
    assert sum(shares) == pytest.approx(1.0)
    bounces = {
        page.bounces_model.data(page.bounces_model.index(r, 0)): page.bounces_model.data(
            page.bounces_model.index(r, 1), VALUE_ROLE
        )
        for r in range(3)
    }
    assert bounces == {
        "Hard bounced": newest.hard_bounced,
        "Soft bounced": newest.soft_bounced,
        "Blocked": newest.blocked,
    }


def test_compare_three_campaigns(
    qtbot: QtBot, qtmodeltester: object, stats_page: StatisticsPage
) -> None:
    page = stats_page
    select_rows(page, [0, 2, 4])
    assert page.compare_button.isEnabled()
    assert not page.open_button.isEnabled()
    chosen = [page.model.campaigns[r] for r in (0, 2, 4)]
    page.table.setFocus()
    assert COMPARE_SHORTCUT == "Ctrl+Shift+M"
    qtbot.keyClick(page.table, Qt.Key.Key_M, CTRL_SHIFT)
    assert page.tabs.currentIndex() == 2
    qtmodeltester.check(page.compare_model)  # type: ignore[attr-defined]
    assert [row.campaign_id for row in page.compare_model.campaigns] == [
        c.campaign_id for c in chosen
    ]
    chart = page.compare_chart.chart()
    assert chart is not None
    (series,) = chart.series()
    assert isinstance(series, QBarSeries)
    sets = series.barSets()
    assert len(sets) == 3
    categories = chart.axes(Qt.Orientation.Horizontal)[0].categories()  # type: ignore[attr-defined]
    assert categories == ["Click rate %", "Click-to-open %", "Opened %"]  # (click-based first)
    assert series.isLabelsVisible()  # (each bar says its value)
    assert len({bars.color().name() for bars in sets}) == 3
    (scale,) = chart.axes(Qt.Orientation.Vertical)
    highest = max(bars.at(i) for bars in sets for i in range(bars.count()))
    assert highest < scale.max() < 100  # type: ignore[attr-defined]  # (fitted, not 0-100 %)
    for bars, figures in zip(sets, chosen, strict=True):
        assert bars.label().startswith(f"{figures.sent_at[:10]} {figures.subject[:20]}")
        clicked, delivered, opened = figures.clicked, figures.delivered, figures.opened
        assert bars.at(0) == pytest.approx(100 * clicked / delivered if delivered else 0)
        assert bars.at(1) == pytest.approx(100 * clicked / opened if opened else 0)

    select_rows(page, list(range(11)))
    assert not page.compare_button.isEnabled()  # (more than 10)


def test_the_lists_tab_shows_subscribers_over_time_and_unsubscribes(
    qtbot: QtBot, stats_page: StatisticsPage, stats_cache: Path
) -> None:
    page = stats_page
    with Workspace.open(stats_cache) as workspace, workspace.reading() as con:
        lists = cache.lists(con)
    assert page.list_choice.count() == len(lists) == 3
    page.tabs.setCurrentIndex(3)
    for index, item in enumerate(lists):
        page.list_choice.setCurrentIndex(index)
        assert f"{item.subscribed:,} subscribed, {item.unsubscribed:,} unsubscribed" in (
            page.list_counts.text()
        )
        chart = page.subscribers_chart.chart()
        assert chart is not None
        (line,) = chart.series()
        assert [int(p.y()) for p in line.points()] == [n for _, n in item.subscribers_by_day]  # type: ignore[attr-defined]
        assert page.unsubscribes_model.rowCount() == len(item.unsubscribes_by_campaign)
        states = page.states_chart.chart()
        assert states is not None
        (bars,) = states.series()[0].barSets()  # type: ignore[attr-defined]
        assert [bars.at(0), bars.at(1)] == [item.subscribed, item.unsubscribed]


def test_export_the_table_a_chart_and_a_pdf_report(
    qtbot: QtBot, stats_page: StatisticsPage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = stats_page
    answers: list[Path] = []
    monkeypatch.setattr(dialogs, "ask_save_file", lambda *a, **k: answers.pop(0))

    answers.append(tmp_path / "all.csv")
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    with (tmp_path / "all.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == HEADER
    assert [int(r[0]) for r in rows[1:]] == [c.campaign_id for c in page.model.campaigns]
    assert "saved to" in page.status.text()

    answers.append(tmp_path / "old.xls")  # (written as what it is: .xlsx)
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    assert not (tmp_path / "old.xls").exists()
    assert zipfile.is_zipfile(tmp_path / "old.xlsx")

    answers.append(tmp_path / "all.xlsx")
    qtbot.keyClick(page.table, Qt.Key.Key_E, CTRL_SHIFT)
    with zipfile.ZipFile(tmp_path / "all.xlsx") as book:
        assert "xl/worksheets/sheet1.xml" in book.namelist()

    first = page.model.campaigns[0]
    select_rows(page, [0])
    with qtbot.waitSignal(page.opened, timeout=10_000):
        qtbot.mouseClick(page.open_button, Qt.MouseButton.LeftButton)
    answers.append(tmp_path / "chart")  # (.png added)
    qtbot.mouseClick(page.detail_png, Qt.MouseButton.LeftButton)
    image = QImage(str(tmp_path / "chart.png"))
    assert not image.isNull()
    assert (image.width(), image.height()) == (1200, 700)

    answers.append(tmp_path / "report.pdf")
    qtbot.mouseClick(page.detail_pdf, Qt.MouseButton.LeftButton)
    report = (tmp_path / "report.pdf").read_bytes()
    assert report.startswith(b"%PDF-")
    text = pdf_text(tmp_path / "report.pdf")
    assert first.subject in text
    assert f"Clicked {first.clicked:,}" in text
    click_rate = f"{100 * first.clicked / first.delivered:.2f} %"
    assert click_rate in text
    assert "Figures fetched from Mailjet" in text
    assert "Opens are inflated" in text


def test_a_comparison_report_holds_each_campaign(
    qtbot: QtBot,
    stats_page: StatisticsPage,
    stats_cache: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = stats_page
    select_rows(page, [0, 1, 2])
    qtbot.mouseClick(page.compare_button, Qt.MouseButton.LeftButton)
    monkeypatch.setattr(dialogs, "ask_save_file", lambda *a, **k: tmp_path / "three.pdf")
    qtbot.mouseClick(page.compare_pdf, Qt.MouseButton.LeftButton)
    text = pdf_text(tmp_path / "three.pdf")
    assert "3 campaigns compared" in text
    assert "Sent on List Delivered" in text
    for figures in page.compare_model.campaigns:
        assert figures.subject[:30] in text
        assert figures.list_name in text
    # Each link says which campaign it is from (its share is of that campaign's clicks).
    assert "Most clicked links Campaign Clicks Share of its clicks" in text
    top = max(
        (
            (link.clicked_events, figures)
            for figures in page.compare_model.campaigns
            if (detail := cached_detail(stats_cache, figures.campaign_id)) is not None
            for link in detail.links
        ),
        key=lambda pair: pair[0],
    )
    assert f"{top[1].sent_at[:10]} {top[1].subject[:20]}" in text
    # The footnote defines every rate the report shows.
    for rate in RATES:
        name = rate.label.split(" %")[0].casefold()
        assert f"{name} % =" in text.casefold() or f"{name} =" in text.casefold(), name
    assert "Counts Messages Rates Value" in text or "Totals Messages Rates Value" in text


def cached_detail(path: Path, campaign_id: int) -> cache.CampaignDetail | None:
    with Workspace.open(path) as workspace, workspace.reading() as con:
        return cache.detail(con, campaign_id)


def pdf_text(path: Path) -> str:
    document = QPdfDocument()
    assert document.load(str(path)) == QPdfDocument.Error.None_
    assert document.pageCount() == 1
    return " ".join(document.getAllText(0).text().split())


def test_offline_the_page_opens_from_the_cache_with_its_age(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    sandbox = Sandbox(seeded_store()).start()
    try:
        path = tmp_path / "ws.sqlite3"
        with _client_for(sandbox)() as client, Workspace.open(path) as workspace:
            fetch_statistics(client, workspace, full=False)  # (no detail: fetched when opened)
        client_for = _client_for(sandbox)
    finally:
        sandbox.stop()
    window = open_window(path)
    page = show_stats(qtbot, window)
    page.client_for = client_for
    assert page.model.rowCount() == 12 + 1
    assert page.age.text().startswith("Figures fetched just now.")
    assert page.age.isVisible()

    with qtbot.waitSignal(page.refreshed, timeout=20_000):
        qtbot.keyClick(page, Qt.Key.Key_R, CTRL_SHIFT)
    assert "Offline" in page.age.text()
    assert page.status.text().startswith("Not refreshed:")
    assert page.model.rowCount() == 12 + 1  # (the cached figures stay)

    # A campaign whose detail was never fetched opens with its figures, and says so.
    select_rows(page, [0])
    with qtbot.waitSignal(page.opened, timeout=10_000):
        page.open_selected()
    assert "not fetched yet" in page.summary.text()
    qtbot.waitUntil(lambda: not page.strip.busy, timeout=20_000)
    assert "could not be fetched" in page.status.text()


def test_refresh_fetches_in_the_background_and_a_first_open_fetches_the_detail(
    qtbot: QtBot, open_window: OpenWindow, stats_sandbox: Sandbox
) -> None:
    window = open_window()
    page = show_stats(qtbot, window)
    assert page.age.text() == "No statistics fetched yet."
    assert "Refresh from Mailjet" in page.empty.text()
    page.client_for = _client_for(stats_sandbox)
    with qtbot.waitSignal(page.loaded, timeout=30_000):
        qtbot.mouseClick(page.refresh_button, Qt.MouseButton.LeftButton)
        assert page.strip.busy
        assert not page.refresh_button.isEnabled()
    assert page.status.text().startswith("Fetched statistics of 12 campaigns")
    assert page.model.rowCount() == 13
    assert page.age.text().startswith("Figures fetched just now.")


def test_a_profile_without_keys_is_told_so(qtbot: QtBot, open_window: OpenWindow) -> None:
    page = show_stats(qtbot, open_window())
    page.client_for = lambda: None
    with qtbot.waitSignal(page.refreshed, timeout=10_000):
        page.refresh_from_mailjet()
    assert "not connected to Mailjet" in page.status.text()


def test_charts_follow_a_dark_palette_and_export_light(
    qtbot: QtBot, stats_page: StatisticsPage, tmp_path: Path
) -> None:
    from PySide6.QtCharts import QChart
    from PySide6.QtGui import QColor, QPalette

    page = stats_page
    select_rows(page, [0, 1])
    qtbot.mouseClick(page.compare_button, Qt.MouseButton.LeftButton)
    panel = page.compare_chart
    chart = panel.chart()
    assert chart is not None
    assert chart.theme() == QChart.ChartTheme.ChartThemeLight
    dark = QPalette(panel.palette())
    dark.setColor(QPalette.ColorRole.Window, QColor("#202020"))
    dark.setColor(QPalette.ColorRole.Base, QColor("#181818"))
    panel.setPalette(dark)  # (as when the OS switches to dark)
    chart = panel.chart()
    assert chart is not None
    assert chart.theme() == QChart.ChartTheme.ChartThemeDark
    assert chart.backgroundBrush().color() == QColor("#181818")
    image = QImage(str(panel.save_png(tmp_path / "dark.png")))
    assert image.pixelColor(5, 5) == QColor("white")  # (exports are light, for paper)


def header_cut_offs(table: QTableView) -> list[str]:
    """The header names of ``table`` wider (in the header's bold font) than their column, or
    with more lines than the header is tall."""
    header = table.horizontalHeader()
    model = table.model()
    font = QFont(header.font())
    font.setBold(True)
    metrics = QFontMetrics(font)
    cut = []
    for section in range(header.count()):
        text = model.headerData(section, Qt.Orientation.Horizontal)
        lines = text.split("\n")
        widest = max(metrics.horizontalAdvance(line) for line in lines)
        if widest + 8 > header.sectionSize(section):
            cut.append(text)
        if len(lines) * metrics.lineSpacing() > header.height():
            cut.append(text)
    return cut


def test_every_column_name_shows_whole_at_the_default_window_size(
    qtbot: QtBot, stats_page: StatisticsPage
) -> None:
    page = stats_page
    window = page.window()
    assert (window.width(), window.height()) == (1200, 760)  # (the shell's default size)
    assert header_cut_offs(page.table) == []
    titles = [one_line(page.model.headerData(c, Qt.Orientation.Horizontal)) for c in range(
        page.model.columnCount())]  # fmt: skip
    assert "Click-to-open % (Mailjet's “% Clicked”)" in titles
    words = page.table.fontMetrics()
    assert page.table.columnWidth(column(page, "List")) > words.horizontalAdvance(
        "Department newsletter"
    )
    assert page.table.columnWidth(0) > words.horizontalAdvance("2026-11-30 09:00")
    providers = page.findChild(QTableView, "providersTable")
    assert providers is not None
    assert header_cut_offs(providers) == []
    compared = page.findChild(QTableView, "comparedTable")
    assert compared is not None
    assert header_cut_offs(compared) == []


def test_a_first_click_on_a_count_sorts_the_largest_first(
    qtbot: QtBot, stats_page: StatisticsPage
) -> None:
    page, model = stats_page, stats_page.model
    header = page.table.horizontalHeader()
    clicked = column(page, "Clicked")

    def click(section: int) -> None:
        middle = header.sectionViewportPosition(section) + header.sectionSize(section) // 2
        qtbot.mouseClick(
            header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(middle, header.height() // 2)
        )

    page.table.scrollTo(model.index(0, clicked))
    click(clicked)
    assert header.sortIndicatorSection() == clicked
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    values = [model.data(model.index(r, clicked), VALUE_ROLE) for r in range(len(model.rows))]
    assert values == sorted(values, reverse=True)
    page.table.scrollTo(model.index(0, 1))
    click(1)  # (a subject: A to Z first)
    assert header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder


@pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)")  # (offscreen popup)
def test_a_day_can_be_picked_typed_cleared_and_an_inverted_range_is_explained(
    qtbot: QtBot, stats_page: StatisticsPage
) -> None:
    page, model = stats_page, stats_page.model
    days = sorted(row.sent_at[:10] for row in model.campaigns)
    assert page.since.text() == "any day"
    assert not page.since.isEnabled()

    # Ticked, the day starts at the first campaign's, and the calendar opens on its month.
    qtbot.mouseClick(page.since_on, Qt.MouseButton.LeftButton)
    assert page.since.date().toString("yyyy-MM-dd") == days[0]
    arrow = QPoint(page.since.width() - 6, page.since.height() // 2)
    qtbot.mouseClick(page.since, Qt.MouseButton.LeftButton, pos=arrow)  # (opens the calendar)
    calendar = page.since.calendarWidget()
    qtbot.waitUntil(calendar.isVisible)
    assert (calendar.yearShown(), calendar.monthShown()) == (
        int(days[0][:4]),
        int(days[0][5:7]),
    )
    qtbot.keyClick(calendar, Qt.Key.Key_Escape)

    # A day typed over the shown one filters.
    middle = days[len(days) // 2]
    page.since.setFocus()
    qtbot.keyClick(page.since, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(page.since, middle)
    assert page.since.date().toString("yyyy-MM-dd") == middle
    assert all(row.sent_at[:10] >= middle for row in model.campaigns)
    assert len(model.campaigns) == sum(1 for d in days if d >= middle)

    # "until" before "from": said, and the totals row stays with no campaign.
    qtbot.mouseClick(page.until_on, Qt.MouseButton.LeftButton)
    page.until.setDate(QDate.fromString(middle, "yyyy-MM-dd").addDays(-1))
    assert model.campaigns == []
    assert model.rowCount() == 1
    assert model.data(model.index(0, 0)) == "Total"
    assert model.data(model.index(0, 1)) == "0 campaigns"
    assert page.empty.isVisible()
    assert "is before" in page.empty.text()

    # Unticked: any day again.
    qtbot.mouseClick(page.since_on, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.until_on, Qt.MouseButton.LeftButton)
    assert page.since.text() == "any day"
    assert len(model.campaigns) == 12
    assert not page.empty.isVisible()


@pytest.mark.parametrize("size", [(1366, 768), (1024, 640)])
def test_a_small_window_keeps_the_detail_chart_and_tables_usable(
    qtbot: QtBot, stats_page: StatisticsPage, size: tuple[int, int]
) -> None:
    page = stats_page
    window = page.window()
    window.resize(*size)
    select_rows(page, [0])
    with qtbot.waitSignal(page.opened, timeout=10_000):
        page.open_selected()
    qtbot.waitUntil(lambda: page.links_model.rowCount() > 0)
    qtbot.wait(50)  # (laid out)
    chart, tables = page.time_chart, page.detail_tables
    assert chart.height() >= 250  # (its axis labels whole)
    assert tables.geometry().top() >= chart.geometry().bottom()  # (not drawn over)
    links = tables.currentWidget()
    assert isinstance(links, QTableView)
    rows = links.viewport().height() // links.verticalHeader().defaultSectionSize()
    assert rows >= 5
    if size == (1366, 768):  # (there, everything shows without scrolling)
        assert not page.detail_scroll.verticalScrollBar().isVisible()


def test_the_status_line_goes_with_its_tab_and_a_report_is_of_what_is_shown(
    qtbot: QtBot, stats_page: StatisticsPage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = stats_page
    asked: list[str] = []

    def ask(*args: object, **kwargs: object) -> Path:
        asked.append(str(args[2]))
        return tmp_path / f"{len(asked)}.csv"

    monkeypatch.setattr(dialogs, "ask_save_file", ask)
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    assert "saved to" in page.status.text()
    select_rows(page, [0])
    with qtbot.waitSignal(page.opened, timeout=10_000):
        page.open_selected()
    assert page.status.text() == ""  # (the export's line is not left over the campaign)

    # On the Lists tab, Ctrl+Shift+F does not report the campaign opened before.
    page.tabs.setCurrentIndex(3)
    asked.clear()
    qtbot.keyClick(page.tabs, Qt.Key.Key_F, CTRL_SHIFT)
    assert asked == []
    assert "open one first" in page.status.text()
    page.tabs.setCurrentIndex(1)
    qtbot.keyClick(page.tabs, Qt.Key.Key_F, CTRL_SHIFT)
    assert len(asked) == 1
    assert asked[0].endswith(".pdf")

    # A refresh does not turn the page to the campaign opened before.
    page.tabs.setCurrentIndex(0)
    with qtbot.waitSignal(page.loaded, timeout=30_000):
        qtbot.mouseClick(page.refresh_button, Qt.MouseButton.LeftButton)
    assert page.tabs.currentIndex() == 0
    assert page.status.text().startswith("Refreshed statistics of ")
    assert "request" not in page.status.text()
    assert "cache" not in (page.status.text() + page.age.text()).casefold()
