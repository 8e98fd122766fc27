"""The import's reports, saved where the user chooses: the per-row report (CSV or XLSX) and
an annotated copy of the source spreadsheet. Written off the GUI thread."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mjdesk.ui.import_jobs import JobCancel, JobProgress

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from mjdesk.core.importing import Plan
    from mjdesk.ui.import_progress import JobStrip

REPORT_FILTER = "Excel workbook (*.xlsx);;CSV (*.csv)"
ANNOTATED_FILTER = "Excel workbook (*.xlsx)"


def report_writers() -> tuple[Callable[[Any, Path], Path], Callable[[Any, Path], Path]] | None:
    """The core's ``write_report`` and ``write_annotated_copy``, when this build has them."""
    try:
        module = importlib.import_module("mjdesk.core.importing.report")
    except ImportError:
        return None
    report = getattr(module, "write_report", None)
    annotated = getattr(module, "write_annotated_copy", None)
    if report is None or annotated is None:
        return None
    return report, annotated


def suggested_name(plan: Plan, suffix: str) -> str:
    stem = Path(plan.cleaned.table.source.file_name).stem or "import"
    return f"{stem} – {suffix}"


def save(
    parent: QWidget,
    strip: JobStrip,
    plan: Plan,
    *,
    annotated: bool,
    done: Callable[[str], None],
) -> None:
    """Ask where, then write the report (or the annotated copy) in the background."""
    from mjdesk.ui.import_file_page import error_text
    from mjdesk.ui.import_wizard import ask_save_file

    writers = report_writers()
    if writers is None or strip.busy:
        return
    write = writers[1] if annotated else writers[0]
    if annotated:
        target = ask_save_file(
            parent,
            "Save an annotated copy",
            suggested_name(plan, "problems marked.xlsx"),
            ANNOTATED_FILTER,
        )
    else:
        target = ask_save_file(
            parent, "Export the report", suggested_name(plan, "import report.xlsx"), REPORT_FILTER
        )
    if target is None:
        return
    if target.suffix.lower() not in ((".xlsx",) if annotated else (".xlsx", ".csv")):
        target = target.with_suffix(".xlsx")

    def work(_progress: JobProgress, cancel: JobCancel) -> Path:
        cancel.check()
        return write(plan, target)

    strip.run(
        work,
        lambda path: done(f"Saved {path.name} in {path.parent}."),
        lambda exc: done(error_text(exc, target)),
        phase=f"Writing {target.name}…",
    )
