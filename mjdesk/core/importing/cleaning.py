"""From a read table and a mapping to checked rows: addresses normalised and validated,
typos and role addresses flagged, in-file duplicates found, names and consent read.

The result is column-shaped like the `Table` (lists indexed by data row), so a million rows
cost a few lists rather than a million objects; `CleanedImport.row` gives one row as an
object for the review page and the reports.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import compress, count, repeat
from operator import ne

from mjdesk.core.importing.consent_values import ConsentMode, ConsentSpec, ConsentState
from mjdesk.core.importing.dates import DateOrder, DateOrderGuess, guess_date_order, parse_date
from mjdesk.core.importing.mapping import ColumnMapping, Role, require_email_column
from mjdesk.core.importing.table import MAX_CELL_CHARS, Table, collector_paused
from mjdesk.core.importing.validation import (
    DomainAdvisor,
    check_addresses,
    normalise_column,
    role_addresses,
)


@dataclass(frozen=True)
class CleanRow:
    """One data row after cleaning, for display and reports."""

    index: int
    row_number: int
    email: str
    key: str
    first_name: str
    last_name: str
    consent: ConsentState
    consent_at: datetime | None
    problem: str | None
    suggestion: str | None
    role_address: bool
    duplicate_of_row: int | None
    properties: dict[str, str]


@dataclass
class CleanedImport:
    """Every data row checked, column by column (index i is data row i of the table)."""

    table: Table
    mapping: ColumnMapping
    spec: ConsentSpec
    emails: list[str]
    """Normalised addresses: trimmed, NFC, domain in lower case."""
    keys: list[str]
    """The contact key of each address: NFC, trimmed, case-folded (as the workspace keys it)."""
    first_names: list[str]
    last_names: list[str]
    consent: list[ConsentState]
    consent_at: list[datetime | None]
    problems: dict[int, str] = field(default_factory=dict)
    """Rows whose address is not valid, with why."""
    suggestions: dict[int, str] = field(default_factory=dict)
    """Rows whose domain looks misspelt, with the address probably meant."""
    role_addresses: set[int] = field(default_factory=set)
    duplicates: dict[int, int] = field(default_factory=dict)
    """Row index -> index of the earlier row with the same address."""
    unrecognised_consent: dict[str, int] = field(default_factory=dict)
    """Consent values in none of the lists, with how many rows hold each."""
    date_problems: dict[int, str] = field(default_factory=dict)
    date_order: DateOrderGuess | None = None
    """What the consent date column says about day/month order (ask when ambiguous)."""
    edits: Mapping[tuple[int, str], str] = field(default_factory=dict)
    """The user's fixes in the dry run, ``(row index, header) -> new text``: the reports say
    what was corrected, so the file's owner can correct the file too."""

    def __len__(self) -> int:
        return len(self.emails)

    def row_number(self, index: int) -> int:
        return self.table.row_numbers[index]

    def properties(self, index: int) -> dict[str, str]:
        """The non-empty property values of one row, by property name."""
        out = {}
        for choice in self.mapping.properties():
            value = self.table.column(choice.header)[index].strip()
            if value:
                out[choice.property_name] = unicodedata.normalize("NFC", value)
        return out

    def row(self, index: int) -> CleanRow:
        first = self.duplicates.get(index)
        return CleanRow(
            index=index,
            row_number=self.row_number(index),
            email=self.emails[index],
            key=self.keys[index],
            first_name=self.first_names[index],
            last_name=self.last_names[index],
            consent=self.consent[index],
            consent_at=self.consent_at[index],
            problem=self.problems.get(index),
            suggestion=self.suggestions.get(index),
            role_address=index in self.role_addresses,
            duplicate_of_row=None if first is None else self.row_number(first),
            properties=self.properties(index),
        )


def _text(values: list[str]) -> list[str]:
    """Names as stored: trimmed, NFC, inner runs of spaces made one."""
    joined = "\x00".join(values)
    if (
        "  " not in joined
        and " \x00" not in joined
        and "\x00 " not in joined
        and not joined.startswith(" ")
        and not joined.endswith(" ")
        and not any(c in joined for c in "\t\n\r\xa0")
        and unicodedata.is_normalized("NFC", joined)
    ):
        return list(values)  # the usual case: nothing to tidy, checked in one pass
    out = []
    for value in values:
        if value:
            value = " ".join(value.split())
            if not value.isascii():
                value = unicodedata.normalize("NFC", value)
        out.append(value)
    return out


