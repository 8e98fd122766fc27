"""The campaigns table as a file (CSV or XLSX, cells neutralised as every export's are), and the
data a one-page PDF report prints (the PDF itself needs Qt: the window draws it)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
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
"""The columns, in order: the issue's (part 8), then every rate as a percentage."""


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
    """Write the campaigns table to ``out`` (``.csv`` or ``.xlsx``), replacing it."""
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
            _write_xlsx(temp, table_rows(rows))
        os.replace(temp, out)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return out


def _write_xlsx(path: Path, rows: list[list[Any]]) -> None:
    import xlsxwriter  # type: ignore[import-untyped]

    book = xlsxwriter.Workbook(str(path), XLSX_OPTIONS)
    try:
        bold = book.add_format({"bold": True, "bottom": 1})
        sheet = book.add_worksheet("Campaigns")
        sheet.freeze_panes(1, 0)
        for col, title in enumerate(HEADER):
            sheet.write_string(0, col, title, bold)
        for line, row in enumerate(rows, start=1):
            for col, value in enumerate(row):
                if isinstance(value, str):
                    if value:
                        sheet.write_string(line, col, str(neutralise(value)))
                else:
                    sheet.write_number(line, col, value)
    finally:
        book.close()
    make_private(path)


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
