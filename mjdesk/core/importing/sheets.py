"""Reading workbooks (XLSX, XLSM, XLSB, XLS, ODS) with python-calamine, every cell as text.

python-calamine is used directly rather than through ``pandas.read_excel``: pandas reads
through the same library and then spends a third more time inferring column types we do
not want (it turns a "Student ID" of ``00012345`` into the number 12345).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import compress, count, repeat
from operator import is_not, itemgetter
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from mjdesk.core import wording
from mjdesk.core.importing import biff
from mjdesk.core.importing.errors import (
    CorruptFileError,
    EmptyFileError,
    Notice,
    NoticeKind,
    PasswordProtectedError,
    SheetNotFoundError,
    SheetTooLargeError,
    UnsupportedFormatError,
)
from mjdesk.core.importing.formats import FileKind
from mjdesk.core.importing.table import SheetInfo

if TYPE_CHECKING:
    from python_calamine import CalamineSheet, CalamineWorkbook, SheetMetadata

Value = int | float | str | bool | dt.time | dt.date | dt.datetime | dt.timedelta
Check = Callable[[], object] | None
"""Called now and then during a long step; it raises to cancel."""


def _package(path: Path, content: bytes | None) -> zipfile.ZipFile:
    """The workbook's zip: the file at ``path``, or its decrypted ``content`` (in memory; a
    buffer of its own for each reader, as they may run in two threads)."""
    return zipfile.ZipFile(path if content is None else io.BytesIO(content))


def _open(path: Path, kind: FileKind, content: bytes | None = None) -> CalamineWorkbook:
    """The workbook at ``path``; ``content``: its decrypted bytes, read from memory."""
    import python_calamine

    name = path.name
    if kind is FileKind.XLSX:
        # the reader loads every shared text when it opens the book
        check_shared_text(path, content=content)
    try:
        if content is not None:
            return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError as exc:
        raise PasswordProtectedError(name, f"{name} is protected with a password.") from exc
    except (python_calamine.CalamineError, ValueError, OSError) as exc:
        if kind is FileKind.XLS and "Invalid OLE" in str(exc):
            raise UnsupportedFormatError(
                name, f"{name} is in an old Excel format that cannot be read ({exc})."
            ) from exc
        raise CorruptFileError(
            name,
            f"{name} is damaged and cannot be read ({exc}). If it was downloaded, download "
            "it again; otherwise open it in Excel or LibreOffice and save a new copy.",
        ) from exc


def _sheet_infos(
    book: CalamineWorkbook, path: Path, kind: FileKind, content: bytes | None
) -> list[SheetInfo]:
    import python_calamine

    infos = []
    for index, meta in enumerate(book.sheets_metadata):
        is_chart = meta.typ is not python_calamine.SheetTypeEnum.WorkSheet
        visible = meta.visible is python_calamine.SheetVisibleEnum.Visible
        rows = columns = 0
        if not is_chart:
            sheet = _load(book, index, meta.name, path, kind, content)
            rows, columns = sheet.height, sheet.width
        infos.append(SheetInfo(index, meta.name, visible, is_chart, rows, columns))
    return infos


def _load(
    book: CalamineWorkbook,
    index: int,
    name: str,
    path: Path,
    kind: FileKind,
    content: bytes | None = None,
) -> CalamineSheet:
    import python_calamine

    if kind is FileKind.XLSX:
        check_extent(path, index, name, content=content)
    try:
        return book.get_sheet_by_index(index)
    except (python_calamine.CalamineError, ValueError) as exc:
        raise CorruptFileError(
            path.name,
            f"{path.name}, sheet {name!r}: the sheet is damaged and cannot be read ({exc}).",
            sheet=name,
        ) from exc


def list_sheets(path: Path, kind: FileKind, content: bytes | None = None) -> list[SheetInfo]:
    """Every sheet of the workbook in order, hidden and chart sheets included (and marked).
    ``content``: the decrypted bytes of an encrypted workbook (kept in memory only)."""
    with _open(path, kind, content) as book:
        return _sheet_infos(book, path, kind, content)


def _duration(value: dt.timedelta) -> str:
    seconds = int(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    return f"{sign}{hours}:{rest // 60:02d}:{rest % 60:02d}"


def cell_text(value: Value) -> str:
    """A cell value as the text a user would type for it (numbers without a stray ``.0``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.microsecond:
            value = value.replace(microsecond=0)
        if not (value.hour or value.minute or value.second):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return _duration(value)


def _repair_utf16(text: str) -> str:
    """Undo a known python-calamine slip on some .xls files: UTF-16 read as one-byte text."""
    if len(text) >= 2 and text[1::2].count("\x00") == len(text) // 2:
        return text[0::2]
    return text


@dataclass
class SheetRows:
    """The chosen sheet's cells as text, from row 1 and column A (empty ones included):
    as ``columns`` when every row is as wide (nearly always), else as ``rows``."""

    name: str
    rows: list[list[str]]
    notices: list[Notice]
    columns: list[list[str]] | None = None


def _text_cells(
    raw: list[list[Value]], kind: FileKind, notices: list[Notice]
) -> tuple[list[list[str]], list[list[str]] | None]:
    """The sheet's text as (rows, None), or as ([], columns) when it is rectangular."""
    if raw and len(set(map(len, raw))) == 1:
        columns: list[list[str]] = [_column_text(c) for c in zip(*raw, strict=True)]
        del raw
        if kind is FileKind.XLS:
            _repair_all(columns, notices)
        return [], columns
    rows = [[v if type(v) is str else cell_text(v) for v in row] for row in raw]
    del raw
    if kind is FileKind.XLS:
        _repair_all(rows, notices)
    return rows, None


def _repair_all(lines: list[list[str]], notices: list[Notice]) -> None:
    """`_repair_utf16` on every text of rows or columns that needs it, with a notice."""
    repaired = False
    for line in lines:
        for i, value in enumerate(line):
            if "\x00" in value:
                line[i] = _repair_utf16(value)
                repaired = True
    if repaired:
        notices.append(
            Notice(
                NoticeKind.REPAIRED_TEXT,
                "Some text cells were stored in a form this reader misreads and were "
                "repaired; check names with accents in the review.",
            )
        )


def _has_text(lines: list[list[str]] | None) -> bool:
    return any(value.strip() for line in lines or () for value in line)


def _column_text(values: Sequence[Value]) -> list[str]:
    """`cell_text` of a column's cells: the cells not text yet (found in C) converted
    together, in C where they are all whole numbers or all midnight dates."""
    texts: list[str] = list(values)  # type: ignore[arg-type]  # the others replaced below
    others = list(compress(count(), map(is_not, map(type, values), repeat(str))))
    if not others:
        return texts
    if len(others) == len(texts):
        return list(_texts(texts))
    for index, text in zip(others, _texts([values[i] for i in others]), strict=True):
        texts[index] = text
    return texts


_MIDNIGHT = " 00:00:00"


def _texts(values: Sequence[Value]) -> Iterable[str]:
    kinds = set(map(type, values))
    if kinds == {float}:
        numbers: Sequence[float] = values  # type: ignore[assignment]
        if max(map(abs, numbers)) >= 1e15:
            return map(cell_text, values)
        whole = list(map(float.is_integer, numbers))
        if all(whole):
            return map(str, map(int, numbers))
        texts = list(map(repr, numbers))
        for index in compress(count(), whole):
            texts[index] = str(int(numbers[index]))
        return texts
    if kinds == {dt.date}:
        return map(dt.date.isoformat, values)  # type: ignore[arg-type]
    if kinds == {dt.datetime}:
        # str() gives "YYYY-MM-DD HH:MM:SS" (19 characters, more with microseconds), in
        # which " 00:00:00" fits only once, after the date.
        stamps = list(map(str, values))
        midnights = "".join(stamps).count(_MIDNIGHT)
        if midnights == len(stamps) and sum(map(len, stamps)) == 19 * len(stamps):
            return map(itemgetter(slice(0, 10)), stamps)
    return map(cell_text, values)


class _Parser:
    """Parses sheets of an open workbook in a worker thread. calamine holds no lock while
    it parses, so the calling thread polls ``check`` meanwhile: a cancel takes effect at
    once rather than when a big sheet is done. An abandoned parse finishes in the
    background and closes the workbook; its result is dropped."""

    POLL = 0.05

    def __init__(
        self,
        book: CalamineWorkbook,
        path: Path,
        kind: FileKind,
        check: Check,
        content: bytes | None = None,
    ) -> None:
        self.book, self.path, self.kind, self.check = book, path, kind, check
        self.content = content
        self.lock = threading.Lock()
        self.busy = False
        self.abandoned = False

    def rows(self, index: int, name: str) -> list[list[Value]]:
        """The cells of sheet ``index`` (named ``name``), rows from row 1 and column A."""
        if self.check is None:
            return self._parse(index, name)
        outcome: list[object] = []

        def work() -> None:
            try:
                outcome.append(self._parse(index, name))
            except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
                outcome.append(exc)
            with self.lock:
                self.busy = False
                if self.abandoned:
                    self.book.close()

        self.busy = True
        thread = threading.Thread(target=work, name="sheet-parse", daemon=True)
        thread.start()
        try:
            while thread.is_alive():
                thread.join(self.POLL)
                if thread.is_alive():
                    self.check()
        except BaseException:
            with self.lock:  # whoever comes last closes the book
                self.abandoned = True
                if not self.busy:
                    self.book.close()
            raise
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]  # type: ignore[return-value]

    def _parse(self, index: int, name: str) -> list[list[Value]]:
        sheet = _load(self.book, index, name, self.path, self.kind, self.content)
        raw: list[list[Value]] = sheet.to_python(skip_empty_area=False)
        return raw

    def close(self) -> None:
        """Close the workbook, unless an abandoned parse still uses it (it closes it)."""
        if not self.abandoned:
            self.book.close()


