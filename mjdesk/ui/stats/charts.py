"""The page's charts (Qt Charts): opens and clicks over time, grouped bars of rates, a list's
subscribers over time. Each is made by a function of plain figures, so the page, the PNG
export and the PDF report draw the same chart; on screen it follows the palette (light or
dark), on paper and in a PNG it is light. Every point and bar says its value on hover."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QCategoryAxis,
    QChart,
    QDateTimeAxis,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QDateTime, QMargins, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QCursor, QImage, QPainter, QPalette
from PySide6.QtWidgets import QGraphicsScene, QToolTip

from mjdesk.core.stats.cache import HourCounts
from mjdesk.core.stats.figures import RATES, CampaignFigures
from mjdesk.core.work import UserError

ChartMaker = Callable[[QPalette | None], QChart]
"""Makes one chart afresh in a palette (None: light, for paper); the page keeps the maker of
each chart it shows, to draw it again when the palette changes and for exports."""

COMPARED_RATES = ("click_rate", "click_to_open", "open_rate")
"""The rates a comparison's bars show, click-based first (opens are inflated); on one scale
that fits them (the others are near 0 or 100 % and would squash them)."""
DISTINCT = (
    "#4E79A7", "#F28E2B", "#E15759", "#76B7B2", "#59A14F",
    "#EDC948", "#B07AA1", "#FF9DA7", "#9C755F", "#BAB0AC",
)  # fmt: skip
"""Ten colours told apart at a glance (Tableau 10), one per compared campaign."""
MOST_LABELS = 14
"""At most this many day (hour) labels on a time axis: more would overlap."""


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def follow_palette(chart: QChart, palette: QPalette | None) -> QChart:
    """Light or dark as the window is (``palette`` None: light, for paper and images)."""
    dark = palette is not None and is_dark(palette)
    chart.setTheme(QChart.ChartTheme.ChartThemeDark if dark else QChart.ChartTheme.ChartThemeLight)
    if palette is not None:
        chart.setBackgroundBrush(palette.color(QPalette.ColorRole.Base))
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    return chart


def _say(text: str) -> None:
    QToolTip.showText(QCursor.pos(), text)


def _epoch_ms(stamp: str) -> float:
    """``YYYY-MM-DDTHH`` or ``YYYY-MM-DD`` (UTC) as milliseconds since 1970."""
    form = "%Y-%m-%dT%H" if len(stamp) > 10 else "%Y-%m-%d"
    return datetime.strptime(stamp[:13], form).replace(tzinfo=UTC).timestamp() * 1000


def over_time(
    slices: Sequence[HourCounts], *, by_day: bool, title: str = "", palette: QPalette | None = None
) -> QChart:
    """Messages clicked and opened per day (or hour), clicks first (opens are inflated by privacy
    proxies and scanners). Each point is at its day's (hour's) distance from the first, and the
    axis labels each one on its point (one in so many when there are too many to read)."""
    chart = follow_palette(QChart(), palette)
    chart.setTitle(title or ("Clicks and opens per day" if by_day else "Clicks and opens per hour"))
    unit_ms = (24 if by_day else 1) * 3_600_000
    first = _epoch_ms(slices[0].hour) if slices else 0.0
    places = [round((_epoch_ms(item.hour) - first) / unit_ms) for item in slices]
    stamps = {place: item.hour for place, item in zip(places, slices, strict=True)}

    def moment(place: float) -> str:
        stamp = stamps.get(round(place), "")
        return stamp if by_day else stamp.replace("T", " ") + ":00"

    for name, attribute in (("Clicked", "clicked"), ("Opened", "opened")):
        series = QLineSeries(chart)
        series.setName(name)
        series.setPointsVisible(by_day or len(slices) < 60)
        for place, item in zip(places, slices, strict=True):
            series.append(place, getattr(item, attribute))

        def tell(point: QPointF, state: bool, what: str = name) -> None:
            if state:
                _say(f"{what}: {int(point.y()):,} messages ({moment(point.x())} UTC)")

        series.hovered.connect(tell)
        chart.addSeries(series)
    time_axis = QCategoryAxis(chart)
    time_axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
    last = places[-1] if places else 1
    every = max(1, -(-(last + 1) // MOST_LABELS))
    for place in range(0, last + 1, every):
        when = datetime.fromtimestamp((first + place * unit_ms) / 1000, UTC)
        label = f"{when.day} {when:%b}" + ("" if by_day else f" {when:%H}h")
        time_axis.append(label, place)
    time_axis.setRange(-0.3 if by_day else 0, max(1, last) + (0.3 if by_day else 0))
    time_axis.setLabelsAngle(-30)
    time_axis.setTitleText("Day (UTC)" if by_day else "Hour (UTC)")
    counts = QValueAxis(chart)
    counts.setTitleText("Messages")
    counts.setLabelFormat("%d")
    counts.setMin(0)
    most = max((max(s.opened, s.clicked) for s in slices), default=0)
    counts.setMax(max(1, most))
    counts.applyNiceNumbers()
    chart.addAxis(time_axis, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(counts, Qt.AlignmentFlag.AlignLeft)
    for line in chart.series():
        line.attachAxis(time_axis)
        line.attachAxis(counts)
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignRight)  # (the height is for the lines)
    chart.setMargins(QMargins(6, 4, 6, 4))
    return chart


def grouped_bars(
    title: str,
    categories: Sequence[str],
    groups: Sequence[tuple[str, Sequence[float]]],
    *,
    value_title: str,
    percent: bool,
    palette: QPalette | None = None,
    names: Sequence[str] = (),
    group_tips: Sequence[str] = (),
) -> QChart:
    """One bar set per group (a campaign, a state), one bar per category in each, each bar
    labelled with its value, each group in a colour of its own; ``names``: the categories'
    full names for the hover text (the axis shows ``categories``); ``group_tips``: the groups'
    full names, said on hovering their legend entry."""
    chart = follow_palette(QChart(), palette)
    chart.setTitle(title)
    ink = QColor("black") if palette is None or not is_dark(palette) else QColor("white")
    series = QBarSeries(chart)
    most = 0.0
    for index, (name, values) in enumerate(groups):
        bars = QBarSet(name, series)
        if len(groups) > 1:
            bars.setColor(QColor(DISTINCT[index % len(DISTINCT)]))
        bars.setLabelColor(ink)
        for value in values:
            bars.append(value)
            most = max(most, value)
        series.append(bars)
    series.setLabelsVisible(True)
    series.setLabelsPosition(QAbstractBarSeries.LabelsPosition.LabelsOutsideEnd)
    series.setLabelsFormat("@value %" if percent else "@value")
    series.setLabelsPrecision(3 if percent else 9)
    if len(groups) * len(categories) > 12:
        series.setLabelsAngle(-90)  # (upright, they would overlap)

    def tell(state: bool, index: int, bars: QBarSet) -> None:
        if state:
            value = bars.at(index)
            shown = f"{value:.2f} %" if percent else f"{int(value):,}"
            _say(f"{bars.label()}\n{(names or categories)[index]}: {shown}")

    series.hovered.connect(tell)
    chart.addSeries(series)
    axis = QBarCategoryAxis(chart)
    axis.append(list(categories))
    scale = QValueAxis(chart)
    scale.setTitleText(value_title)
    scale.setMin(0)
    scale.setMax(max(1.0, most * 1.15))  # (room for the labels above the bars)
    scale.setLabelFormat("%.0f %%" if percent else "%d")
    scale.applyNiceNumbers()
    chart.addAxis(axis, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(scale, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(axis)
    series.attachAxis(scale)
    legend = chart.legend()
    legend.setVisible(len(groups) > 1)
    legend.setAlignment(
        Qt.AlignmentFlag.AlignRight if len(groups) > 3 else Qt.AlignmentFlag.AlignBottom
    )
    for marker, tip in zip(legend.markers(series), group_tips, strict=False):
        marker.hovered.connect(lambda state, tip=tip: _say(tip) if state else None)
    return chart


def short(subject: str, limit: int = 32) -> str:
    return subject if len(subject) <= limit else subject[: limit - 1] + "…"


def compared_rates(
    campaigns: Sequence[CampaignFigures], palette: QPalette | None = None, title: str = ""
) -> QChart:
    """A campaign's (or 2 to 10 campaigns') click and open rates as grouped bars, on a scale
    fitted to them (delivered % is near 100 % and unsubscribed % near 0: they are in the
    table); each campaign named by its send date and subject."""
    rates = [rate for rate in RATES if rate.key in COMPARED_RATES]
    rates.sort(key=lambda rate: COMPARED_RATES.index(rate.key))
    return grouped_bars(
        title or ("Click and open rates compared" if len(campaigns) > 1 else "Rates"),
        [rate.label.split(" (")[0] for rate in rates],
        [
            (
                f"{c.sent_at[:10]} {short(c.subject, 26)}",
                [100 * (c.rate(rate.key) or 0.0) for rate in rates],
            )
            for c in campaigns
        ],
        value_title="Percent",
        percent=True,
        palette=palette,
        names=[rate.label for rate in rates],
        group_tips=[
            f"{c.subject}\nsent {c.sent_at.replace('T', ' ')[:16]} UTC to “{c.list_name}”"
            for c in campaigns
        ],
    )


def subscribers_over_time(
    name: str, days: Sequence[tuple[str, int]], palette: QPalette | None = None
) -> QChart:
    """A list's subscribers at the end of each day its membership changed."""
    chart = follow_palette(QChart(), palette)
    chart.setTitle(f"Subscribers of “{name}” over time")
    series = QLineSeries(chart)
    series.setName("Subscribers")
    series.setPointsVisible(len(days) < 60)
    for day, count in days:
        series.append(_epoch_ms(day), count)

    def tell(point: QPointF, state: bool) -> None:
        if state:
            moment = QDateTime.fromMSecsSinceEpoch(int(point.x()), Qt.TimeSpec.UTC)
            _say(f"{int(point.y()):,} subscribers on {moment.toString('yyyy-MM-dd')}")

    series.hovered.connect(tell)
    chart.addSeries(series)
    time_axis = QDateTimeAxis(chart)
    time_axis.setFormat("MMM yyyy")
    time_axis.setTitleText("Date")
    counts = QValueAxis(chart)
    counts.setTitleText("Subscribers")
    counts.setLabelFormat("%d")
    counts.setMin(0)
    counts.setMax(max(1, max((count for _, count in days), default=0)))
    counts.applyNiceNumbers()
    chart.addAxis(time_axis, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(counts, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(time_axis)
    series.attachAxis(counts)
    chart.legend().setVisible(False)
    return chart


def save_png(maker: ChartMaker, out: Path, size: QSize) -> Path:
    """The chart, light, as a PNG of ``size`` pixels."""
    image = render_chart(maker(None), size)
    # (the stub wants the format as bytes, which PySide refuses at run time)
    if not image.save(str(out), "PNG"):  # type: ignore[call-overload]
        raise UserError(f"{out} cannot be written.")
    return out


def render_chart(chart: QChart, size: QSize) -> QImage:
    """``chart`` drawn into an image of exactly ``size`` pixels, through a scene of its own (no
    widget, no event processed); the chart is deleted with the scene."""
    scene = QGraphicsScene()
    scene.addItem(chart)
    area = QRectF(0, 0, size.width(), size.height())
    chart.setGeometry(area)
    layout = chart.layout()
    if layout is not None:
        layout.activate()  # (lays the chart out now, at this size)
    image = QImage(size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    scene.render(painter, area, area)
    painter.end()
    scene.clear()
    return image
