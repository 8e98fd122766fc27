"""Exporting the contacts a query shows (a filter and a search) to CSV or XLSX, with the
columns the user chose, for a mailing, a check by a colleague, or a re-consent campaign.

The rows are streamed: ids in the query's order come from `plan_view` and the contacts are
read in chunks, so a million contacts never sit in memory at once. Every cell is safe to
open in a spreadsheet program (`mjdesk.core.exporting`). The file is written under a
temporary name beside the target and renamed once whole: a cancelled or failed export
leaves no half file, and an existing file is replaced only by a finished one.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from mjdesk.core.clock import current_user
from mjdesk.core.contacts import ContactQuery, plan_view
from mjdesk.core.exporting import XLSX_OPTIONS, is_same_file, write_csv
from mjdesk.core.filters import (
    JOINED_CONSENT,
    Consent,
    ContactFilter,
    consent_rows,
    retention_months,
    stale_before,
)
from mjdesk.core.flags import Flag
from mjdesk.core.journal import record_activity
from mjdesk.core.work import CancelToken, Progress, UserError
from mjdesk.core.workspace import Workspace

#: the kinds of file an export writes, by suffix
SUFFIXES = (".csv", ".xlsx")
#: contacts read at a time
CHUNK = 1_000
#: rows of one worksheet, its title row included (Excel's limit); more go on another sheet
XLSX_ROWS = 1_048_576
#: the prefix of a column that holds an imported property
PROPERTY = "property:"


class ExportColumn(NamedTuple):
    """A column an export can hold: its key (for ``--columns``) and its title in the file."""

    key: str
    title: str


BUILT_IN = (
    ExportColumn("email", "Email"),
    ExportColumn("first_name", "First name"),
    ExportColumn("last_name", "Last name"),
    ExportColumn("consent", "Consent"),
    ExportColumn("consent_date", "Consent date"),
    ExportColumn("consent_source", "Consent source"),
    ExportColumn("lists", "Lists"),
    ExportColumn("subscription", "Subscription"),
    ExportColumn("flags", "Flags"),
)
"""The columns every workspace has, in the order an export writes them."""

DEFAULT_KEYS = ("email", "first_name", "last_name", "consent", "consent_date")
"""What an export holds unless told otherwise: enough to write to each person."""


class ExportRefused(UserError):
    """The export cannot be written where or as asked; nothing was written."""


class NothingToExport(ExportRefused):
    """No contact matches the query: no file is written (an empty one would pass for a
    list that was exported)."""


class ExportResult(NamedTuple):
    path: Path
    contacts: int


def available_columns(con: sqlite3.Connection) -> list[ExportColumn]:
    """The built-in columns, then one per imported property (by the name imports gave it:
    every import names its new properties in ``property_types``)."""
    names = [str(row[0]) for row in con.execute("SELECT name FROM property_types ORDER BY name")]
    return [*BUILT_IN, *(ExportColumn(PROPERTY + name, name) for name in names)]


def choose_columns(con: sqlite3.Connection, keys: Sequence[str]) -> list[ExportColumn]:
    """The columns named by ``keys`` (a built-in key, or a property's name in any case), in
    the order given; `ExportRefused` names any unknown one and lists the choices."""
    columns = available_columns(con)
    by_key = {column.key: column for column in columns}
    by_key |= {c.title.casefold(): c for c in columns if c.key.startswith(PROPERTY)}
    by_key |= {c.key.casefold(): c for c in columns}
    chosen: list[ExportColumn] = []
    unknown: list[str] = []
    for key in keys:
        column = by_key.get(key.strip().casefold()) or by_key.get(key.strip())
        if column is None:
            unknown.append(key)
        elif column not in chosen:
            chosen.append(column)
    if unknown:
        names = ", ".join(c.title if c.key.startswith(PROPERTY) else c.key for c in columns)
        raise ExportRefused(f"No column {', '.join(unknown)}; the columns are {names}.")
    if not chosen:
        raise ExportRefused("Choose at least one column to export.")
    return chosen


def repermission_query(con: sqlite3.Connection) -> ContactQuery:
    """The re-permission list: every contact whose consent is older than the retention
    period, for a mailing that asks them to consent again."""
    return ContactQuery(
        filter=ContactFilter(consent=frozenset({Consent.STALE.stored})),
        cutoff=stale_before(retention_months(con)),
    )


#: a contact's consent in an exported cell, in the window's words
CONSENT_WORDS = {
    Consent.CURRENT.stored: "Granted",
    Consent.STALE.stored: "Too old",
    Consent.WITHDRAWN.stored: "Withdrawn",
    Consent.NONE.stored: "No consent",
}


def _consent_state(status: str, at: str | None, cutoff: str) -> str:
    if status == "granted":
        status = Consent.STALE.stored if (at or "") < cutoff else Consent.CURRENT.stored
    return CONSENT_WORDS.get(status, status)


_ROW_COLUMNS = (
    "SELECT contacts.id, email, first_name, last_name, consent_status, consent_at, "
    "consent_source, lists_label, subscription_label, properties FROM "
)


def _flag_text(con: sqlite3.Connection, ids: Sequence[int]) -> dict[int, str]:
    """Each contact's flags in words (a typo with its fix), in the order of `Flag`."""
    marks = ",".join("?" * len(ids))
    found: dict[int, dict[str, str]] = {}
    for flag, contact_id, hint in con.execute(
        f"SELECT flag, contact_id, hint FROM contact_flags WHERE contact_id IN ({marks})", ids
    ):
        found.setdefault(int(contact_id), {})[str(flag)] = str(hint)
    texts = {}
    for contact_id, flags in found.items():
        words = []
        for flag in Flag:
            if flag.stored in flags:
                fix = flags[flag.stored] if flag is Flag.TYPO else ""
                words.append(f"{flag.label} ({fix})" if fix else flag.label)
        texts[contact_id] = "; ".join(words)
    return texts


def _cells(
    row: tuple[Any, ...], columns: Sequence[ExportColumn], cutoff: str, flags: dict[int, str]
) -> list[str]:
    ident, email, first, last, status, at, source, lists, subscription, properties = row
    values = {
        "email": email,
        "first_name": first,
        "last_name": last,
        "consent": _consent_state(status, at, cutoff),
        "consent_date": at or "",
        "consent_source": source,
        "lists": lists,
        "subscription": subscription,
        "flags": flags.get(ident, ""),
    }
    own = json.loads(properties or "{}") if any(c.key.startswith(PROPERTY) for c in columns) else {}
    folded = {str(k).casefold(): v for k, v in own.items()}
    cells = []
    for column in columns:
        if column.key.startswith(PROPERTY):
            value = folded.get(column.title.casefold())
            cells.append("" if value is None else str(value))
        else:
            cells.append(str(values[column.key]))
    return cells


def export_rows(
    con: sqlite3.Connection,
    query: ContactQuery,
    columns: Sequence[ExportColumn],
    *,
    cancel: CancelToken | None = None,
    progress: Progress | None = None,
) -> tuple[int, Iterator[list[str]]]:
    """How many contacts the query shows, and their rows (cells as text) in its order.

    The rows are read lazily, ``CHUNK`` contacts at a time; ``cancel`` is checked and
    ``progress`` told between chunks. Read inside one transaction on ``con`` (the caller's).
    """
    view = plan_view(con, query, cancel)
    total = view.total
    want_flags = any(c.key == "flags" for c in columns)

    def chunks() -> Iterator[list[tuple[Any, ...]]]:
        if view.ids is None:  # everyone, in the sort order
            order = query.sort.order_by(query.descending)
            rows = consent_rows(sorted_by_consent=query.sort.by_consent)
            cursor = con.execute(f"{_ROW_COLUMNS}{rows} ORDER BY {order}")
            while chunk := cursor.fetchmany(CHUNK):
                yield chunk
            return
        for start in range(0, total, CHUNK):
            wanted = view.ids[start : start + CHUNK]
            marks = ",".join("?" * len(wanted))
            by_id = f"{_ROW_COLUMNS}{JOINED_CONSENT} WHERE contacts.id IN ({marks})"
            found = {r[0]: r for r in con.execute(by_id, wanted)}
            yield [found[i] for i in wanted if i in found]

    def rows() -> Iterator[list[str]]:
        done = 0
        for chunk in chunks():
            if cancel is not None:
                cancel.check()
            flags = _flag_text(con, [r[0] for r in chunk]) if want_flags else {}
            for row in chunk:
                yield _cells(row, columns, query.cutoff, flags)
            done += len(chunk)
            if progress is not None:
                progress(done, total)

    return total, rows()


def _write_xlsx(path: Path, header: Sequence[str], rows: Iterator[list[str]]) -> None:
    """A workbook of text cells only (never a formula), continued on further sheets past
    Excel's row limit; ``rows`` holds at least one row."""
    import xlsxwriter  # type: ignore[import-untyped]

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, **XLSX_OPTIONS})
    try:
        bold = book.add_format({"bold": True, "bottom": 1})
        sheet: Any = None
        line = XLSX_ROWS
        sheets = 0
        for row in rows:
            if line == XLSX_ROWS:
                sheets += 1
                sheet = book.add_worksheet("Contacts" if sheets == 1 else f"Contacts {sheets}")
                sheet.freeze_panes(1, 0)
                for col, title in enumerate(header):
                    sheet.set_column(col, col, 30 if col == 0 else 18)
                    sheet.write_string(0, col, title, bold)
                line = 1
            for col, text in enumerate(row):
                if text:
                    sheet.write_string(line, col, text)
            line += 1
    finally:
        book.close()


