"""Reading CSV, TSV and TXT files: encoding, delimiter, quoting, and records streamed out.

Encoding is decided from the first 64 KiB, by rules rather than a statistical guess:
a BOM; UTF-16 without a BOM (every other byte zero); UTF-8 when it decodes; Shift-JIS
(cp932) when it decodes into Japanese; Windows-1251 when the high bytes come in runs
(words written entirely in Cyrillic); and otherwise Windows-1252, the code page of
"European Excel". charset-normalizer was tried and rejected: on this project's corpus it
called an ISO-8859-1 file "mac_latin2" and a Shift-JIS one "cp949".

Lines are decoded one by one, so a file that is mostly UTF-8 with a few Windows-1252 lines
(two exports pasted together) reads correctly, and the rows that differed are reported.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mjdesk.core.importing.errors import CellTooLargeError, ImportFileError
from mjdesk.core.importing.formats import looks_like_utf16
from mjdesk.core.importing.table import MAX_CELL_CHARS

DELIMITERS = (",", ";", "\t", "|")
_SAMPLE = 65536
_ASCII_COMPATIBLE = {"utf-8", "utf-8-sig", "cp1252", "cp932", "cp1251"}
_LEGACY_NAMES = {
    "cp1252": "Windows-1252 (Western European)",
    "cp932": "Shift-JIS (Japanese)",
    "cp1251": "Windows-1251 (Cyrillic)",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16 LE",
    "utf-16-be": "UTF-16 BE",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-8": "UTF-8",
}


def encoding_label(encoding: str) -> str:
    """A name for an encoding that users recognise."""
    return _LEGACY_NAMES.get(encoding, encoding)


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        # A multi-byte character cut off by the end of the sample is not an error.
        return exc.start >= len(data) - 3 and exc.reason.startswith("unexpected end")
    return True


def _is_japanese(data: bytes) -> bool:
    try:
        text = data.decode("cp932", errors="strict")
    except UnicodeDecodeError as exc:
        text = data[: exc.start].decode("cp932") if exc.start >= len(data) - 1 else ""
    wide = [ch for ch in text if ord(ch) > 0x7F]
    japanese = sum(1 for ch in wide if "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef")
    return bool(wide) and japanese * 10 >= len(wide) * 9


def _high_byte_pairs(data: bytes) -> float:
    """Share of high bytes next to another high byte.

    Western text has lone accented letters between ASCII ones ("Ann\xe9e"); Cyrillic and
    Japanese words are written entirely in high bytes.
    """
    high = [b >= 0x80 for b in data]
    total = sum(high)
    if total < 4:
        return 0.0
    paired = sum(
        1
        for i, is_high in enumerate(high)
        if is_high and ((i and high[i - 1]) or (i + 1 < len(high) and high[i + 1]))
    )
    return paired / total


def _mostly_utf8(head: bytes) -> bool:
    """True when most lines with non-ASCII bytes are UTF-8 (a few legacy lines pasted in)."""
    good = bad = 0
    for line in head.split(b"\n")[:-1]:
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad += 1
        else:
            good += 1
    return good > bad


def detect_encoding(head: bytes) -> str:
    """The encoding of a text file from its first bytes (see the module docstring)."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    bare_utf16 = looks_like_utf16(head)
    if bare_utf16:
        return bare_utf16
    if _decodes(head, "utf-8") or _mostly_utf8(head):
        return "utf-8"
    if _high_byte_pairs(head) > 0.6:
        return "cp932" if _is_japanese(head) else "cp1251"
    return "cp1252"


@dataclass(frozen=True)
class Dialect:
    """How the records are written: the delimiter, and backslash escapes instead of quotes."""

    delimiter: str
    escapechar: str | None = None


def _field_counts(lines: list[str], dialect: Dialect) -> list[int]:
    reader = csv.reader(
        lines, delimiter=dialect.delimiter, escapechar=dialect.escapechar, strict=False
    )
    counts = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                counts.append(len(row))
    except csv.Error:
        return []
    return counts


def sniff_dialect(sample: str) -> Dialect:
    """The delimiter (and escaping) that splits the sample's rows most consistently.

    Judged on all sampled rows, not the first: Thunderbird writes a header with commas and
    rows with tabs, and a European file has decimal commas inside semicolon-separated rows.
    """
    cut = max(sample.rfind("\n"), sample.rfind("\r"))
    if cut > 0:
        sample = sample[: cut + 1]
    lines = sample.splitlines(keepends=True)[:500]
    best: tuple[float, int, int] = (0.0, 0, 0)
    chosen = Dialect(",")
    options = [Dialect(d) for d in DELIMITERS]
    if "\\" in sample:
        options += [Dialect(d, "\\") for d in DELIMITERS if f"\\{d}" in sample]
    for rank, dialect in enumerate(options):
        counts = _field_counts(lines, dialect)
        if not counts:
            continue
        modal = max(set(counts), key=counts.count)
        if modal < 2:
            continue
        consistency = round(counts.count(modal) / len(counts), 2)
        score = (consistency, modal, -rank)
        if score > best:
            best, chosen = score, dialect
    return chosen


