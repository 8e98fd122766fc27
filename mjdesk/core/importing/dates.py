"""Dates as spreadsheets hold them: Excel serials, ISO text, and day/month text whose order
(01/02/2025: 1 February or January 2?) has to be found from the column, or asked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from itertools import compress, count, islice


class DateOrder(Enum):
    """How a numeric date is written."""

    DMY = "day/month/year"  # UK and most of the world: offered first
    MDY = "month/day/year"
    YMD = "year/month/day"


@dataclass(frozen=True)
class DateOrderGuess:
    """What a column's dates say about their order.

    ``order`` is set when the column decides it (a day above 12 somewhere); otherwise
    ``ambiguous`` is True and ``choices`` lists what to ask, UK order first.
    """

    order: DateOrder | None
    ambiguous: bool
    choices: tuple[DateOrder, ...] = ()
    evidence_rows: tuple[int, ...] = ()
    """Indexes of values that decided (or contradicted) the order, to show the user."""


_ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?"
)
_YMD = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_NUMERIC = re.compile(
    r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?:,?[ T](\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"(?:\s*([AaPp])[Mm])?)?"
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            "jan january janv janvier januar enero",
            "feb february fev fevr fevrier februar febrero",
            "mar march mars marz marzo",
            "apr april avr avril abril",
            "may mai mayo",
            "jun june juin juni junio",
            "jul july juil juillet juli julio",
            "aug august aout agosto",
            "sep sept september septembre septiembre",
            "oct october octobre oktober octubre",
            "nov november novembre noviembre",
            "dec december decembre dezember diciembre",
        ),
        1,
    )
    for name in names.split()
}
_WORDY = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?[ -]([^\W\d_]+)\.?,?[ -](\d{4}|\d{2})")
_WORDY_US = re.compile(r"([^\W\d_]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})")
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
_EXCEL_EPOCH = datetime(1899, 12, 30)
_FOLD = str.maketrans("éèêûôîàäöüç", "eeeuoiaaouc")


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 70 else 1900
    return year


def _build(
    y: int, m: int, d: int, hh: str | None, mm: str | None, ss: str | None
) -> datetime | None:
    try:
        return datetime(y, m, d, int(hh or 0), int(mm or 0), int(ss or 0))
    except ValueError:
        return None


def parse_date(text: str, order: DateOrder = DateOrder.DMY) -> datetime | None:
    """A date (and time, if written) from a cell's text; None when it is not a date.

    Accepts ISO dates, Excel serial numbers (1955 to 2119), numeric dates in ``order``,
    and dates with month names ("3 March 2024", "Mar 3, 2024").
    """
    value = text.strip()
    if not value:
        return None
    if match := _ISO.fullmatch(value):
        y, m, d, hh, mm, ss = match.groups()
        return _build(int(y), int(m), int(d), hh, mm, ss)
    if match := _YMD.fullmatch(value):
        y, m, d, hh, mm, ss = match.groups()
        return _build(int(y), int(m), int(d), hh, mm, ss)
    if match := _NUMERIC.fullmatch(value):
        a, b, y, hh, mm, ss, half = match.groups()
        day, month = (int(a), int(b)) if order is not DateOrder.MDY else (int(b), int(a))
        if half and hh:
            hh = str(int(hh) % 12 + (12 if half in "Pp" else 0))
        return _build(_year(y), month, day, hh, mm, ss)
    if _SERIAL.fullmatch(value):
        serial = float(value)
        if 20000 <= serial < 80000:
            return _EXCEL_EPOCH + timedelta(days=serial)
        return None
    if match := _WORDY.fullmatch(value):
        d, name, y = match.groups()
    elif match := _WORDY_US.fullmatch(value):
        name, d, y = match.groups()
    else:
        return None
    named = _MONTHS.get(name.casefold().translate(_FOLD))
    return _build(_year(y), named, int(d), None, None, None) if named else None


def _first_rows(values: list[str], wanted: set[str], limit: int) -> list[int]:
    """The indexes of the first ``limit`` values in ``wanted``."""
    if not wanted:
        return []
    return list(islice(compress(count(), map(wanted.__contains__, values)), limit))


def guess_date_order(values: Iterable[str]) -> DateOrderGuess:
    """Whether the numeric dates in a column are day-first or month-first.

    A first number above 12 proves day-first, a second number above 12 month-first; when
    neither appears (every date could be either) the order is ambiguous and must be asked.
    """
    values = values if isinstance(values, list) else list(values)
    # Each distinct value is looked at once (a column holds few).
    day_values: set[str] = set()
    month_values: set[str] = set()
    numeric = False
    for value in set(values):
        match = _NUMERIC.fullmatch(value.strip())
        if not match:
            continue
        numeric = True
        a, b = int(match[1]), int(match[2])
        if a > 12 >= b:
            day_values.add(value)
        elif b > 12 >= a:
            month_values.add(value)
    day_first = _first_rows(values, day_values, 5)
    month_first = _first_rows(values, month_values, 5)
    both = (DateOrder.DMY, DateOrder.MDY)
    if not numeric:
        return DateOrderGuess(None, False)
    if day_first and not month_first:
        return DateOrderGuess(DateOrder.DMY, False, (DateOrder.DMY,), tuple(day_first[:5]))
    if month_first and not day_first:
        return DateOrderGuess(DateOrder.MDY, False, (DateOrder.MDY,), tuple(month_first[:5]))
    evidence = tuple(day_first[:3] + month_first[:3])
    return DateOrderGuess(None, True, both, evidence)


def as_date(value: datetime) -> date:
    """The calendar day of a parsed value."""
    return value.date()