def read_sheet(
    path: Path,
    kind: FileKind,
    sheet: str | int | None,
    check: Check = None,
    progress: Callable[[float], None] | None = None,
    content: bytes | None = None,
) -> SheetRows:
    """The rows of one sheet: by name, by 0-based index, or (None) the first one with data.

    Hidden, very hidden and chart sheets are skipped when choosing, and named in a notice.
    ``check`` is called every 50 ms while a sheet is parsed (it raises to cancel);
    ``progress`` gets the share of the work done (0 to 1) after each step; ``content``:
    the decrypted bytes of an encrypted workbook (kept in memory only).
    """
    notices: list[Notice] = []
    parser = _Parser(_open(path, kind, content), path, kind, check, content)
    try:
        return _read_sheet(parser, path, kind, sheet, notices, progress or (lambda share: None))
    finally:
        parser.close()


def _read_sheet(
    parser: _Parser,
    path: Path,
    kind: FileKind,
    sheet: str | int | None,
    notices: list[Notice],
    progress: Callable[[float], None],
) -> SheetRows:
    progress(0.05)
    metas = parser.book.sheets_metadata
    if not metas:
        raise EmptyFileError(path.name, f"{path.name} has no sheets.")

    def text(index: int) -> tuple[list[list[str]], list[list[str]] | None]:
        raw = parser.rows(index, metas[index].name)
        progress(0.7)
        return _text_cells(raw, kind, notices)

    with _ErrorScan(path, kind, parser.content) as errors:
        if sheet is not None:
            index = _find(path, [m.name for m in metas], sheet)
            errors.start(index, metas[index].name)
            rows, columns = text(index)
            if not (_has_text(rows) or _has_text(columns)):
                raise EmptyFileError(
                    path.name,
                    f"{path.name}: sheet {metas[index].name!r} is empty.",
                    sheet=metas[index].name,
                )
            chosen = index
        else:
            worksheets = _worksheets(metas)
            # the first visible one, which the loop below most likely takes
            likely = next((index for index, shown in worksheets if shown), None)
            errors.start(likely, None if likely is None else metas[likely].name)
            skipped = []
            for index, shown in worksheets:
                if not shown:
                    skipped.append(metas[index].name)
                    continue
                rows, columns = text(index)
                if _has_text(rows) or _has_text(columns):
                    chosen = index
                    break
            else:
                raise EmptyFileError(
                    path.name, f"{path.name} holds no data on any of its visible sheets."
                )
            if skipped:
                notices.append(
                    Notice(
                        NoticeKind.SKIPPED_SHEETS,
                        "Hidden sheets were not read: " + ", ".join(skipped) + ".",
                    )
                )
        name = metas[chosen].name
        notices.extend(errors.result(chosen, name))
    progress(0.9)
    return SheetRows(name, rows, notices, columns)


