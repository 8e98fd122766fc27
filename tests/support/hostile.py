"""Workbooks built to hurt the reader, made small in the test that needs them."""

from __future__ import annotations

import zipfile
from pathlib import Path

from data.make_import_corpus import write_xlsx

ROWS = [["Email", "Notes"], ["ann@example.org", "hello"]]


def patched(path: Path, old: bytes, new: bytes, part: str = "xl/worksheets/sheet1.xml") -> Path:
    """``path`` rewritten with ``old`` replaced by ``new`` in one part of its zip."""
    source = path.with_suffix(".orig")
    path.rename(source)
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name in src.namelist():
            data = src.read(name)
            if name == part:
                assert old in data
                data = data.replace(old, new)
            out.writestr(name, data)
    source.unlink()
    return path


def far_cell(path: Path) -> Path:
    write_xlsx(path, ROWS)
    return patched(
        path,
        b"</sheetData>",
        b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
    )
