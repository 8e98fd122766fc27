"""Generate the spreadsheet-import test corpus: small good and bad files, written on demand.

Nothing binary is committed: every case is written here from code, into a temporary folder
(tests) or the benchmark cache. XLSX and ODS are written with the standard library only (a zip
of XML parts), so neither openpyxl nor xlsxwriter is needed, and the bytes are exactly what
each case needs (error cells, hidden sheets, an encrypted manifest...).

Run ``python tests/data/make_import_corpus.py OUT_DIR`` to look at the files by hand.
"""

from __future__ import annotations

import random
import struct
import sys
import zipfile
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from mjdesk.core.importing.formats import FileKind
from mjdesk.core.importing.headers import column_letter
from mjdesk.core.importing.table import SourceInfo, Table

Cell = str | int | float | date | None
"""A value to write: text, a number, a date (written as an Excel serial) or nothing."""


@dataclass
class Sheet:
    """One worksheet to write: its rows, and how Excel should show it."""

    name: str
    rows: Sequence[Sequence[Cell]]
    state: str = "visible"  # or "hidden", "veryHidden"
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    """Formula error cells, (row, column) from 0 -> the error text such as ``#N/A``."""


_EPOCH_1900 = date(1899, 12, 30)


def _sheet_xml(sheet: Sheet, strings: dict[str, int]) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<sheetData>"
    ]
    for r, row in enumerate(sheet.rows):
        cells = []
        for c, value in enumerate(row):
            ref = f"{column_letter(c)}{r + 1}"
            error = sheet.errors.get((r, c))
            if error is not None:
                cells.append(f'<c r="{ref}" t="e"><f>NA()</f><v>{escape(error)}</v></c>')
            elif value is None or value == "":
                continue
            elif isinstance(value, str):
                index = strings.setdefault(value, len(strings))
                cells.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
            elif isinstance(value, date):
                serial = (value - _EPOCH_1900).days
                cells.append(f'<c r="{ref}" s="1"><v>{serial}</v></c>')
            else:
                cells.append(f'<c r="{ref}"><v>{value!r}</v></c>')
        parts.append(f'<row r="{r + 1}">{"".join(cells)}</row>')
    parts.append("</sheetData></worksheet>")
    return "".join(parts).encode()


def write_xlsx(
    path: Path, rows: Sequence[Sequence[Cell]] = (), *, sheets: Sequence[Sheet] = ()
) -> Path:
    """Write an XLSX workbook: the ``rows`` of a single sheet, or several `Sheet`."""
    books = list(sheets) or [Sheet("Sheet1", rows)]
    strings: dict[str, int] = {}
    sheet_parts = [_sheet_xml(sheet, strings) for sheet in books]
    ns = 'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        + "".join(
            f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(len(books))
        )
        + "</Types>"
    )
    root_rels = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships {ns}>'
        f'<Relationship Id="rId1" Type="{office}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    )
    workbook = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'xmlns:r="{office}"><sheets>'
        + "".join(
            f'<sheet name="{escape(s.name, {chr(34): "&quot;"})}" sheetId="{i + 1}" '
            + (f'state="{s.state}" ' if s.state != "visible" else "")
            + f'r:id="rId{i + 1}"/>'
            for i, s in enumerate(books)
        )
        + "</sheets></workbook>"
    )
    n = len(books)
    workbook_rels = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships {ns}>'
        + "".join(
            f'<Relationship Id="rId{i + 1}" Type="{office}/worksheet" '
            f'Target="worksheets/sheet{i + 1}.xml"/>'
            for i in range(n)
        )
        + f'<Relationship Id="rId{n + 1}" Type="{office}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId{n + 2}" Type="{office}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>'
    )
    # Style 1 is a date format (numFmtId 14), so serials read back as dates.
    styles = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        '<borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        "</cellStyleXfs>"
        '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        "</cellXfs></styleSheet>"
    )
    ordered = sorted(strings, key=strings.__getitem__)
    shared = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(ordered)}" uniqueCount="{len(ordered)}">'
        + "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in ordered)
        + "</sst>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("[Content_Types].xml", content_types)
        book.writestr("_rels/.rels", root_rels)
        book.writestr("xl/workbook.xml", workbook)
        book.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        book.writestr("xl/styles.xml", styles)
        book.writestr("xl/sharedStrings.xml", shared)
        for i, part in enumerate(sheet_parts):
            book.writestr(f"xl/worksheets/sheet{i + 1}.xml", part)
    return path


