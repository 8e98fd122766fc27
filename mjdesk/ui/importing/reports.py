"""The import's reports, saved where the user chooses: the per-row report (CSV or XLSX) and
an annotated copy of the source spreadsheet. Written off the GUI thread."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from mjdesk.core.exporting import OverwritesSource, refuse_overwriting
from mjdesk.core.work import CancelToken, ProgressReport
from mjdesk.ui.common import dialogs
from mjdesk.ui.common.errors import error_text

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from mjdesk.core.importing import Plan
    from mjdesk.core.settings import Settings
    from mjdesk.ui.common.progress import JobStrip

REPORT_FILTER = "Excel workbook (*.xlsx);;CSV (*.csv)"
ANNOTATED_FILTER = "Excel workbook (*.xlsx)"


def suggested_name(plan: Plan, suffix: str) -> str:
    stem = Path(plan.cleaned.table.source.file_name).stem or "import"
    return f"{stem} – {suffix}"


def save(
    parent: QWidget,
    strip: JobStrip,
    plan: Plan,
    *,
    annotated: bool,
    settings: Settings,
    source: Path | None,
    done: Callable[[str], None],
) -> None:
    """Ask where, then write the report (or the annotated copy) in the background."""
    from mjdesk.core.importing.report import write_annotated_copy, write_report

    if strip.busy:
        return
    write = write_annotated_copy if annotated else write_report
    if annotated:
        target = dialogs.ask_save_file(
            parent,
            "Save an annotated copy",
            suggested_name(plan, "problems marked.xlsx"),
            ANNOTATED_FILTER,
            settings=settings,
            kind="reports",
            near=source.parent if source is not None else None,
        )
    else:
        target = dialogs.ask_save_file(
            parent,
            "Export the report",
            suggested_name(plan, "import report.xlsx"),
            REPORT_FILTER,
            settings=settings,
            kind="reports",
            near=source.parent if source is not None else None,
        )
    if target is None:
        return
    if target.suffix.lower() not in ((".xlsx",) if annotated else (".xlsx", ".csv")):
        target = target.with_suffix(".xlsx")
    if source is not None:
        try:
            refuse_overwriting(target, source)
        except OverwritesSource as exc:
            done(exc.user_message)
            return

    def work(_progress: ProgressReport, cancel: CancelToken) -> Path:
        cancel.check()
        return write(plan, target)

    strip.run(
        work,
        lambda path: done(f"Saved {path.name} in {path.parent}."),
        lambda exc: done(error_text(exc, target)),
        phase=f"Writing {target.name}…",
    )
