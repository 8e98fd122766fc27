"""The campaigns table as a file (CSV or XLSX, cells neutralised as every export's are), and the
data a one-page PDF report prints (the PDF itself needs Qt: the window draws it)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mjdesk.core.exporting import XLSX_OPTIONS, neutralise, write_csv
from mjdesk.core.paths import make_private
from mjdesk.core.stats.cache import CampaignDetail, LinkClicks
from mjdesk.core.stats.figures import RATES, CampaignFigures, totals
from mjdesk.core.work import UserError

COUNT_COLUMNS = (
    ("Sent", "processed"),
    ("Delivered", "delivered"),
    ("Opened", "opened"),
    ("Clicked", "clicked"),
    ("Hard bounced", "hard_bounced"),
    ("Soft bounced", "soft_bounced"),
    ("Blocked", "blocked"),
    ("Spam", "spam"),
    ("Unsubscribed", "unsubscribed"),
)
HEADER = (
    "Campaign ID",
    "Subject",
    "Sent at",
    "List",
    *(title for title, _ in COUNT_COLUMNS),
    *(rate.label for rate in RATES),
)
"""The columns, in order: the issue's (part 8), then every rate as a percentage. The CSV's
"Sent at" keeps the issue's name (its values end in Z: UTC); the workbook, whose dates are
dates without a zone, says "Sent at (UTC)"."""
XLSX_HEADER = tuple("Sent at (UTC)" if title == "Sent at" else title for title in HEADER)
TOTAL = "Total"
"""The totals row's "Campaign ID": the last row, its counts summed, its rates from the sums."""


def percent(value: float | None) -> float | str:
    """A rate as a percentage with two decimals; empty where it divides by zero."""
    return "" if value is None else round(100 * value, 2)


def table_rows(rows: Sequence[CampaignFigures]) -> list[list[Any]]:
    """One row per campaign, in `HEADER`'s order."""
    return [
        [
            row.campaign_id,
            row.subject,
            row.sent_at,
            row.list_name,
            *(getattr(row, name) for _, name in COUNT_COLUMNS),
            *(percent(row.rate(rate.key)) for rate in RATES),
        ]
        for row in rows
    ]


def write_table(rows: Sequence[CampaignFigures], out: Path) -> Path:
    """Write the campaigns table to ``out`` (``.csv`` or ``.xlsx``), replacing it. The CSV
    has one row per campaign and nothing else (scheduled jobs read it); the workbook, for
    people, ends with the totals row."""
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise UserError(f"{out.name}: the table is written as .csv or .xlsx.")
    if not out.parent.is_dir():
        raise UserError(f"The folder {out.parent} does not exist.")
    fd, name = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=".tmp", dir=out.parent)
    os.close(fd)
    temp = Path(name)
    try:
        if suffix == ".csv":
            write_csv(temp, HEADER, table_rows(rows))
        else:
            _write_xlsx(temp, rows)
        os.replace(temp, out)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return out