def write_ods(path: Path, rows: Sequence[Sequence[Cell]], *, encrypted: bool = False) -> Path:
    """Write a one-sheet ODS; ``encrypted`` writes a manifest saying content.xml is encrypted."""
    cells_xml = []
    for row in rows:
        cells = []
        for value in row:
            if value is None or value == "":
                cells.append("<table:table-cell/>")
            elif isinstance(value, str):
                cells.append(
                    '<table:table-cell office:value-type="string">'
                    f"<text:p>{escape(value)}</text:p></table:table-cell>"
                )
            else:
                cells.append(
                    f'<table:table-cell office:value-type="float" office:value="{value}">'
                    f"<text:p>{value}</text:p></table:table-cell>"
                )
        cells_xml.append(f"<table:table-row>{''.join(cells)}</table:table-row>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Sheet1">'
        + "".join(cells_xml)
        + "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    encryption = (
        '<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="AA==">'
        '<manifest:algorithm manifest:algorithm-name="Blowfish CFB" '
        'manifest:initialisation-vector="AA=="/></manifest:encryption-data>'
        if encrypted
        else ""
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type='
        '"application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
        f"{encryption}</manifest:file-entry></manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as book:
        book.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        book.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        if encrypted:
            book.writestr("content.xml", bytes(random.Random(1).randbytes(600)))
        else:
            book.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


def ole2_with_stream(name: str) -> bytes:
    """A minimal OLE2 (compound file) whose directory names one stream, e.g. EncryptedPackage.

    Enough for signature-level detection, which is all a reader needs before refusing the file.
    """
    header = bytearray(512)
    header[0:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHH", header, 24, 0x3E, 3, 0xFFFE)
    struct.pack_into("<H", header, 30, 9)  # 512-byte sectors
    entry = bytearray(128)
    encoded = name.encode("utf-16-le")
    entry[0 : len(encoded)] = encoded
    struct.pack_into("<H", entry, 64, len(encoded) + 2)
    entry[66] = 2  # a stream
    root = bytearray(128)
    root_name = "Root Entry".encode("utf-16-le")
    root[0 : len(root_name)] = root_name
    root[66] = 5
    return bytes(header) + bytes(root) + bytes(entry) + bytes(256) + bytes(1024)


def _record(kind: int, body: bytes) -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def write_xls(
    path: Path,
    rows: Sequence[Sequence[str | float | None]],
    *,
    sheet: str = "Sheet1",
    errors: dict[tuple[int, int], int] | None = None,
    error_kind: str = "formula",
) -> Path:
    """Write a legacy Excel workbook (BIFF8 in an OLE2 compound file) with one sheet.

    ``errors`` maps (row, column), 0-based, to an Excel error code (0x2A is #N/A, 0x07
    #DIV/0!), written as a formula whose cached result is that error, or as a plain error
    cell (a BOOLERR record) with ``error_kind="cell"``.
    """
    errors = errors or {}
    strings = sorted({v for row in rows for v in row if isinstance(v, str)})
    index = {text: n for n, text in enumerate(strings)}
    sst = struct.pack("<II", len(strings), len(strings)) + b"".join(
        struct.pack("<HB", len(t), 1) + t.encode("utf-16-le") for t in strings
    )
    bof = struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 6)
    sheet_name = sheet.encode("utf-16-le")
    boundsheet_size = 4 + 8 + len(sheet_name)
    globals_ = [_record(0x0809, bof), _record(0x0042, struct.pack("<H", 1200))]
    xf = struct.pack("<HHHBBBBIIH", 0, 0, 0x0001, 0x20, 0, 0, 0, 0, 0, 0x20C0)
    globals_ += [_record(0x00E0, xf)] * 16  # the default cell formats Excel writes
    globals_.append(_record(0x00FC, sst))
    offset = sum(map(len, globals_)) + boundsheet_size + 4  # + the EOF record
    globals_.append(
        _record(0x0085, struct.pack("<IBBBB", offset, 0, 0, len(sheet), 1) + sheet_name)
    )
    globals_.append(_record(0x000A, b""))
    width = max((len(r) for r in rows), default=0)
    cells = [
        _record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 6)),
        _record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, width, 0)),
    ]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if (r, c) in errors:
                code = errors[(r, c)]
                if error_kind == "cell":
                    cells.append(_record(0x0205, struct.pack("<HHHBB", r, c, 15, code, 1)))
                else:
                    result = bytes([2, 0, code, 0, 0, 0, 0xFF, 0xFF])
                    formula = struct.pack("<HHH", r, c, 15) + result
                    formula += struct.pack("<HIH", 0, 0, 2) + bytes([0x1C, code])
                    cells.append(_record(0x0006, formula))
            elif isinstance(value, str):
                cells.append(_record(0x00FD, struct.pack("<HHHI", r, c, 15, index[value])))
            elif isinstance(value, float | int):
                cells.append(_record(0x0203, struct.pack("<HHHd", r, c, 15, float(value))))
    cells.append(_record(0x000A, b""))
    stream = b"".join(globals_) + b"".join(cells)
    stream += bytes(max(0, 4096 - len(stream)))  # kept out of the mini stream
    path.write_bytes(_compound_file("Workbook", stream))
    return path


