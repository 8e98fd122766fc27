"""Workbooks Office-encrypted with a password, made in the test that needs them (no binary
file is kept in the repository)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path


def encrypted_xlsx(path: Path, rows: Sequence[Sequence[str]], password: str) -> Path:
    """An XLSX of ``rows`` written with xlsxwriter, then encrypted (Agile, as Excel does)
    with msoffcrypto-tool."""
    import xlsxwriter  # type: ignore[import-untyped]
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = io.BytesIO()
    book = xlsxwriter.Workbook(plain, {"in_memory": True})
    sheet = book.add_worksheet("Members")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value:
                sheet.write_string(r, c, value)
    book.close()
    plain.seek(0)
    out = io.BytesIO()
    OOXMLFile(plain).encrypt(password, out)
    path.write_bytes(out.getvalue())
    return path