def check_target(workspace: Workspace, out: Path) -> Path:
    """``out`` made absolute, or `ExportRefused` when it cannot be an export's file."""
    out = out.expanduser().absolute()
    if out.suffix.lower() not in SUFFIXES:
        raise ExportRefused(f"{out.name}: an export is written as .csv or .xlsx.")
    if out.is_dir():
        raise ExportRefused(f"{out} is a folder: name the file to write.")
    own = {workspace.path.name + end for end in ("", "-wal", "-shm", "-journal", ".lock")}
    if is_same_file(out, workspace.path) or (
        is_same_file(out.parent, workspace.path.parent) and out.name in own
    ):
        raise ExportRefused(f"{out} is the workspace itself (or one of its files).")
    if not out.parent.is_dir():
        raise ExportRefused(f"The folder {out.parent} does not exist.")
    return out


def export_contacts(
    workspace: Workspace,
    query: ContactQuery,
    columns: Sequence[ExportColumn],
    out: Path,
    *,
    actor: str | None = None,
    cancel: CancelToken | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the contacts ``query`` shows to ``out`` (CSV or XLSX by its suffix, replaced if
    it exists) with ``columns``, and record the export in the activity journal (how many,
    which file and columns; never a person, nor the search text, which may name one)."""
    out = check_target(workspace, out)
    header = [column.title for column in columns]
    fd, temp_name = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=".tmp", dir=out.parent)
    os.close(fd)
    temp = Path(temp_name)
    try:
        with workspace.reading() as con:
            con.execute("BEGIN")  # one snapshot from the count to the last row
            try:
                total, rows = export_rows(con, query, columns, cancel=cancel, progress=progress)
                if total == 0:
                    raise NothingToExport("No contact matches; nothing was written.")
                if out.suffix.lower() == ".csv":
                    write_csv(temp, header, rows)
                else:
                    _write_xlsx(temp, header, rows)
            finally:
                con.execute("COMMIT")
        if cancel is not None:
            cancel.check()
        os.replace(temp, out)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    with workspace.transaction() as con:
        record_activity(
            con,
            actor=actor or current_user(),
            action="export",
            summary=f"Exported {total:,} contacts to {out.name}",
            count=total,
            details={
                "file": out.name,
                "columns": [column.key for column in columns],
                "filter": {
                    name: sorted(str(v) for v in values)
                    for name, values in query.filter._asdict().items()
                    if values
                },
                "searched": bool(query.terms),
            },
        )
    return ExportResult(out, total)