class _ErrorScan:
    """The formula-error cells of the chosen sheet (calamine reads them as ''), found in
    a thread while calamine parses (which it does without holding the GIL): the scan
    reads the sheet a second time and would otherwise add to the read's time."""

    def __init__(self, path: Path, kind: FileKind, content: bytes | None = None) -> None:
        self.path = path
        self.kind = kind
        self.content = content
        self.index: int | None = None
        self.found: tuple[int, list[str]] | None = None
        self.thread: threading.Thread | None = None

    def __enter__(self) -> _ErrorScan:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.thread is not None:
            self.thread.join()

    def start(self, index: int | None, name: str | None) -> None:
        if self.kind not in _SCANNED or index is None or name is None:
            return
        self.index = index
        self.thread = threading.Thread(
            target=self._run, args=(index, name), name="error-cell-scan", daemon=True
        )
        self.thread.start()

    def _run(self, index: int, name: str) -> None:
        self.found = _error_cells(self.path, self.kind, index, name, self.content)

    def result(self, index: int, name: str) -> list[Notice]:
        """The notices for sheet ``index`` (named ``name``)."""
        if self.kind not in _SCANNED:
            return []
        if self.thread is not None:
            self.thread.join()
        found = self.found if index == self.index and self.found is not None else None
        if found is None:
            found = _error_cells(self.path, self.kind, index, name, self.content)
        return _error_notice(name, *found)