@dataclass
class TextRead:
    """The outcome of reading a text file, filled in while its records are streamed."""

    encoding: str
    dialect: Dialect
    other_encoding_rows: list[int] = field(default_factory=list)
    """Rows decoded differently from the rest of the file (mixed encodings)."""
    other_encoding: str | None = None
    bytes_read: int = 0
    long_fields: bool = False
    """Read with room for cells of up to `MAX_FIELD_CHARS` (a first read met a longer cell
    than a contact field); the caller then measures every cell."""


class LongField(Exception):
    """A cell longer than a contact field: read the file again with `long_fields`."""


def _lines(path: Path, encoding: str, bad_lines: list[int], read: TextRead) -> Iterator[str]:
    """Decoded physical lines, each decoded on its own so one bad line cannot spoil the rest."""
    if encoding not in _ASCII_COMPATIBLE:
        with path.open(encoding=encoding, errors="replace", newline="") as text:
            yield from text
        return
    with path.open("rb") as stream:
        head = stream.read(_SAMPLE)
        stream.seek(0)
        # Old Mac files end lines with CR alone; binary line iteration splits on LF only.
        raw_lines: Iterator[bytes] | list[bytes] = (
            stream.read().splitlines(keepends=True)
            if b"\n" not in head and b"\r" in head
            else stream
        )
        legacy = encoding not in ("utf-8", "utf-8-sig")
        first = True
        for number, raw in enumerate(raw_lines, 1):
            read.bytes_read += len(raw)
            if first and encoding == "utf-8-sig":
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            first = False
            if legacy:
                if raw.isascii():
                    yield raw.decode("ascii")
                    continue
                try:
                    # UTF-8 lines in a legacy file: decoding them as cp1252 would give mojibake.
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    yield raw.decode(encoding, errors="replace")
                    continue
                bad_lines.append(number)
                read.other_encoding = "utf-8"
                yield line
                continue
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                bad_lines.append(number)
                read.other_encoding = "cp1252"
                try:
                    yield raw.decode("cp1252")
                except UnicodeDecodeError:
                    yield raw.decode("latin-1")


MAX_FIELD_CHARS = 16 << 20
"""The longest cell read from a text file (`readers.MAX_READ_CHARS`)."""


def iter_records(path: Path, read: TextRead) -> Iterator[list[str]]:
    """The file's records in order (one list of cells per record, blank records included).

    Record numbers, counted from 1, are the row numbers Excel would show for the file.
    A cell longer than a contact field (`MAX_CELL_CHARS`) raises `LongField`, unless
    ``read.long_fields``: then cells up to `MAX_FIELD_CHARS` are read (the caller decides
    what a long cell means for its row) and a longer one raises `CellTooLargeError`. So the
    usual file, with short cells only, is read at the csv module's own speed and measured
    by it.
    """
    # The limit is process-wide; files are read one at a time.
    csv.field_size_limit(MAX_FIELD_CHARS if read.long_fields else MAX_CELL_CHARS)
    bad_lines: list[int] = []
    reader = csv.reader(
        _lines(path, read.encoding, bad_lines, read),
        delimiter=read.dialect.delimiter,
        escapechar=read.dialect.escapechar,
        strict=False,
    )
    seen_bad = 0
    record = 0
    try:
        for row in reader:
            record += 1
            if len(bad_lines) > seen_bad:
                while seen_bad < len(bad_lines) and bad_lines[seen_bad] <= reader.line_num:
                    seen_bad += 1
                    if not read.other_encoding_rows or read.other_encoding_rows[-1] != record:
                        read.other_encoding_rows.append(record)
            yield row
    except csv.Error as exc:
        if "field larger than field limit" in str(exc) and not read.long_fields:
            raise LongField from exc
        if "field larger than field limit" in str(exc):
            raise CellTooLargeError(
                path.name,
                f"{path.name}, row {record + 1}: a cell holds more than "
                f"{csv.field_size_limit():,} characters, far more than any contact field. "
                "Check that the file is the right one, or remove that cell.",
                row=record + 1,
            ) from exc
        raise ImportFileError(
            path.name,
            f"{path.name}, row {record + 1}: the row cannot be read ({exc}).",
            row=record + 1,
        ) from exc


def sample_text(path: Path, encoding: str) -> str:
    """About the first 64 KiB of the file as text, for sniffing the dialect."""
    with path.open("rb") as stream:
        head = stream.read(_SAMPLE)
    if encoding in ("utf-16", "utf-16-le", "utf-16-be"):
        head = head[: len(head) - len(head) % 2]
    return head.decode(encoding, errors="replace").removeprefix("\ufeff")