def _compound_file(name: str, stream: bytes) -> bytes:
    """An OLE2 compound file (512-byte sectors) holding one stream: sector 0 is the FAT,
    1 the directory, the stream follows."""
    sectors = -(-len(stream) // 512)
    if sectors > 126:
        raise ValueError("stream too long for one FAT sector")
    fat = [0xFFFFFFFD, 0xFFFFFFFE] + [n + 1 for n in range(2, sectors + 1)] + [0xFFFFFFFE]
    fat += [0xFFFFFFFF] * (128 - len(fat))
    header = bytearray(512)
    header[0:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIII", header, 0x2C, 1, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    struct.pack_into("<109I", header, 0x4C, 0, *([0xFFFFFFFF] * 108))

    def entry(label: str, kind: int, start: int, size: int, child: int) -> bytes:
        data = bytearray(128)
        encoded = label.encode("utf-16-le")
        data[0 : len(encoded)] = encoded
        struct.pack_into(
            "<HBBIII", data, 64, len(encoded) + 2, kind, 1, 0xFFFFFFFF, 0xFFFFFFFF, child
        )
        struct.pack_into("<II", data, 0x74, start, size)
        return bytes(data)

    directory = entry("Root Entry", 5, 0xFFFFFFFE, 0, 1) + entry(
        name, 2, 2, len(stream), 0xFFFFFFFF
    )
    empty = bytearray(128)
    struct.pack_into("<III", empty, 68, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
    directory += bytes(empty) * 2
    body = stream + bytes(sectors * 512 - len(stream))
    return bytes(header) + struct.pack("<128I", *fat) + directory + body


def make_table(headers: list[str], *rows: list[str]) -> Table:
    """A `Table` as the reader would give it, straight from rows of text (no file)."""
    columns = [list(values) for values in zip(*rows, strict=True)] if rows else []
    return Table(
        headers,
        columns or [[] for _ in headers],
        array("q", range(2, len(rows) + 2)),
        SourceInfo("people.csv", "0" * 64, 10, FileKind.TEXT),
    )


# People, for realistic rows -------------------------------------------------------------

FIRST = ["Amelia", "Oliver", "Zoë", "Siobhán", "Łukasz", "Chloé", "Wei", "Priya", "Omar", "Ngozi"]
LAST = ["Smith", "O'Brien", "Ólafsdóttir", "Patel", "Nguyen", "Müller", "García", "Okafor"]
DOMAINS = ["york.ac.uk", "gmail.com", "outlook.com", "example.org", "yahoo.co.uk", "uni.example"]
HEADER: list[Cell] = [
    "Email address",
    "First name",
    "Last name",
    "Consent",
    "Consent date",
    "Department",
    "Student ID",
    "Score",
]


def people(count: int, seed: int = 7) -> Iterable[list[Cell]]:
    """Rows matching `HEADER`: mostly clean, with the usual dirt mixed in at low rates."""
    rng = random.Random(seed)
    start = date(2021, 1, 1)
    for i in range(count):
        first = FIRST[i % len(FIRST)]
        last = LAST[(i // 7) % len(LAST)]
        domain = DOMAINS[i % len(DOMAINS)]
        email = f"{first.lower()}.{last.lower()}.{i}@{domain}"
        roll = rng.random()
        if roll < 0.01:
            email = email.replace("@", " at ")
        elif roll < 0.02:
            email = email.replace("gmail.com", "gmial.com")
        elif roll < 0.03:
            email = f"  {email.upper()} "
        consent = "yes" if rng.random() < 0.9 else "no"
        yield [
            email,
            first,
            last,
            consent,
            start + timedelta(days=i % 1500),
            ["History", "Physics", "Music"][i % 3],
            f"{i:08d}",
            i % 100 + 0.5,
        ]


def write_text(path: Path, rows: Iterable[Sequence[Cell]], *, sep: str = ",") -> Path:
    """Write rows as delimited UTF-8 text, quoting where needed (dates as ISO text)."""
    import csv

    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=sep, lineterminator="\r\n")
        for row in rows:
            writer.writerow(["" if v is None else str(v) for v in row])
    return path


CASES: dict[str, Callable[[Path], Path]] = {}


def _case(name: str) -> Callable[[Callable[[Path], Path]], Callable[[Path], Path]]:
    def register(make: Callable[[Path], Path]) -> Callable[[Path], Path]:
        CASES[name] = make
        return make

    return register


@_case("good.xlsx")
def _good_xlsx(path: Path) -> Path:
    return write_xlsx(path, [HEADER, *people(20)])


@_case("good.csv")
def _good_csv(path: Path) -> Path:
    return write_text(path, [HEADER, *people(20)])


@_case("good.ods")
def _good_ods(path: Path) -> Path:
    return write_ods(path, [["E-mail", "Vorname", "Nachname"], ["anna@example.org", "Anna", "B"]])


@_case("empty.csv")
def _empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


@_case("blank.xlsx")
def _blank_xlsx(path: Path) -> Path:
    return write_xlsx(path, sheets=[Sheet("Sheet1", [])])


@_case("header_only.csv")
def _header_only(path: Path) -> Path:
    path.write_text("email,first name,last name\r\n", encoding="utf-8")
    return path


@_case("header_only.xlsx")
def _header_only_xlsx(path: Path) -> Path:
    return write_xlsx(path, [["Email", "Name"]])


@_case("no_addresses.csv")
def _no_addresses(path: Path) -> Path:
    path.write_text("name,city\nAnn,York\nBob,Leeds\n", encoding="utf-8")
    return path


@_case("text_called.xlsx")
def _renamed(path: Path) -> Path:
    path.write_text("email;name\nann@example.org;Ann\n", encoding="utf-8")
    return path


@_case("binary.csv")
def _binary(path: Path) -> Path:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    return path


@_case("encrypted.xlsx")
def _encrypted(path: Path) -> Path:
    path.write_bytes(ole2_with_stream("EncryptedPackage"))
    return path


@_case("encrypted.ods")
def _encrypted_ods(path: Path) -> Path:
    return write_ods(path, [], encrypted=True)


@_case("corrupt.xlsx")
def _corrupt(path: Path) -> Path:
    write_xlsx(path, [HEADER, *people(50)])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


@_case("huge_cell.csv")
def _huge_cell(path: Path) -> Path:
    path.write_text('email,notes\nann@example.org,"' + "x" * 3_000_000 + '"\n', encoding="utf-8")
    return path


@_case("huge_cell.xlsx")
def _huge_cell_xlsx(path: Path) -> Path:
    return write_xlsx(path, [["email", "notes"], ["ann@example.org", "y" * 2_000_000]])


@_case("duplicate_headers.csv")
def _dup_headers(path: Path) -> Path:
    path.write_text("email,name,name,Email\na@example.org,A,B,c@example.org\n", encoding="utf-8")
    return path


@_case("mixed_encoding.csv")
def _mixed(path: Path) -> Path:
    path.write_bytes(
        "email;name\nzoe@example.org;Zoë\n".encode()
        + "andre@example.org;André\n".encode("cp1252")
        + "chloe@example.org;Chloé\n".encode()
    )
    return path


@_case("formula_errors.xlsx")
def _formula_errors(path: Path) -> Path:
    sheet = Sheet(
        "Data",
        [["Email", "Name"], ["ann@example.org", None], ["bob@example.org", "Bob"]],
        errors={(1, 1): "#N/A"},
    )
    return write_xlsx(path, sheets=[sheet])


@_case("cp1252_semicolon.csv")
def _cp1252(path: Path) -> Path:
    text = "Courriel;Prénom;Nom;Année\r\nrené@exemple.fr;René;Lefèvre;1999\r\n"
    text += "".join(f"p{i}@exemple.fr;Zoé;Dupré;{1990 + i}\r\n" for i in range(5))
    path.write_bytes(text.encode("cp1252"))
    return path


@_case("utf16.txt")
def _utf16(path: Path) -> Path:
    text = "email\tname\r\nann@example.org\tÅsa\r\nbob@example.org\tBjörn\r\n"
    path.write_bytes(text.encode("utf-16"))
    return path


def build(folder: Path) -> dict[str, Path]:
    """Write every named case into ``folder``; returns name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    return {name: make(folder / name) for name, make in CASES.items()}


if __name__ == "__main__":
    for name, written in build(Path(sys.argv[1] if len(sys.argv) > 1 else "corpus")).items():
        print(f"{name:28} {written.stat().st_size:>10,} bytes")  # noqa: T201