def _write_xlsx(path: Path, rows: Sequence[CampaignFigures]) -> None:
    """The table as a workbook: send dates as dates, rates as percentages (fractions shown
    with a percent format, so they add up as numbers), columns wide enough to read, the
    totals row last and bold."""
    import xlsxwriter  # type: ignore[import-untyped]

    book = xlsxwriter.Workbook(str(path), XLSX_OPTIONS)
    try:
        bold = book.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})
        when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        rate = book.add_format({"num_format": "0.00%"})
        count = book.add_format({"num_format": "#,##0"})
        total = book.add_format({"bold": True, "top": 1})
        total_rate = book.add_format({"bold": True, "top": 1, "num_format": "0.00%"})
        total_count = book.add_format({"bold": True, "top": 1, "num_format": "#,##0"})
        sheet = book.add_worksheet("Campaigns")
        sheet.freeze_panes(1, 0)
        first_rate = 4 + len(COUNT_COLUMNS)
        sheet.set_column(0, 0, 12)
        sheet.set_column(1, 1, 48)
        sheet.set_column(2, 2, 17, when)
        sheet.set_column(3, 3, 26)
        sheet.set_column(4, first_rate - 1, 12, count)
        sheet.set_column(first_rate, len(XLSX_HEADER) - 1, 16, rate)
        sheet.set_row(0, 45)  # (three lines: the long rate names wrap)
        for col, title in enumerate(XLSX_HEADER):
            sheet.write_string(0, col, title, bold)
        line = 0
        for line, row in enumerate(rows, start=1):
            sheet.write_number(line, 0, row.campaign_id)
            sheet.write_string(line, 1, str(neutralise(row.subject)))
            sent = _naive_utc(row.sent_at)
            if sent is not None:
                sheet.write_datetime(line, 2, sent, when)
            if row.list_name:
                sheet.write_string(line, 3, str(neutralise(row.list_name)))
            _write_figures(sheet, line, row, first_rate, count, rate)
        summed = totals(list(rows))
        line += 1
        sheet.write_string(line, 0, TOTAL, total)
        sheet.write_string(line, 1, summed.subject, total)
        sheet.write_blank(line, 2, None, total)
        sheet.write_blank(line, 3, None, total)
        _write_figures(sheet, line, summed, first_rate, total_count, total_rate)
    finally:
        book.close()
    make_private(path)


def _write_figures(
    sheet: Any, line: int, row: CampaignFigures, first_rate: int, count: Any, rate: Any
) -> None:
    for col, (_, name) in enumerate(COUNT_COLUMNS, start=4):
        sheet.write_number(line, col, getattr(row, name), count)
    for col, item in enumerate(RATES, start=first_rate):
        value = row.rate(item.key)
        if value is None:
            sheet.write_blank(line, col, None, rate)
        else:
            sheet.write_number(line, col, value, rate)


def _naive_utc(stamp: str) -> datetime | None:
    """``2026-11-02T09:30:00Z`` as a datetime without a zone (a workbook has none), or None."""
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None


@dataclass(frozen=True)
class ReportData:
    """What a one-page report prints: the campaigns' figures (one, or 2 to 10 compared), their
    totals, the most clicked links, and when the figures were fetched."""

    title: str
    campaigns: list[CampaignFigures]
    totals: CampaignFigures
    top_links: list[tuple[CampaignFigures, LinkClicks]]
    """The most clicked links, each with the campaign it is from (its share is of that
    campaign's clicks)."""
    fetched_at: str
    note: str = (
        "Opens are inflated by mail-privacy proxies and security scanners, which open messages "
        "nobody read: click figures are the more trustworthy."
    )

    def summary(self) -> list[tuple[str, str, str]]:
        """``(label, value, definition)`` for the totals: counts, then rates."""
        return self.counts() + self.rates()

    def counts(self) -> list[tuple[str, str, str]]:
        """``(label, value, definition)`` of each count of the totals."""
        from mjdesk.core.stats.figures import COUNTS

        f = self.totals
        return [(title, f"{getattr(f, key):,}", text) for key, title, text in COUNTS]

    def rates(self) -> list[tuple[str, str, str]]:
        """``(label, value, definition)`` of each rate of the totals."""
        lines = []
        for rate in RATES:
            value = self.totals.rate(rate.key)
            lines.append(
                (rate.label, "–" if value is None else f"{100 * value:.2f} %", rate.definition)
            )
        return lines


def report_data(
    campaigns: Sequence[CampaignFigures],
    details: Sequence[CampaignDetail | None] = (),
    *,
    top: int = 5,
) -> ReportData:
    """The report for one campaign or a comparison; ``details`` (where fetched) give the links."""
    if not campaigns:
        raise UserError("No campaign to report on.")
    links = sorted(
        ((item.figures, link) for item in details if item is not None for link in item.links),
        key=lambda pair: -pair[1].clicked_events,
    )[:top]
    title = campaigns[0].subject if len(campaigns) == 1 else f"{len(campaigns)} campaigns compared"
    fetched = min((c.fetched_at for c in campaigns if c.fetched_at), default="")
    return ReportData(title, list(campaigns), totals(list(campaigns)), links, fetched)
