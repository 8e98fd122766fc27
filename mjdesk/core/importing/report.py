"""What the dry run found, written for people: the per-row report (CSV or XLSX), and an
annotated copy of the source spreadsheet with every problem cell highlighted and commented,
so the data owner can fix the source and send it again.

xlsxwriter is imported inside the writers: it is only needed when a workbook is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from mjdesk.core.exporting import XLSX_OPTIONS, write_csv
from mjdesk.core.importing.mapping import Role
from mjdesk.core.importing.plan import FieldChange, Outcome, Plan

REPORT_HEADER = ("Row", "Email", "Outcome", "Reason", "Changes", "Suggestion")

OUTCOME_LABELS = {
    Outcome.NEW: "new",
    Outcome.UPDATE: "update",
    Outcome.UNCHANGED: "unchanged",
    Outcome.SKIPPED_NO_CONSENT: "skipped: no consent",
    Outcome.INVALID: "invalid",
    Outcome.DUPLICATE: "duplicate in the file",
    Outcome.BLOCKED_ERASED: "blocked: erased person",
    Outcome.TYPO_SUGGESTION: "held back: possible typo",
}
"""How an outcome reads in reports and on the command line."""

REJECTED = frozenset(
    {
        Outcome.SKIPPED_NO_CONSENT,
        Outcome.INVALID,
        Outcome.DUPLICATE,
        Outcome.BLOCKED_ERASED,
        Outcome.TYPO_SUGGESTION,
    }
)
"""Outcomes of rows that are not imported."""

#: background colours of problem cells in the annotated copy, by outcome (and for warnings)
FILL = {
    Outcome.INVALID: "#F8C9C4",
    Outcome.DUPLICATE: "#FBD9A8",
    Outcome.TYPO_SUGGESTION: "#FFF2A8",
    Outcome.BLOCKED_ERASED: "#D9C8EE",
    Outcome.SKIPPED_NO_CONSENT: "#C9DDF5",
}
WARNING_FILL = "#E6E6E6"
MAX_COMMENTS = 50_000
"""Cell comments in one annotated copy; past this every row still has its status column."""

EXCEL_CELL_CHARS = 32_767
"""The most characters an Excel cell holds; xlsxwriter cuts longer text without a word."""
CUT_NOTE = "Cut to 32,767 characters: Excel's limit; the whole value was read."

ROLE_NOTE = "A role address (such as info@ or office@): a shared mailbox, not one person."


def describe_changes(changes: tuple[FieldChange, ...]) -> str:
    """``first_name: 'Old' → 'New'; team: '' → 'B'``."""
    return "; ".join(f"{c.name}: {c.before!r} → {c.after!r}" for c in changes)


def _reason(plan: Plan, index: int) -> str:
    reason = plan.reasons.get(index, "")
    if index in plan.cleaned.role_addresses and plan.outcomes[index] not in REJECTED:
        reason = f"{reason} {ROLE_NOTE}".strip()
    date_problem = plan.cleaned.date_problems.get(index)
    if date_problem:
        reason = f"{reason} Consent date: {date_problem}".strip()
    for note in _corrections(plan, index):
        reason = f"{reason} {note}".strip()
    return reason


def _corrections(plan: Plan, index: int) -> list[str]:
    """What the user corrected in this row during the dry run, as notes."""
    table = plan.cleaned.table
    return [
        f"Corrected in mjdesk: {header} {table.column(header)[index]!r} → {text!r}."
        for (row, header), text in plan.cleaned.edits.items()
        if row == index and header in table.headers
    ]


def report_rows(plan: Plan) -> Iterator[tuple[int, str, str, str, str, str]]:
    """One tuple per row, in file order, as `REPORT_HEADER` names the fields."""
    cleaned = plan.cleaned
    numbers = cleaned.table.row_numbers
    for index, outcome in enumerate(plan.outcomes):
        suggestion = (
            cleaned.suggestions.get(index, "") if outcome is Outcome.TYPO_SUGGESTION else ""
        )
        yield (
            numbers[index],
            cleaned.emails[index],
            OUTCOME_LABELS[outcome],
            _reason(plan, index),
            describe_changes(plan.changes.get(index, ())),
            suggestion,
        )


def write_report_csv(plan: Plan, path: Path) -> Path:
    """The per-row report as CSV (no cell can run as a formula: `mjdesk.core.exporting`)."""
    return write_csv(path, REPORT_HEADER, report_rows(plan))


def write_report_xlsx(plan: Plan, path: Path) -> Path:
    """The per-row report as a workbook: a filterable table and a sheet of counts."""
    import xlsxwriter  # type: ignore[import-untyped]

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, **XLSX_OPTIONS})
    try:
        bold = book.add_format({"bold": True, "bottom": 1})
        fills = {o: book.add_format({"bg_color": c}) for o, c in FILL.items()}
        sheet = book.add_worksheet("Report")
        sheet.freeze_panes(1, 0)
        for col, (title, width) in enumerate(
            zip(REPORT_HEADER, (7, 34, 22, 60, 50, 30), strict=True)
        ):
            sheet.set_column(col, col, width)
            sheet.write_string(0, col, title, bold)
        last = 0
        for last, row in enumerate(report_rows(plan), 1):
            number, email, label, reason, changes, suggestion = row
            sheet.write_number(last, 0, number)
            sheet.write_string(last, 1, email)
            sheet.write_string(last, 2, label, fills.get(plan.outcomes[last - 1]))
            for col, text in ((3, reason), (4, changes), (5, suggestion)):
                if text:
                    sheet.write_string(last, col, text)
        sheet.autofilter(0, 0, last, len(REPORT_HEADER) - 1)
        _counts_sheet(book, plan, bold)
    finally:
        book.close()
    return path


def _counts_sheet(book: Any, plan: Plan, bold: Any) -> None:
    sheet = book.add_worksheet("Counts")
    sheet.set_column(0, 0, 28)
    sheet.write_string(0, 0, "Outcome", bold)
    sheet.write_string(0, 1, "Rows", bold)
    for line, outcome in enumerate(Outcome, 1):
        sheet.write_string(line, 0, OUTCOME_LABELS[outcome])
        sheet.write_number(line, 1, plan.counts.get(outcome, 0))
    source = plan.cleaned.table.source
    sheet.write_string(len(Outcome) + 2, 0, "File")
    sheet.write_string(len(Outcome) + 2, 1, source.file_name)
    sheet.write_string(len(Outcome) + 3, 0, "SHA-256")
    sheet.write_string(len(Outcome) + 3, 1, source.sha256)
    if source.sheet:
        sheet.write_string(len(Outcome) + 4, 0, "Sheet")
        sheet.write_string(len(Outcome) + 4, 1, source.sheet)


def write_report(plan: Plan, path: str | Path) -> Path:
    """The per-row report, as CSV or XLSX by the file's extension."""
    path = Path(path)
    writers: dict[str, Callable[[Plan, Path], Path]] = {
        ".csv": write_report_csv,
        ".xlsx": write_report_xlsx,
    }
    writer = writers.get(path.suffix.lower())
    if writer is None:
        raise ValueError(f"{path.name}: a report is written as .csv or .xlsx")
    return writer(plan, path)


