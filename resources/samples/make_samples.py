"""Write the sample contact spreadsheets (CSV and XLSX, the same rows) used by the self-test.

Run after changing the rows: ``.venv/bin/python resources/samples/make_samples.py``. The
outputs are committed. The XLSX is written by hand (a minimal SpreadsheetML package with
fixed timestamps), so the file is byte-for-byte reproducible and needs no writer library.
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
HEADER = ("Email", "First name", "Last name", "Consent", "Consent date", "Source")
# Ten good rows, one address that is not an address, one repeat of an earlier address.
ROWS = (
    ("ada.lovelace@york.ac.uk", "Ada", "Lovelace", "yes", "2025-09-01", "Open day form"),
    ("alan.turing@york.ac.uk", "Alan", "Turing", "yes", "2025-09-01", "Open day form"),
    ("grace.hopper@york.ac.uk", "Grace", "Hopper", "yes", "2025-09-02", "Open day form"),
    ("zoe.bronte@york.ac.uk", "Zoë", "Brontë", "yes", "2025-09-03", "Library sign-up"),
    ("lukasz.wojcik@york.ac.uk", "Łukasz", "Wójcik", "yes", "2025-09-03", "Library sign-up"),
    ("not-an-address", "Bad", "Row", "yes", "2025-09-04", "Library sign-up"),
    ("katherine.johnson@york.ac.uk", "Katherine", "Johnson", "no", "", "Alumni list"),
    ("tim.berners-lee@york.ac.uk", "Tim", "Berners-Lee", "yes", "2025-09-05", "Alumni list"),
    ("Ada.Lovelace@York.ac.uk", "Ada", "Lovelace", "yes", "2025-09-06", "Alumni list"),
    ("margaret.hamilton@york.ac.uk", "Margaret", "Hamilton", "yes", "2025-09-07", "Alumni list"),
    ("edsger.dijkstra@york.ac.uk", "Edsger", "Dijkstra", "no", "", "Seminar sheet"),
    ("barbara.liskov@york.ac.uk", "Barbara", "Liskov", "yes", "2025-09-08", "Seminar sheet"),
)

_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_OOXML = "http://schemas.openxmlformats.org"
_MAIN = f"{_OOXML}/spreadsheetml/2006/main"
_PKG_RELS = f"{_OOXML}/package/2006/relationships"
_DOC_RELS = f"{_OOXML}/officeDocument/2006/relationships"
_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _relationships(kind: str, target: str) -> str:
    return (
        f'{_XML}<Relationships xmlns="{_PKG_RELS}">'
        f'<Relationship Id="rId1" Type="{_DOC_RELS}/{kind}" Target="{target}"/>'
        "</Relationships>"
    )


_TYPES = (
    f'{_XML}<Types xmlns="{_OOXML}/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_MIME}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_MIME}.worksheet+xml"/>'
    "</Types>"
)
_WORKBOOK = (
    f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}">'
    '<sheets><sheet name="Contacts" sheetId="1" r:id="rId1"/></sheets></workbook>'
)


def _sheet(rows: list[tuple[str, ...]]) -> str:
    lines = []
    for r, row in enumerate(rows, start=1):
        cells = "".join(
            f'<c r="{chr(65 + c)}{r}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
            for c, value in enumerate(row)
            if value
        )
        lines.append(f'<row r="{r}">{cells}</row>')
    return f'{_XML}<worksheet xmlns="{_MAIN}"><sheetData>{"".join(lines)}</sheetData></worksheet>'


def write_xlsx(path: Path, rows: list[tuple[str, ...]]) -> None:
    parts = {
        "[Content_Types].xml": _TYPES,
        "_rels/.rels": _relationships("officeDocument", "xl/workbook.xml"),
        "xl/workbook.xml": _WORKBOOK,
        "xl/_rels/workbook.xml.rels": _relationships("worksheet", "worksheets/sheet1.xml"),
        "xl/worksheets/sheet1.xml": _sheet(rows),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            package.writestr(info, text.encode("utf-8"))


def main() -> None:
    rows = [HEADER, *ROWS]
    with (HERE / "sample-contacts.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    write_xlsx(HERE / "sample-contacts.xlsx", rows)


if __name__ == "__main__":
    main()
