"""Files mjdesk writes for people to open in a spreadsheet program (reports, exports): no cell
may run as a formula there.

A spreadsheet program runs a CSV cell that begins with ``=``, ``+``, ``-`` or ``@`` (and, in
some, a tab or carriage return) as a formula, so an address such as ``=1+1@example.org`` in a
report could compute, or worse, call out. Such a cell is written with a leading apostrophe,
which spreadsheet programs show as text (OWASP's advice for CSV injection). Workbooks are
written with text cells only: xlsxwriter is told never to turn a string into a formula, a
number or a link.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from mjdesk.core.paths import make_private
from mjdesk.core.work import UserError

FORMULA_MARKS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet program takes as the start of a formula."""

XLSX_OPTIONS: dict[str, bool] = {
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}
"""xlsxwriter's Workbook options for every workbook mjdesk writes."""


class OverwritesSource(UserError):
    """An output file aimed at the file it was made from."""


def is_same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file (also through another spelling, a link or,
    on Windows, another case)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one does not exist yet: compare what they would resolve to
        return os.path.normcase(a.resolve()) == os.path.normcase(b.resolve())


def refuse_overwriting(target: Path, source: Path) -> None:
    """Raise `OverwritesSource` when writing ``target`` would replace ``source``: the file
    whose SHA-256 the consent ledger cites as the proof must never be lost."""
    if is_same_file(target, source):
        raise OverwritesSource(
            f"{target.name} is the file being imported. Writing over it would destroy the "
            "file the consent records cite as their proof; choose another name."
        )


def neutralise(value: object) -> object:
    """``value`` as it is safe to put in a CSV cell (text that would start a formula gets a
    leading apostrophe; anything else is unchanged)."""
    if isinstance(value, str) and value.startswith(FORMULA_MARKS):
        return "'" + value
    return value


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    """A CSV file in UTF-8 with a byte-order mark (so Excel reads accents right), every cell
    neutralised."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([neutralise(cell) for cell in header])
        writer.writerows([neutralise(cell) for cell in row] for row in rows)
    make_private(path)  # (personal data: not for other users of the computer)
    return path