# -- the annotated copy ----------------------------------------------------------------------


def _cell_notes(plan: Plan, index: int) -> list[tuple[str, str, str | None]]:
    """(header, comment, fill) for each problem cell of one row; fill None = a warning."""
    cleaned, mapping = plan.cleaned, plan.cleaned.mapping
    outcome = plan.outcomes[index]
    email = mapping.header_for(Role.EMAIL)
    consent = mapping.header_for(Role.CONSENT)
    date = mapping.header_for(Role.CONSENT_DATE)
    reason = plan.reasons.get(index, "")
    notes: list[tuple[str, str, str | None]] = []
    if outcome is Outcome.SKIPPED_NO_CONSENT:
        target = consent or email
        if target:
            notes.append((target, reason, FILL[outcome]))
    elif outcome in FILL and email:
        notes.append((email, reason, FILL[outcome]))
    elif reason and (consent or email):
        # An update or unchanged row with a note (a grant that cannot undo a withdrawal).
        notes.append((consent or email or "", reason, None))
    if email and index in cleaned.role_addresses and outcome not in REJECTED:
        notes.append((email, ROLE_NOTE, None))
    problem = cleaned.date_problems.get(index)
    if date and problem:
        notes.append((date, f"Not read as a date: {problem}", WARNING_FILL))
    for (row, header), text in cleaned.edits.items():
        if row == index and header in cleaned.table.headers:
            notes.append((header, f"Corrected in mjdesk to {text!r}: correct it here too.", None))
    return notes