_SCANNED = (FileKind.XLSX, FileKind.XLS)


def _worksheets(metas: Sequence[SheetMetadata]) -> list[tuple[int, bool]]:
    """The index of each worksheet (not chart sheets) in order, and whether it is visible."""
    import python_calamine

    worksheet, visible = (
        python_calamine.SheetTypeEnum.WorkSheet,
        python_calamine.SheetVisibleEnum.Visible,
    )
    return [(i, m.visible is visible) for i, m in enumerate(metas) if m.typ is worksheet]


def _find(path: Path, names: list[str], wanted: str | int) -> int:
    if isinstance(wanted, int):
        if 0 <= wanted < len(names):
            return wanted
    else:
        if wanted in names:
            return names.index(wanted)
        folded = [n.casefold() for n in names]
        if wanted.casefold() in folded:
            return folded.index(wanted.casefold())
    raise SheetNotFoundError(
        path.name,
        f"{path.name} has no sheet {wanted!r}. Its sheets are: " + ", ".join(names) + ".",
        sheet=str(wanted),
    )


# A whole cell tag (up to its ">") with t="e", whichever order its attributes come in.
_ERROR_CELL = re.compile(
    rb'<c\b[^>]*?\br="([A-Z]+)(\d+)"[^>]*?\bt="e"[^>]*>'
    rb'|<c\b[^>]*?\bt="e"[^>]*?\br="([A-Z]+)(\d+)"[^>]*>'
)
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _sheet_part(package: zipfile.ZipFile, index: int) -> str | None:
    """The zip path of the ``index``-th sheet's XML, following the workbook's relationships."""
    workbook = ElementTree.fromstring(package.read("xl/workbook.xml"))
    sheets = [e for e in workbook.iter() if e.tag.endswith("}sheet")]
    if index >= len(sheets):
        return None
    rel_id = sheets[index].get(_REL_NS)
    rels = ElementTree.fromstring(package.read("xl/_rels/workbook.xml.rels"))
    for rel in rels:
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def _scan(stream: Iterator[bytes]) -> tuple[int, list[str]]:
    count, tail = 0, b""
    refs: list[str] = []
    for chunk in stream:
        data = tail + chunk
        if b't="e"' in data:
            for match in _ERROR_CELL.finditer(data):
                count += 1
                if len(refs) < 12:
                    letters, number = (match[1], match[2]) if match[1] else (match[3], match[4])
                    refs.append(f"{letters.decode()}{number.decode()}")
        # A tag cut by the chunk boundary is carried into the next round; it cannot have
        # matched in this one, as a match needs the closing ">".
        last_open = data.rfind(b"<c ")
        tail = data[last_open:] if last_open >= 0 and b">" not in data[last_open:] else b""
    return count, refs