_FOLD_BLOCK = 4096


def _keys(emails: list[str]) -> list[str]:
    """Each address case-folded, a block of addresses per call: joined, folded (lowered,
    which is the same and fast, when the block is ASCII) and split again. Folding never
    makes a NUL, so the split lines up; blocks keep the fold's temporary text small."""
    keys: list[str] = []
    for start in range(0, len(emails), _FOLD_BLOCK):
        piece = emails[start : start + _FOLD_BLOCK]
        block = "\x00".join(piece)
        if block.count("\x00") != len(piece) - 1:  # a NUL in an address: one by one
            keys += map(str.casefold, piece)
            continue
        keys += (block.lower() if block.isascii() else block.casefold()).split("\x00")
    return keys


def split_full_name(full: str) -> tuple[str, str]:
    """("Ann Smith") -> ("Ann", "Smith"); ("Smith, Ann") -> ("Ann", "Smith")."""
    full = " ".join(full.split())
    if "," in full:
        last, _, first = full.partition(",")
        return first.strip(), last.strip()
    first, _, last = full.rpartition(" ")
    return (first, last) if first else (last, "")


def clean_table(
    table: Table,
    mapping: ColumnMapping,
    spec: ConsentSpec | None = None,
    *,
    org_domains: tuple[str, ...] = (),
    edits: Mapping[tuple[int, str], str] | None = None,
) -> CleanedImport:
    """Check every row of ``table`` as mapped.

    ``edits`` are the user's inline fixes, ``(row index, header) -> new text`` (accepting a
    typo suggestion is an edit of the address cell). Raises `NoEmailColumnError` when the
    mapping has no address column and `ConsentSpecError` when ``spec`` is incomplete.
    """
    with collector_paused():
        return _clean(table, mapping, spec or ConsentSpec(), org_domains, edits or {})


def _hold_long_cells(table: Table, mapping: ColumnMapping, problems: dict[int, str]) -> None:
    """A row whose imported column holds a cell longer than a contact field is held back,
    with the reason (a long cell in a column that is not imported is no matter)."""
    for column in mapping.columns:
        rows = table.long_cells.get(column.header, ()) if column.role is not Role.SKIP else ()
        for index in rows:
            if index not in problems:
                size = len(table.column(column.header)[index])
                problems[index] = (
                    f"The {column.header!r} cell holds {size:,} characters; a contact field "
                    f"keeps at most {MAX_CELL_CHARS:,}. Shorten it in the file."
                )


_RECORDED = (ConsentState.GRANTED, ConsentState.WITHDRAWN)


def _hold_bad_dates(
    values: list[str],
    parsed: Mapping[str, datetime | None],
    blanks: set[str],
    consent: list[ConsentState],
    problems: dict[int, str],
    date_problems: dict[int, str],
) -> None:
    """The consent date is part of the proof: a row whose consent would be recorded with a
    date that is not one, or lies in the future, is held back rather than given another
    date; one with no date in the column is recorded on the day of the import, and the dry
    run says so."""
    tomorrow = datetime.now() + timedelta(days=1)
    wrong = {
        value: (f"{value!r} is not a date" if when is None else f"{value} is in the future")
        for value, when in parsed.items()
        if when is None or when > tomorrow
    }
    if not wrong and not blanks:
        return  # the usual column: every date read, and none in the future
    flagged = wrong.keys() | blanks
    for index in compress(count(), map(flagged.__contains__, values)):  # (picked in C)
        value = values[index]
        if consent[index] not in _RECORDED or index in problems:
            continue
        if value in wrong:
            problems[index] = (
                f"The consent date {wrong[value]}: fix it in the file and import again."
            )
        elif not value.strip():
            date_problems[index] = "No consent date here: the day of the import is recorded."


