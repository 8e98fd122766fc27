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
