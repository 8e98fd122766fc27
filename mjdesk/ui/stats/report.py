"""A one-page PDF report of a campaign or a comparison (`QPdfWriter`): the title, when the
figures were fetched, the note on opens, the summary figures (click-based first), a chart and
the most clicked links. The window and ``mjdesk stats --pdf`` both draw it with this code; it
needs a QApplication (the chart is a widget), which the command line makes offscreen."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCharts import QChart
from PySide6.QtCore import QMarginsF, QRectF, QSize, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPageLayout, QPageSize, QPainter, QPdfWriter

from mjdesk.core.paths import make_private
from mjdesk.core.stats.cache import CampaignDetail
from mjdesk.core.stats.export import ReportData, report_data
from mjdesk.core.stats.figures import CampaignFigures
from mjdesk.core.work import UserError
from mjdesk.ui.stats.charts import compared_rates, over_time, render_chart

_DPI = 300
_FIGURE = re.compile(r"–|[\d,.]+( %)?")
"""A cell holding a count or a rate (aligned right), not a subject that starts with a digit."""
_FIRST = ("Clicked", "Click rate", "Click-to-open")
"""Summary lines that come first: click-based figures are the trustworthy ones."""


def report_chart(data: ReportData, details: Sequence[CampaignDetail | None]) -> QChart:
    """A campaign's clicks and opens per day when its detail is known, else (and for a
    comparison) the rates as bars."""
    found = [item for item in details if item is not None]
    if len(data.campaigns) == 1 and found and found[0].by_day:
        return over_time(found[0].by_day, by_day=True)
    return compared_rates(data.campaigns)


def write_report(
    campaigns: Sequence[CampaignFigures],
    details: Sequence[CampaignDetail | None],
    out: Path,
) -> ReportData:
    """Write the report of ``campaigns`` (one, or 2 to 10 compared) to ``out``, replacing it."""
    if not 1 <= len(campaigns) <= 10:
        raise UserError("A report is of one campaign, or compares 2 to 10.")
    if not out.parent.is_dir():
        raise UserError(f"The folder {out.parent} does not exist.")
    data = report_data(campaigns, details)
    fd, name = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=".tmp", dir=out.parent)
    os.close(fd)
    temp = Path(name)
    try:
        _draw(data, report_chart(data, details), temp)
        make_private(temp)
        os.replace(temp, out)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return data


def _draw(data: ReportData, chart: QChart, out: Path) -> None:
    writer = QPdfWriter(str(out))
    writer.setResolution(_DPI)
    writer.setTitle(f"Statistics: {data.title}")
    writer.setCreator("mjdesk")
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(15, 15, 15, 15),
            QPageLayout.Unit.Millimeter,
        )
    )
    painter = QPainter()
    if not painter.begin(writer):
        raise UserError(f"{out.name} cannot be written.")
    try:
        _Page(painter, writer.width()).draw(data, chart)
    finally:
        painter.end()


class _Page:
    """Lays the report out top to bottom on one page, ``width`` device pixels wide."""

    def __init__(self, painter: QPainter, width: int) -> None:
        self.painter = painter
        self.width = float(width)
        self.y = 0.0

    def font(self, points: float, bold: bool = False) -> QFontMetricsF:
        font = QFont("DejaVu Sans")
        font.setStyleHint(QFont.StyleHint.SansSerif)
        font.setPointSizeF(points)
        font.setBold(bold)
        self.painter.setFont(font)
        return QFontMetricsF(font, self.painter.device())

    def text(self, text: str, points: float, *, bold: bool = False, gap: float = 0.3) -> None:
        metrics = self.font(points, bold)
        box = QRectF(0, self.y, self.width, 10 * metrics.height())
        flags = int(Qt.TextFlag.TextWordWrap)
        used = self.painter.boundingRect(box, flags, text)
        self.painter.drawText(box, flags, text)
        self.y += used.height() + gap * metrics.height()

    def columns(
        self, rows: Sequence[Sequence[str]], widths: Sequence[float], points: float
    ) -> None:
        """A plain table: each row on one line, cells elided to their column's width; columns
        of figures (and their titles) aligned right."""
        figures = [
            all(_FIGURE.fullmatch(row[col]) for row in rows[1:] if row[col])
            and any(row[col] for row in rows[1:])
            for col in range(len(widths))
        ]
        for index, row in enumerate(rows):
            metrics = self.font(points, bold=index == 0)
            x = 0.0
            for cell, share, right in zip(row, widths, figures, strict=True):
                width = share * self.width
                shown = metrics.elidedText(cell, Qt.TextElideMode.ElideRight, width - 20)
                align = Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft
                self.painter.drawText(
                    QRectF(x, self.y, width - 20, metrics.height()),
                    int(align | Qt.AlignmentFlag.AlignVCenter),
                    shown,
                )
                x += width
            self.y += metrics.height() * 1.1

    def draw(self, data: ReportData, chart: QChart) -> None:
        self.text(data.title, 16, bold=True)
        fetched = data.fetched_at.replace("T", " ")[:16]
        self.text(
            f"Figures fetched from Mailjet {fetched} UTC." if fetched else "Figures not fetched.",
            9,
        )
        if len(data.campaigns) > 1:
            rows = [
                [
                    "Campaign",
                    "Sent on",
                    "List",
                    "Delivered",
                    "Click rate %",
                    "Click-to-open %",
                ]
            ]
            for c in data.campaigns:
                rows.append(
                    [
                        c.subject,
                        c.sent_at[:10],
                        c.list_name,
                        f"{c.delivered:,}",
                        _percent(c.click_rate),
                        _percent(c.click_to_open),
                    ]
                )
            self.columns(rows, (0.32, 0.10, 0.22, 0.09, 0.12, 0.15), 7.5)
            self.y += 20
        else:
            c = data.campaigns[0]
            self.text(
                f"Sent {c.sent_at.replace('T', ' ')[:16]} UTC to “{c.list_name}”"
                f" (Mailjet campaign {c.campaign_id}).",
                9,
            )
        self.text(data.note, 8.5, gap=0.6)
        # Counts on the left, rates on the right, click-based first in each, a gap between.
        counts = sorted(data.counts(), key=_clicks_first)
        rates = sorted(data.rates(), key=_clicks_first)
        which = "Totals" if len(data.campaigns) > 1 else "Counts"
        rows = [[which, "Messages", "", "Rates", "Value"]]
        for (name, value, _), (rate, share, _) in zip(counts, rates, strict=True):
            rows.append([name, value, "", rate, share])
        self.columns(rows, (0.27, 0.13, 0.08, 0.38, 0.14), 8.5)
        self.y += 30
        height = self.width * 0.55
        image = render_chart(chart, QSize(900, int(900 * 0.55)))
        self.painter.drawImage(QRectF(0, self.y, self.width, height), image)
        self.y += height + 30
        if data.top_links and len(data.campaigns) > 1:
            rows = [["Most clicked links", "Campaign", "Clicks", "Share of its clicks"]]
            rows += [
                [
                    link.url,
                    f"{c.sent_at[:10]} {c.subject}",
                    f"{link.clicked_events:,}",
                    _percent(link.share),
                ]
                for c, link in data.top_links
            ]
            self.columns(rows, (0.37, 0.32, 0.09, 0.22), 8.5)
        elif data.top_links:
            rows = [["Most clicked links", "Clicks", "Share of clicks"]]
            rows += [
                [link.url, f"{link.clicked_events:,}", _percent(link.share)]
                for _, link in data.top_links
            ]
            self.columns(rows, (0.66, 0.14, 0.20), 8.5)
        else:
            self.text("No link clicks fetched for this report.", 8.5)
        self.y += 20
        self.text(
            "Definitions: click rate = clicked ÷ delivered; click-to-open = clicked ÷ opened "
            "(Mailjet's dashboard calls it “% Clicked”); opened % = opened ÷ delivered; "
            "delivered % = delivered ÷ sent; hard bounced % = hard bounced ÷ sent; soft "
            "bounced % = soft bounced ÷ sent; blocked % = blocked ÷ sent; spam % = spam "
            "complaints ÷ delivered; unsubscribed % = unsubscribed ÷ delivered. Sent = every "
            "message Mailjet processed.",
            7.5,
        )


def _clicks_first(line: tuple[str, str, str]) -> int:
    """Where a summary line goes: click-based figures first, in `_FIRST`'s order."""
    return next((at for at, name in enumerate(_FIRST) if line[0].startswith(name)), len(_FIRST))


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.2f} %"