def _error_cells(
    path: Path, kind: FileKind, index: int, name: str, content: bytes | None = None
) -> tuple[int, list[str]]:
    """How many cells of sheet ``index`` (named ``name``) hold a formula error (#N/A...:
    calamine reads them as ''), and the first few of their references."""
    if kind is FileKind.XLS:
        return biff.error_cells(path, name, content=content) or (0, [])
    try:
        with _package(path, content) as package:
            part = _sheet_part(package, index)
            if part is None or part not in package.namelist():
                return 0, []
            with package.open(part) as stream:
                return _scan(iter(lambda: stream.read(1 << 20), b""))
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, OSError):
        return 0, []  # only a notice is lost; the data was read already


MAX_ROWS = 1_048_576
"""Excel's own limit; a sheet that claims more is broken or hostile."""
MAX_COLUMNS = 16_384
"""Excel's own limit (column XFD)."""
MAX_CELLS = 50_000_000
"""Rows x columns of the grid the reader builds: a million rows of 47 columns, far more
than any sign-up sheet, and about what the reader can hold in a few gigabytes."""
MAX_TEXT_BYTES = 16 << 20
"""The longest run of text (one cell) read at all: the reader would hold several copies of
a larger one at once, and no contact list has cells of more than a few pages."""

# The reference of a cell with content, whichever attribute of the tag it is ("<c s="1"
# r="B7">" too). Self-closing cells (formatting only) are left out: the reader skips them.
# The sheet's <dimension> is not read: the reader sizes nothing by it, and it may lie.
_CELL_REF = re.compile(rb'\sr="([A-Z]{1,7})([0-9]{1,12})"[^>/]*>')
_CHUNK = 1 << 20


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def check_shared_text(path: Path, *, content: bytes | None = None) -> None:
    """Refuse an XLSX at ``path`` (or its decrypted ``content``) whose shared texts hold one
    cell too long to read (see `check_extent`)."""
    try:
        with _package(path, content) as package:
            if "xl/sharedStrings.xml" not in package.namelist():
                return
            with package.open("xl/sharedStrings.xml") as stream:
                text = _longest_text(iter(lambda: stream.read(_CHUNK), b""))
    except (KeyError, zipfile.BadZipFile, OSError, RuntimeError):
        return
    if text > MAX_TEXT_BYTES:
        raise SheetTooLargeError(path.name, _text_message(path.name, text))


def _text_message(where: str, size: int) -> str:
    return (
        f"{where} holds a cell of about {size >> 20:,} MB of text; mjdesk reads cells of up "
        f"to {MAX_TEXT_BYTES >> 20} MB. Check that the file is the right one, or clear that cell."
    )


def check_extent(path: Path, index: int, name: str, *, content: bytes | None = None) -> None:
    """Refuse the ``index``-th sheet (named ``name``) of an XLSX at ``path`` when its grid,
    as the references of its cells imply it, is absurdly large, or when one cell holds
    more text than can be read: python-calamine allocates the whole grid (and copies of
    each text) at once and aborts the process when it cannot.

    The sheet's XML is streamed from the zip a megabyte at a time, so the check costs a
    fraction of the read; a file this cannot open is left for the reader to refuse.
    ``content``: the decrypted bytes of an encrypted file, whose zip is read from memory.
    """
    try:
        stat = path.stat()
    except OSError:
        return
    seen = (str(path), stat.st_mtime_ns, stat.st_size, index)
    if seen in _SAFE_SHEETS:  # listing the sheets checked it; reading it needs no second look
        return
    try:
        with _package(path, content) as package:
            part = _sheet_part(package, index)
            if part is None or part not in package.namelist():
                return
            with package.open(part) as stream:
                text, far = _glance(iter(lambda: stream.read(_CHUNK), b""))
            rows = columns = 0
            if far:  # only then is the exact extent worth its cost
                with package.open(part) as stream:
                    rows, columns, text = _extent(iter(lambda: stream.read(_CHUNK), b""))
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, OSError, RuntimeError):
        return
    where = f"{path.name}, sheet {name!r}"
    if rows > MAX_ROWS or columns > MAX_COLUMNS or rows * columns > MAX_CELLS:
        raise SheetTooLargeError(
            path.name,
            f"{where} has cells as far as row {rows:,} and column {columns:,} "
            f"({rows * columns:,} cells). mjdesk reads sheets of up to {MAX_ROWS:,} rows, "
            f"{MAX_COLUMNS:,} columns and {MAX_CELLS:,} cells in all; no contact list is "
            "larger, so the file is damaged or was not made by a spreadsheet program. Copy "
            "the rows you need into a new workbook and import that.",
            sheet=name,
        )
    if text > MAX_TEXT_BYTES:
        raise SheetTooLargeError(path.name, _text_message(where, text), sheet=name)
    if len(_SAFE_SHEETS) > 64:
        _SAFE_SHEETS.clear()
    _SAFE_SHEETS.add(seen)


