"""Read any supported file into a `Table`: the one entry point the wizard and the CLI call.

``read_table(path)`` finds the format from the content, the encoding and delimiter of text,
the sheet (first visible one with data) and header row of workbooks, and returns every value
as text with the row number it had in the source.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from collections.abc import Iterable, Iterator
from itertools import chain, compress, count, islice
from pathlib import Path
from typing import NamedTuple

from mjdesk.core import wording
from mjdesk.core.importing import encrypted, sheets, textfiles
from mjdesk.core.importing.errors import (
    CellTooLargeError,
    EmptyFileError,
    HeaderOnlyError,
    ImportFileError,
    Notice,
    NoticeKind,
    PasswordProtectedError,
)
from mjdesk.core.importing.formats import (
    FileKind,
    decrypted_kind,
    detect_kind,
    extension_mismatch,
)
from mjdesk.core.importing.headers import HEAD_ROWS, column_letter, column_names, find_header_row
from mjdesk.core.importing.table import (
    MAX_CELL_CHARS,
    SheetInfo,
    SourceInfo,
    Table,
    collector_paused,
)
from mjdesk.core.work import CancelCheck, Progress

NO_HEADER = 0
"""``header_row=NO_HEADER``: the first row is already data."""
MAX_READ_CHARS = textfiles.MAX_FIELD_CHARS
"""The longest cell read at all: beyond it the file is refused (no sign-up sheet holds one)."""
"""Longer cells are refused: no contact field is that long (the csv module's own limit)."""
ERROR_TEXTS = frozenset(
    {"#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}
    | {"#GETTING_DATA", "#N/A!", "Err:502", "Err:504", "Err:508", "Err:511", "Err:522"}
)
"""Formula errors as they appear in text exports; read as empty cells."""
_CHUNK = 4096
"""Rows gathered before they are turned into columns (and progress and cancel are looked
at): rows that were just read are still in the processor's cache, which much larger
batches lose."""
_SAMPLE_ROWS = 8


def file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes, as the consent ledger records it."""
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


_BLOCK = 1 << 20


def _error_marks(head: bytes, encoding: str) -> tuple[bytes, bytes]:
    """What every error text holds, "#" or "Err:", as bytes in ``encoding``, that of the
    text file that starts with ``head`` ("#" is the byte 0x23 in all it can be)."""
    if encoding == "utf-16":
        encoding = "utf-16-le" if head.startswith(b"\xff\xfe") else "utf-16-be"
    return b"#", "Err:".encode(encoding) if encoding.startswith("utf-16") else b"Err:"


class _TextScan(NamedTuple):
    """A text file as one pass over its bytes finds it."""

    sha256: str
    encoding: str
    error_texts: bool
    """Whether its bytes hold any mark of an error text (mostly not: its columns then
    need no search)."""
    controls: bool
    """Whether its bytes may hold a control character (likewise)."""


# Control characters as bytes of UTF-8 or cp1252 (C0 but tab, LF and CR; DEL; C1 as UTF-8
# writes them). A file in another encoding is always searched column by column.
_CONTROL_TABLE = bytes(
    0 if (byte < 0x20 and byte not in (0x09, 0x0A, 0x0D)) or byte == 0x7F else 1
    for byte in range(256)
)
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")


def _has_control_bytes(data: bytes) -> bool:
    """Whether ``data`` holds a control character (a translation and a search, both in C)."""
    if 0 in data.translate(_CONTROL_TABLE):
        return True
    return b"\xc2" in data and _C1_UTF8.search(data) is not None


def _scan_text_file(path: Path) -> _TextScan:
    """`file_sha256` of a text file, its encoding (from its first bytes) and whether it may
    hold error texts, in one pass."""
    digest = hashlib.sha256()
    marked = False
    controls = False
    tail = b""
    with path.open("rb") as stream:
        head = stream.read(65536)
        encoding = textfiles.detect_encoding(head)
        marks = _error_marks(head, encoding)
        stream.seek(0)
        while block := stream.read(_BLOCK):
            digest.update(block)
            if not marked:
                seam = tail + block[:7]  # a mark across two blocks is found too
                marked = any(mark in block or mark in seam for mark in marks)
            if not controls:
                controls = _has_control_bytes(tail[-1:] + block)
            tail = (tail + block[-7:])[-7:]
    if encoding not in ("utf-8", "utf-8-sig", "cp1252", "ascii"):
        controls = True  # (UTF-16 bytes hold NULs anyway; Latin-1 reads 0x80-0x9F as C1)
    return _TextScan(digest.hexdigest(), encoding, marked, controls)


def _sample(rows: list[int]) -> tuple[int, ...]:
    return tuple(rows[:_SAMPLE_ROWS])


def _rows_text(rows: list[int], total: int) -> str:
    shown = ", ".join(str(r) for r in rows[:_SAMPLE_ROWS])
    return shown + (f" and {total - _SAMPLE_ROWS:,} more" if total > _SAMPLE_ROWS else "")


class _Assembler:
    """Turns a stream of records into columns, keeping the source row number of each."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.header_width = width
        self.columns: list[list[str]] = [[] for _ in range(width)]
        self.row_numbers: array[int] = array("q")
        self.pending: list[list[str]] = []
        self.short: list[int] = []
        self.long: list[int] = []
        self.short_count = 0
        self.long_count = 0

    def flush(self) -> None:
        if self.pending:
            for column, values in zip(self.columns, zip(*self.pending, strict=True), strict=True):
                column.extend(values)
            self.pending = []

    def widen(self, width: int) -> None:
        self.flush()
        done = len(self.row_numbers) - 1  # the row that widens is not stored yet
        self.columns.extend([""] * done for _ in range(width - self.width))
        self.width = width

    def add_columns(self, columns: list[list[str]], first_number: int) -> None:
        """Rows given as columns of one length (a sheet is a rectangle): blank rows left
        out, cells beyond the header kept in columns of their own, all column by column."""
        if not columns or not columns[0]:
            return
        self.flush()
        width = self.width
        stored = len(self.row_numbers)
        # Cells beyond the header, up to the last column holding a value, make long rows.
        assert width == self.header_width, "columns come in one piece, before any row"
        extra = list(columns[width:])
        while extra and not any(extra[-1]):
            extra.pop()
        if extra:
            marks = map(any, zip(*extra, strict=True))
            long_rows = [first_number + i for i, x in enumerate(marks) if x]
            self.long_count += len(long_rows)
            self.long += long_rows[: max(0, _SAMPLE_ROWS - len(self.long))]
            self.columns.extend([""] * stored for _ in extra)
            self.width = width + len(extra)
        data = [*columns[:width], *extra]
        data += [[""] * len(columns[0]) for _ in range(self.width - len(data))]
        # A blank row has no value in any column; with the first column full, there is none.
        kept = None if all(data[0]) else list(map(any, zip(*data, strict=True)))
        if kept is not None and not all(kept):
            data = [list(compress(column, kept)) for column in data]
            numbers: Iterable[int] = compress(count(first_number), kept)
        else:
            numbers = range(first_number, first_number + len(data[0]))
        self.row_numbers.extend(numbers)
        for column, values in zip(self.columns, data, strict=True):
            column.extend(values)

    def add(self, rows: Iterable[list[str]], first_number: int, check: CancelCheck | None) -> None:
        width = self.width
        pending = self.pending
        numbers = self.row_numbers
        for number, row in enumerate(rows, first_number):
            if not any(row):
                continue
            numbers.append(number)
            if len(row) != width or width != self.header_width:
                # Short and long are measured against the header, not against the
                # columns that earlier long rows added.
                if len(row) < self.header_width:
                    self.short_count += 1
                    if len(self.short) < _SAMPLE_ROWS:
                        self.short.append(number)
                elif len(row) > self.header_width:
                    while row and not row[-1]:
                        row = row[:-1]
                    if len(row) > self.header_width:
                        self.long_count += 1
                        if len(self.long) < _SAMPLE_ROWS:
                            self.long.append(number)
                    if len(row) > width:
                        self.widen(len(row))
                        width = self.width
                        pending = self.pending
                row = row + [""] * (width - len(row))
            pending.append(row)
            if len(pending) >= _CHUNK:
                self.flush()
                pending = self.pending
                if check is not None:
                    check()
        self.flush()


def _build(
    path: Path,
    records: Iterator[list[str]] | list[list[str]],
    source: SourceInfo,
    notices: list[Notice],
    header_row: int | None,
    check: CancelCheck | None,
    sheet: str | None,
    error_texts: bool = True,
    long_cells: bool = False,
    controls: bool = True,
) -> Table:
    """Find the header in the first rows, then stream the rest into columns. ``records``
    is a stream of rows, or a list of columns of one length (a sheet's rectangle).
    ``error_texts``: False when the source cannot hold any (its cells are not searched).
    ``long_cells``: a text file that holds a cell longer than a contact field (the csv
    module measured the others). ``controls``: False when the source cannot hold a control
    character (its cells are not searched)."""
    name = path.name
    where = f"{name}, sheet {sheet!r}" if sheet else name
    wanted = HEAD_ROWS if header_row is None else max(HEAD_ROWS, header_row + 1)
    given_columns = records if isinstance(records, list) else None
    if given_columns is not None:
        head = [list(row) for row in zip(*(c[:wanted] for c in given_columns), strict=True)]
    else:
        head = list(islice(records, wanted))
    if not any(any(value.strip() for value in row) for row in head):
        # Leading blank rows beyond the scan window are as good as an empty file.
        raise EmptyFileError(name, f"{where} is empty: it holds no values.", sheet=sheet)
    if header_row is None:
        found = find_header_row(head)
        header_index = -1 if found is None else found
    else:
        header_index = header_row - 1  # NO_HEADER (0) gives -1: no header
        if header_index >= len(head):
            raise ImportFileError(
                name, f"{where} has no row {header_row}.", sheet=sheet, row=header_row
            )
    header_cells = [] if header_index < 0 else list(head[header_index])
    while header_cells and not header_cells[-1].strip():
        header_cells.pop()
    assembler = _Assembler(max(1, len(header_cells)))
    if given_columns is not None:
        first = header_index + 1
        assembler.add_columns([c[first:] for c in given_columns], header_index + 2)
        if check is not None:
            check()
    else:
        assembler.add(chain(head[header_index + 1 :], records), header_index + 2, check)
    if not assembler.row_numbers:
        raise HeaderOnlyError(
            name,
            f"{where} has a header row (row {header_index + 1}) but no rows of data under it.",
            sheet=sheet,
            row=header_index + 1,
        )
    cells = header_cells + [""] * (assembler.width - len(header_cells))
    # Columns with neither a name nor a value (after a trailing delimiter) are dropped.
    keep = [i for i, column in enumerate(assembler.columns) if cells[i].strip() or any(column)]
    headers = column_names([cells[i] for i in keep], notices, keep)
    columns = [assembler.columns[i] for i in keep]
    _ragged_notices(assembler, len(header_cells), notices)
    long = {}
    if source.kind is not FileKind.TEXT or long_cells:
        long = _check_cell_sizes(name, where, headers, columns, assembler.row_numbers, sheet)
    if error_texts:
        _clear_error_texts(headers, columns, assembler.row_numbers, notices)
    if controls:
        _strip_controls(headers, columns, assembler.row_numbers, notices)
    if header_index > 0:
        notices.append(
            Notice(
                NoticeKind.HEADER_ROW,
                f"The header was found on row {header_index + 1}; the rows above it were skipped.",
                rows=(header_index + 1,),
            )
        )
    source = SourceInfo(
        file_name=source.file_name,
        sha256=source.sha256,
        size=source.size,
        kind=source.kind,
        sheet=sheet,
        encoding=source.encoding,
        delimiter=source.delimiter,
        header_row=header_index + 1 if header_index >= 0 else None,
    )
    return Table(headers, columns, assembler.row_numbers, source, notices, long)


def _ragged_notices(assembler: _Assembler, header_width: int, notices: list[Notice]) -> None:
    if assembler.long_count:
        notices.append(
            Notice(
                NoticeKind.RAGGED_ROWS,
                wording.count(assembler.long_count, "row has", "rows have")
                + " more cells than the header "
                f"(rows {_rows_text(assembler.long, assembler.long_count)}); the extra cells "
                "were kept in columns of their own.",
                rows=_sample(assembler.long),
            )
        )
    if assembler.short_count and header_width > 1:
        notices.append(
            Notice(
                NoticeKind.RAGGED_ROWS,
                wording.count(assembler.short_count, "row has", "rows have")
                + " fewer cells than the header "
                f"(rows {_rows_text(assembler.short, assembler.short_count)}); the missing "
                "cells were read as empty.",
                rows=_sample(assembler.short),
            )
        )


def _check_cell_sizes(
    name: str,
    where: str,
    headers: list[str],
    columns: list[list[str]],
    numbers: array[int],
    sheet: str | None,
) -> dict[str, list[int]]:
    """The rows of each column whose cell is longer than any contact field: the import holds
    them back when the column is imported, and ignores them when it is not. Only a cell
    beyond what can be read at all refuses the file."""
    long_cells: dict[str, list[int]] = {}
    for header, column in zip(headers, columns, strict=True):
        if not column or max(map(len, column)) <= MAX_CELL_CHARS:
            continue
        long_cells[header] = [i for i, value in enumerate(column) if len(value) > MAX_CELL_CHARS]
        index = max(long_cells[header], key=lambda i: len(column[i]))
        size = len(column[index])
        if size > MAX_READ_CHARS:
            raise CellTooLargeError(
                name,
                f"{where}, row {numbers[index]}, column {header!r}: the cell holds "
                f"{size:,} characters, far more than any contact field. Check that the file "
                "is the right one, or clear that cell.",
                sheet=sheet,
                row=numbers[index],
                column=header,
            )
    return long_cells


def _clear_error_texts(
    headers: list[str], columns: list[list[str]], numbers: array[int], notices: list[Notice]
) -> None:
    for header, column in zip(headers, columns, strict=True):
        # Every error text holds "#" or "Err:": a column with neither (most) is passed
        # over after a search of its joined text, without hashing each cell.
        joined = "".join(column)
        if ("#" not in joined and "Err:" not in joined) or ERROR_TEXTS.isdisjoint(column):
            continue
        rows = []
        for i, value in enumerate(column):
            if value in ERROR_TEXTS:
                column[i] = ""
                rows.append(numbers[i])
        notices.append(
            _cells_notice(
                NoticeKind.ERROR_CELLS,
                header,
                rows,
                "a formula error such as #N/A",
                "and were read as empty.",
            )
        )


# C0 and C1 control characters but tab, line feed and carriage return (which the cleaning
# makes spaces in names): a NUL kept in a name is stored, and shown cut short.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _strip_controls(
    headers: list[str], columns: list[list[str]], numbers: array[int], notices: list[Notice]
) -> None:
    for header, column in zip(headers, columns, strict=True):
        joined = "".join(column)
        # isprintable() is False for every control character (and for a few harmless ones,
        # a tab or a no-break space): a column it passes, the usual one, needs no search.
        if joined.isprintable() or not _CONTROL.search(joined):
            continue
        rows = []
        for i, value in enumerate(column):
            if _CONTROL.search(value):
                column[i] = _CONTROL.sub("", value)
                rows.append(numbers[i])
        notices.append(
            _cells_notice(
                NoticeKind.NUL_CHARACTERS,
                header,
                rows,
                "control characters (such as NUL)",
                "and were read without them.",
            )
        )


def _cells_notice(kind: NoticeKind, header: str, rows: list[int], what: str, then: str) -> Notice:
    """'Column 'Name': 2 cells hold <what> (rows 4, 9) <then>'."""
    held = wording.count(len(rows), "cell holds", "cells hold")
    return Notice(
        kind,
        f"Column {header!r}: {held} {what} (rows {_rows_text(rows, len(rows))}) {then}",
        rows=_sample(rows),
        column=header,
    )


def _read_text(
    path: Path,
    source: SourceInfo,
    notices: list[Notice],
    header_row: int | None,
    progress: Progress | None,
    check: CancelCheck | None,
    scan: _TextScan,
) -> Table:
    encoding = scan.encoding
    dialect = textfiles.sniff_dialect(textfiles.sample_text(path, encoding))
    read = textfiles.TextRead(encoding, dialect)
    start = len(notices) + (encoding not in ("utf-8", "utf-8-sig"))
    source = SourceInfo(
        source.file_name, source.sha256, source.size, source.kind, None, encoding, dialect.delimiter
    )
    if encoding not in ("utf-8", "utf-8-sig"):
        notices.append(
            Notice(
                NoticeKind.ENCODING,
                f"The file is not UTF-8; it was read as {textfiles.encoding_label(encoding)}. "
                "If names look wrong in the review, save the file as CSV UTF-8 and import again.",
            )
        )

    def checked() -> object:
        if progress is not None:
            progress(read.bytes_read, source.size)
        return check() if check is not None else None

    def build(long_cells: bool) -> Table:
        records = textfiles.iter_records(path, read)
        return _build(
            path,
            records,
            source,
            notices,
            header_row,
            checked,
            None,
            scan.error_texts,
            long_cells=long_cells,
            controls=scan.controls,
        )

    try:
        table = build(long_cells=False)
    except textfiles.LongField:  # rare: read again, every cell measured
        read = textfiles.TextRead(encoding, dialect, long_fields=True)
        del notices[start:]
        table = build(long_cells=True)
    if read.other_encoding_rows:
        rows = read.other_encoding_rows
        notices.append(
            Notice(
                NoticeKind.MIXED_ENCODING,
                wording.count(len(rows), "row is", "rows are")
                + " written in a different encoding from the rest of the "
                f"file (rows {_rows_text(rows, len(rows))}); they were read as "
                f"{textfiles.encoding_label(read.other_encoding or '')}. Check the names in them.",
                rows=_sample(rows),
            )
        )
    if progress is not None:
        progress(source.size, source.size)
    return table


def read_table(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    header_row: int | None = None,
    progress: Progress | None = None,
    check_cancel: CancelCheck | None = None,
    password: str | None = None,
) -> Table:
    """Read a CSV/TSV/TXT, XLSX/XLSM/XLSB, XLS or ODS file into a `Table`.

    ``sheet``: a name or 0-based index; None takes the first visible sheet with data.
    ``header_row``: the header's row number as the spreadsheet shows it; None finds it;
    `NO_HEADER` says there is none. ``password`` opens a workbook Office encrypted (it is
    decrypted in memory; a file that is not encrypted does not need it). Raises
    `ImportFileError` (a subclass saying what is wrong) for anything the user has to fix in
    the file: `PasswordProtectedError` when it needs a password, `WrongPasswordError` when
    the one given does not open it.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        kind, content = _unlock(path, password)
        scan = _scan_text_file(path) if kind is FileKind.TEXT else None
        # The consent ledger's proof is the file as it is on disk, which for an encrypted
        # workbook is the encrypted bytes (the decrypted ones exist only in memory).
        digest = file_sha256(path) if scan is None else scan.sha256
    except (PermissionError, IsADirectoryError, FileNotFoundError) as exc:
        raise ImportFileError(path.name, f"{path.name} cannot be opened: {exc.strerror}.") from exc
    notices: list[Notice] = []
    mismatch = extension_mismatch(path, kind)
    if mismatch:
        notices.append(Notice(NoticeKind.RENAMED_FILE, mismatch))
    source = SourceInfo(path.name, digest, size, kind)
    with collector_paused():
        if scan is not None:
            return _read_text(path, source, notices, header_row, progress, check_cancel, scan)
        return _read_workbook(
            path, source, notices, sheet, header_row, progress, check_cancel, content
        )


def _unlock(path: Path, password: str | None) -> tuple[FileKind, bytes | None]:
    """The format of ``path``, and its content decrypted with ``password`` when it is an
    encrypted workbook (None otherwise: it is read from the file)."""
    try:
        kind = detect_kind(path)
    except PasswordProtectedError as exc:
        if password is None or not exc.password_helps:
            raise
        content = encrypted.decrypt(path, password)
        return decrypted_kind(content, path.name), content
    # An encrypted .xls looks like any other until its records are read.
    if kind is FileKind.XLS and password is not None and encrypted.is_encrypted_xls(path):
        return kind, encrypted.decrypt(path, password)
    return kind, None


def _read_workbook(
    path: Path,
    source: SourceInfo,
    notices: list[Notice],
    sheet: str | int | None,
    header_row: int | None,
    progress: Progress | None,
    check_cancel: CancelCheck | None,
    content: bytes | None,
) -> Table:
    size = source.size

    def share(done: float) -> None:  # calamine reads a sheet in one call: steps, not bytes
        if progress is not None:
            progress(int(size * done), size)

    read = sheets.read_sheet(path, source.kind, sheet, check_cancel, share, content)
    notices.extend(read.notices)
    if check_cancel is not None:
        check_cancel()
    cells = read.columns if read.columns is not None else iter(read.rows)
    table = _build(path, cells, source, notices, header_row, check_cancel, read.name)
    if progress is not None:
        progress(size, size)
    return table


def list_sheets(path: str | Path, *, password: str | None = None) -> list[SheetInfo]:
    """The sheets of a workbook, for the picker; a text file has one unnamed sheet.
    ``password`` and the errors about it: as `read_table`."""
    path = Path(path)
    kind, content = _unlock(path, password)
    if kind is FileKind.TEXT:
        return [SheetInfo(0, "", True, False, 0, 0)]
    return sheets.list_sheets(path, kind, content)


__all__ = [
    "ERROR_TEXTS",
    "MAX_CELL_CHARS",
    "NO_HEADER",
    "column_letter",
    "file_sha256",
    "list_sheets",
    "read_table",
]