def _clean(
    table: Table,
    mapping: ColumnMapping,
    spec: ConsentSpec,
    org_domains: tuple[str, ...],
    edits: Mapping[tuple[int, str], str],
) -> CleanedImport:
    spec.check()
    email_header = require_email_column(table, mapping)

    def column(header: str) -> list[str]:
        values = table.column(header)
        changed = [(i, text) for (i, h), text in edits.items() if h == header]
        if changed:
            values = list(values)
            for i, text in changed:
                values[i] = text
        return values

    raw = column(email_header)
    addresses = normalise_column(raw)
    emails = addresses.emails
    keys = _keys(emails)
    problems = check_addresses(addresses)
    advisor = DomainAdvisor(org_domains)
    better = {
        domain: fix
        for domain in set(addresses.domains)
        if domain and "@" not in domain and (fix := advisor.suggest(domain))
    }
    suggestions: dict[int, str] = {}
    if better:
        for index in compress(count(), map(better.__contains__, addresses.domains)):
            if index not in problems and "@" in emails[index]:
                fix = better[addresses.domains[index]]
                suggestions[index] = f"{addresses.locals[index]}@{fix}"
    _hold_long_cells(table, mapping, problems)
    roles = role_addresses(addresses) - problems.keys()
    duplicates: dict[int, int] = {}
    # Each key's first row: later rows overwrite earlier ones, so go backwards.
    first_seen = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1), strict=True))
    if len(first_seen) < len(keys):
        # The rows whose key was first seen on another row, found in C.
        first_rows = list(map(first_seen.__getitem__, keys))
        duplicates = {
            index: first_rows[index]
            for index in compress(count(), map(ne, first_rows, count()))
            if keys[index]
        }

    n = len(emails)
    first_header = mapping.header_for(Role.FIRST_NAME)
    last_header = mapping.header_for(Role.LAST_NAME)
    full_header = mapping.header_for(Role.FULL_NAME)
    firsts = _text(column(first_header)) if first_header else [""] * n
    lasts = _text(column(last_header)) if last_header else [""] * n
    if full_header and not (first_header and last_header):
        for index, full in enumerate(column(full_header)):
            if full.strip():
                first, last = split_full_name(full)
                if not first_header:
                    firsts[index] = unicodedata.normalize("NFC", first)
                if not last_header:
                    lasts[index] = unicodedata.normalize("NFC", last)

    unrecognised: dict[str, int] = {}
    consent_header = mapping.header_for(Role.CONSENT)
    if spec.mode is ConsentMode.ALL_ROWS:
        consent = [ConsentState.GRANTED] * n
    elif spec.mode is ConsentMode.COLUMN and consent_header:
        values = column(consent_header)
        consent = spec.values.classify_column(values)
        for value, state in zip(values, consent, strict=True):
            if state is ConsentState.UNRECOGNISED:
                unrecognised[value.strip()] = unrecognised.get(value.strip(), 0) + 1
    else:
        consent = [ConsentState.NOT_GIVEN] * n

    consent_at: list[datetime | None] = [spec.given_at] * n
    date_problems: dict[int, str] = {}
    date_guess = None
    date_header = mapping.header_for(Role.CONSENT_DATE)
    if date_header:
        values = column(date_header)
        date_guess = guess_date_order(values)
        order = spec.date_order or date_guess.order or DateOrder.DMY
        # Each distinct value parsed once; empty cells keep the date the user gave.
        distinct = set(values)
        parsed = {value: parse_date(value, order) for value in distinct if value.strip()}
        if any(when is None for when in parsed.values()):
            for index, value in enumerate(values):
                if value in parsed and parsed[value] is None:
                    date_problems[index] = f"{value!r} is not a date."
        dated = {value: when for value, when in parsed.items() if when is not None}
        consent_at = list(map(dated.get, values, repeat(spec.given_at)))
        blanks = {value for value in distinct if not value.strip()}
        _hold_bad_dates(values, parsed, blanks, consent, problems, date_problems)

    return CleanedImport(
        table=table,
        mapping=mapping,
        spec=spec,
        emails=emails,
        keys=keys,
        first_names=firsts,
        last_names=lasts,
        consent=consent,
        consent_at=consent_at,
        problems=problems,
        suggestions=suggestions,
        role_addresses=roles,
        duplicates=duplicates,
        unrecognised_consent=unrecognised,
        date_problems=date_problems,
        date_order=date_guess,
        edits=dict(edits),
    )