_SAFE_SHEETS: set[tuple[str, int, int, int]] = set()
"""Sheets `check_extent` passed, by path, modification time, size and index."""


# A sheet whose references all have one column letter and at most six row digits is at
# most 26 x 999,999 cells, within every limit: most sheets, told by two searches in C.
# (A pattern that starts with a literal is searched far faster than one that starts "\s".)
_BEYOND_Z_OR_A_MILLION = re.compile(rb'r="(?:[A-Z]{2,7}[0-9]|[A-Z][0-9]{7,})')


def _glance(stream: Iterator[bytes]) -> tuple[int, bool]:
    """The longest run of text in bytes, and whether any reference lies beyond column Z
    or row 999,999 (then the exact extent must be measured)."""
    gaps = _Gaps()
    tail = b""
    far = False
    for chunk in stream:
        gaps.add(chunk)
        if not far:
            far = _BEYOND_Z_OR_A_MILLION.search(tail + chunk) is not None
            tail = chunk[-48:]
    return gaps.longest, far


def _extent(stream: Iterator[bytes]) -> tuple[int, int, int]:
    """The last row and column of the sheet's cells with content, and its longest run of
    text in bytes."""
    rows = columns = 0
    tail = b""
    gaps = _Gaps()
    for chunk in stream:
        gaps.add(chunk)
        data = tail + chunk
        letters, last_row = _refs(data)
        if last_row:
            rows = max(rows, last_row)
            columns = max(columns, _column_number(letters))
        # A reference cut by the chunk boundary is read whole in the next round (one read
        # twice changes no maximum).
        tail = data[-48:]
    return rows, columns, gaps.longest


def _refs(data: bytes) -> tuple[bytes, int]:
    """The largest column letters and row digits among the references in ``data``."""
    found = _CELL_REF.findall(data)
    if not found:
        return b"", 0
    letters, digits = zip(*found, strict=True)
    distinct = set(letters)  # a few: the sheet's columns
    wide = max(map(len, distinct))
    return max(x for x in distinct if len(x) == wide), max(map(int, digits))


class _Gaps:
    """The longest run of bytes without a "<" (a text node) in a stream of chunks."""

    def __init__(self) -> None:
        self.run = 0
        self.longest = 0

    def add(self, chunk: bytes) -> None:
        first = chunk.find(b"<")
        if first < 0:
            self.run += len(chunk)
        else:
            self.longest = max(self.longest, self.run + first)
            self.run = len(chunk) - chunk.rfind(b"<") - 1
        self.longest = max(self.longest, self.run)


def _longest_text(stream: Iterator[bytes]) -> int:
    """The longest run of text (measured exactly when longer than a chunk)."""
    gaps = _Gaps()
    for chunk in stream:
        gaps.add(chunk)
    return gaps.longest


def _error_notice(name: str, count: int, refs: list[str]) -> list[Notice]:
    if not count:
        return []
    listed = ", ".join(refs) + (" ..." if count > len(refs) else "")
    return [
        Notice(
            NoticeKind.ERROR_CELLS,
            f"Sheet {name!r}: "
            + wording.count(count, "cell holds", "cells hold")
            + f" a formula error (#N/A, #REF!...) and were read as empty: {listed}.",
        )
    ]
