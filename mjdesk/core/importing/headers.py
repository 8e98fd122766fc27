"""Finding the header row (it need not be row 1) and turning header cells into column names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from mjdesk.core.importing.errors import Notice, NoticeKind
from mjdesk.core.importing.vocabulary import EMAIL_HEADER

HEAD_ROWS = 40
"""How many leading rows are looked at to find the header."""

_NUMBER = re.compile(r"[+-]?(\d[\d,. ]*)?\d([.,]\d+)?%?")
_DATEISH = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T].*)?|\d{1,2}:\d\d(:\d\d)?")
_SPACES = re.compile(r"\s+")


def column_letter(index: int) -> str:
    """Excel's name for a 0-based column index: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_FLAGS = frozenset({"true", "false", "yes", "no", "y", "n", "x", "✓", "✔", "-"})


def _is_labelish(value: str) -> bool:
    """Text that could be a column name: not a number, a date, a flag or an address."""
    text = value.strip()
    return (
        bool(text)
        and "@" not in text
        and text.casefold() not in _FLAGS
        and not _NUMBER.fullmatch(text)
        and not _DATEISH.fullmatch(text)
    )


def find_header_row(rows: Sequence[Sequence[str]]) -> int | None:
    """Index in ``rows`` of the header row, or None when the file has no header.

    A row naming an address column ("E-mail", "Courriel"...) is the header. Otherwise it is
    the first row that is mostly labels and at least half as wide as the table: title rows
    above it ("Price list", a date) are narrower. A file whose first row already holds
    addresses, or only numbers, has no header at all.
    """
    filled = [sum(1 for value in row if value.strip()) for row in rows]
    candidates = [i for i, count in enumerate(filled) if count][:HEAD_ROWS]
    if not candidates:
        return None
    widths = sorted(filled[i] for i in candidates)
    typical = widths[len(widths) // 2]
    fallback = None
    for i in candidates:
        row = rows[i]
        labels = sum(1 for value in row if _is_labelish(value))
        if labels < filled[i] and any("@" in value for value in row):
            break  # data rows with addresses before any header
        if any(EMAIL_HEADER.fullmatch(clean_header(value)) for value in row):
            return i
        wide_enough = filled[i] * 2 >= typical and (filled[i] >= 2 or typical <= 1)
        if wide_enough and labels * 10 >= filled[i] * 6:
            return i
        if wide_enough and labels and fallback is None:
            fallback = i  # a header of years or codes ("Year, 2000, 2001")
    return fallback


def clean_header(value: str) -> str:
    """A header cell as a column name: one line, NFC, single spaces, no BOM."""
    text = unicodedata.normalize("NFC", value.replace("\ufeff", ""))
    return _SPACES.sub(" ", text).strip()


def column_names(
    cells: Sequence[str], notices: list[Notice], positions: Sequence[int] | None = None
) -> list[str]:
    """Unique, non-empty names for the columns; renames are reported as notices.

    ``positions`` are the columns' 0-based places in the sheet (for "Column F" names) when
    some columns were left out.
    """
    names: list[str] = []
    seen: dict[str, int] = {}
    blank: list[str] = []
    repeated: list[str] = []
    for place, cell in enumerate(cells):
        index = positions[place] if positions is not None else place
        name = clean_header(cell)
        if not name:
            name = f"Column {column_letter(index)}"
            blank.append(name)
        key = name.casefold()
        if key in seen:
            seen[key] += 1
            new_name = f"{name} ({seen[key]})"
            while new_name.casefold() in seen:
                seen[key] += 1
                new_name = f"{name} ({seen[key]})"
            repeated.append(f"{name!r} in column {column_letter(index)} -> {new_name!r}")
            name = new_name
            seen[name.casefold()] = 1
        else:
            seen[key] = 1
        names.append(name)
    if repeated:
        notices.append(
            Notice(
                NoticeKind.DUPLICATE_HEADER,
                "Some column names appear more than once and were numbered: "
                + "; ".join(repeated)
                + ".",
            )
        )
    if blank:
        notices.append(
            Notice(
                NoticeKind.EMPTY_HEADER,
                "Columns without a name were called " + ", ".join(blank) + ".",
            )
        )
    return names