def write_annotated_copy(plan: Plan, path: str | Path) -> Path:
    """A copy of the source sheet as XLSX, every row where it was, with each problem cell
    highlighted and a comment saying what is wrong, and an "mjdesk" status column at the end.

    Values are written as the importer read them (text), so nothing is lost or reformatted
    (leading zeros stay). Rows keep their row numbers, so "row 27" in a report is row 27 here.
    """
    import xlsxwriter

    path = Path(path)
    cleaned = plan.cleaned
    table = cleaned.table
    book = xlsxwriter.Workbook(str(path), XLSX_OPTIONS)
    try:
        bold = book.add_format({"bold": True, "bottom": 1})
        fills: dict[str, Any] = {}

        def fill(colour: str) -> Any:
            if colour not in fills:
                fills[colour] = book.add_format({"bg_color": colour, "border": 1})
            return fills[colour]

        name = (table.source.sheet or "Sheet1")[:31]
        for bad in "[]:*?/\\":
            name = name.replace(bad, "_")
        sheet = book.add_worksheet(name)
        header_row = (table.source.header_row or 1) - 1
        status_col = len(table.headers)
        if table.source.header_row is not None:
            for col, header in enumerate(table.headers):
                sheet.write_string(header_row, col, header, bold)
        sheet.write_string(header_row if table.source.header_row else 0, status_col, "mjdesk", bold)
        sheet.set_column(status_col, status_col, 60)
        sheet.freeze_panes(header_row + 1, 0)
        col_of = {header: col for col, header in enumerate(table.headers)}
        comments = 0
        for index, number in enumerate(table.row_numbers):
            row = number - 1
            notes: dict[int, tuple[str, str | None]] = {}
            for header, text, colour in _cell_notes(plan, index):
                before, earlier = notes.get(col_of[header], ("", None))
                notes[col_of[header]] = (f"{before}\n{text}".strip(), earlier or colour)
            for col, values in enumerate(table.columns):
                value = values[index]
                note = notes.get(col)
                cut = len(value) > EXCEL_CELL_CHARS
                if note is None and not cut:
                    if value:
                        sheet.write_string(row, col, value)
                    continue
                text, colour = note or ("", None)
                if cut:  # said in the cell's comment, not lost without a word
                    value = value[:EXCEL_CELL_CHARS]
                    text = f"{text}\n{CUT_NOTE}".strip()
                cell_format = fill(colour or WARNING_FILL) if note is not None else None
                sheet.write_string(row, col, value, cell_format)
                if text and comments < MAX_COMMENTS:
                    sheet.write_comment(row, col, text, {"x_scale": 2, "y_scale": 1.5})
                    comments += 1
            status = OUTCOME_LABELS[plan.outcomes[index]]
            reason = _reason(plan, index)
            sheet.write_string(row, status_col, f"{status}: {reason}" if reason else status)
        _legend_sheet(book, plan, bold, fill)
    finally:
        book.close()
    return path


def _legend_sheet(book: Any, plan: Plan, bold: Any, fill: Callable[[str], Any]) -> None:
    sheet = book.add_worksheet("mjdesk notes")
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 1, 90)
    source = plan.cleaned.table.source
    sheet.write_string(0, 0, f"Checked by mjdesk: {source.file_name}", bold)
    sheet.write_string(1, 0, "SHA-256 of the file")
    sheet.write_string(1, 1, source.sha256)
    sheet.write_string(3, 0, "Colour", bold)
    sheet.write_string(3, 1, "Meaning (rows)", bold)
    line = 4
    for outcome, colour in FILL.items():
        sheet.write_string(line, 0, OUTCOME_LABELS[outcome], fill(colour))
        sheet.write_number(line, 2, plan.counts.get(outcome, 0))
        sheet.write_string(line, 1, _LEGEND[outcome])
        line += 1
    sheet.write_string(line, 0, "warning", fill(WARNING_FILL))
    sheet.write_string(
        line, 1, "Imported, but worth a look (role address, a date not read, a consent note)."
    )
    sheet.write_string(
        line + 2,
        0,
        "Fix the highlighted cells in the original file (hover for the comment), then import "
        "it again. The last column says what happened to every row.",
    )


_LEGEND = {
    Outcome.INVALID: "The address is not a valid e-mail address, or a cell is too long for a "
    "contact field; the row was not imported.",
    Outcome.DUPLICATE: "The same address appears on an earlier row; only the first counts.",
    Outcome.TYPO_SUGGESTION: "The domain looks misspelt; the comment says what was probably meant.",
    Outcome.BLOCKED_ERASED: "This person was erased on request and cannot be added back "
    "without a new, dated consent.",
    Outcome.SKIPPED_NO_CONSENT: "No consent (or a value not understood as yes or no); a new "
    "person is only added with consent.",
}
