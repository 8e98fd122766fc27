"""The new contacts of an import: row by row, or on the bulk path (triggers suspended, the
summaries, consent records and journal rows written set-based, properties JSON made here)."""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from itertools import repeat
from json.encoder import encode_basestring
from operator import and_, attrgetter, is_, is_not, itemgetter, lshift, not_, or_

from mjdesk.core.bulk import (
    APPEND_CACHE_KIB,
    BULK_CACHE_KIB,
    INSERT_TRIGGERS,
    LEDGER_INSERT_TRIGGERS,
    Background,
    Stop,
    bulk_cache,
    checks_trusted,
    chunks,
    indexes_suspended,
    insert_rows,
    literal,
    row_values,
    triggers_suspended,
)
from mjdesk.core.importing.commit_context import CommitContext, IsoCache, property_columns
from mjdesk.core.importing.consent_values import ConsentMode, ConsentState
from mjdesk.core.importing.errors import CommitError, StalePlanError
from mjdesk.core.importing.mapping import Role
from mjdesk.core.importing.plan import Outcome
from mjdesk.core.indexing import defer_indexes, defer_search
from mjdesk.core.work import Progress

ROLE_ADDRESS_FLAG = "role address"

LEDGER_COLUMNS = (
    "contact_id, status, given_at, source_row, wording, source_file, source_sha256, "
    "source_sheet, lawful_basis, recorded_by, recorded_at, batch_id"
)
_CODE_BITS = 6
_WORDING_CODES = 1 << _CODE_BITS
"""Distinct wordings up to which records are made from the contacts' summaries."""


def add_new(
    con: sqlite3.Connection,
    ctx: CommitContext,
    rows: Sequence[int],
    bulk: bool,
    stop: Stop,
    progress: Progress | None,
    total: int,
    ledger_size: int,
) -> tuple[int, int]:
    """Insert the NEW rows with their consent records; returns (contacts, records)."""
    if not rows:
        return 0, 0
    if not bulk:
        return _insert_new(con, ctx, rows, False, stop, progress, total)
    existing = int(con.execute("SELECT value FROM counters WHERE name = 'contacts'").fetchone()[0])
    # An import that at least doubles a table: building each of its indexes once, in
    # order, beats inserting into it; the builds happen after the commit, but for the
    # address key's unique index, built again before it (indexes_suspended). What is
    # left to write then goes at the ends of its B-trees, which needs no big cache.
    doubles = len(rows) >= existing
    with (
        triggers_suspended(con, INSERT_TRIGGERS + LEDGER_INSERT_TRIGGERS) as suspended,
        bulk_cache(con, APPEND_CACHE_KIB if doubles else BULK_CACHE_KIB),
        checks_trusted(con),
    ):
        if not suspended:
            return _insert_new(con, ctx, rows, False, stop, progress, total)
        if doubles:
            defer_indexes(con, "contacts")
            defer_indexes(con, "consent_summaries")
        if len(rows) >= ledger_size:
            defer_indexes(con, "consent_ledger")
        first_id = _next_contact_id(con)
        try:
            with indexes_suspended(con, "contacts" if doubles else None, unique=True):
                ordered = rows if doubles else sorted(rows, key=ctx.cleaned.keys.__getitem__)
                added, records = _insert_new(con, ctx, ordered, True, stop, progress, total)
        except sqlite3.IntegrityError as exc:
            raise _already_there() from exc
        # What the dropped triggers would have done, set-based (each chunk's journal rows
        # came with its records); the search index catches up after the commit
        # (mjdesk.core.indexing).
        defer_search(con, first_id, first_id + added - 1)
        con.execute("UPDATE counters SET value = value + ? WHERE name = 'contacts'", (added,))
    return added, records


def _already_there() -> StalePlanError:
    return StalePlanError(
        "Some addresses this import would add are already in the workspace (it "
        "changed since the dry run). Run the dry run again."
    )


def _next_contact_id(con: sqlite3.Connection) -> int:
    return int(con.execute("SELECT coalesce(max(id), 0) + 1 FROM contacts").fetchone()[0])


def _summaries_sql(all_granted: bool, source_file: str) -> str:
    """SQL adding the consent summaries of a chunk of new contacts (what the suspended
    triggers would have made). ?1 is a JSON array with one item per contact in id order:
    with ``all_granted`` the date of its grant, else [its status or null, its date]; ?2 is
    the id of the chunk's first contact."""
    source = literal(source_file)
    if all_granted:
        values = f"'granted', r.value, {source}"
    else:
        status = "json_extract(r.value, '$[0]')"
        values = (
            f"coalesce({status}, 'none'), json_extract(r.value, '$[1]'), "
            f"CASE WHEN {status} IS NULL THEN '' ELSE {source} END"
        )
    return (
        "INSERT INTO consent_summaries (contact_id, consent_status, consent_at, consent_source) "
        f"SELECT ?2 + r.key, {values} FROM json_each(?1) AS r"
    )


def _ledger_from_summaries(provenance: str, codes: Mapping[str | None, int]) -> str:
    """SQL adding the consent records of a chunk of new contacts from their summaries
    (`_summaries_sql`). ?1 is a JSON array with one number per contact in id order (the row
    number, shifted left by `_CODE_BITS`, plus the code of its wording in ``codes``); ?2 is
    the id of the chunk's first contact. Contacts whose summary says 'none' get no record."""
    if len(codes) == 1:
        wording = literal(next(iter(codes)))
    else:
        cases = " ".join(f"WHEN {code} THEN {literal(text)}" for text, code in codes.items())
        wording = f"CASE r.value & {(1 << _CODE_BITS) - 1} {cases} END"
    return (
        f"INSERT INTO consent_ledger ({LEDGER_COLUMNS}) "
        f"SELECT s.contact_id, s.consent_status, s.consent_at, r.value >> {_CODE_BITS}, "
        f"{wording}, {provenance} FROM json_each(?1) AS r "
        "CROSS JOIN consent_summaries AS s ON s.contact_id = ?2 + r.key "
        "WHERE s.consent_status <> 'none'"
    )


def _insert_new(
    con: sqlite3.Connection,
    ctx: CommitContext,
    rows: Sequence[int],
    summaries: bool,
    stop: Stop,
    progress: Progress | None,
    total: int,
) -> tuple[int, int]:
    """Insert contacts (ids given in order after the current last one), their ledger records
    and their journal rows. With ``summaries`` the contacts' consent summaries are written
    here, as the (suspended) triggers would have written them."""
    cleaned, plan, spec, source = ctx.cleaned, ctx.plan, ctx.spec, ctx.source
    now = literal(ctx.now)
    roles = cleaned.role_addresses
    properties = _PropertiesJson(ctx)
    fixed_wording = spec.wording.strip() or None
    consent_header = ctx.mapping.header_for(Role.CONSENT)
    consent_cells = (
        cleaned.table.column(consent_header)
        if consent_header and spec.mode is ConsentMode.COLUMN and fixed_wording is None
        else None
    )

    # Values the same on every row are written into the statements, not bound per row
    # (each bound value has a cost of its own, a fair part of the row's insert). The id is
    # left to SQLite: one more than the largest, the one `_next_contact_id` foresees.
    bound = 4  # key, address, first and last name
    marks = [f"?{n}" for n in range(1, bound + 1)]
    for varies, constant in ((bool(roles), "''"), (bool(properties.columns), "'{}'")):
        bound += varies
        marks.append(f"?{bound}" if varies else constant)
    marks += [now, now]
    contact_sql = (
        "INSERT INTO contacts (email_key, email, first_name, last_name, flags, "
        f"properties, created_at, updated_at) VALUES ({', '.join(marks)})"
    )

    wording_mark = "?" if consent_cells is not None else literal(fixed_wording)
    provenance = (
        f"{literal(source.file_name)}, {literal(source.sha256)}, {literal(source.sheet)}, "
        f"{literal(spec.lawful_basis)}, {literal(ctx.actor)}, {now}, {ctx.batch_id}"
    )
    ledger_sql = (
        f"INSERT INTO consent_ledger ({LEDGER_COLUMNS}) "
        f"VALUES (?, ?, ?, ?, {wording_mark}, {provenance})"
    )
    # a chunk of new contacts is journalled in one statement
    journal_sql = (
        f"INSERT INTO activity_changes (activity_id, contact_id, before) "
        f"SELECT {ctx.activity_id}, id, NULL FROM contacts WHERE id BETWEEN ? AND ?"
    )
    emails, keys = cleaned.emails, cleaned.keys
    firsts, lasts = cleaned.first_names, cleaned.last_names
    consent, consent_at = cleaned.consent, cleaned.consent_at
    numbers = cleaned.table.row_numbers
    record = plan.record_consent
    iso = IsoCache(ctx.now)
    # by the state's value (a plain attribute; hashing an Enum member runs Python code)
    status_of = {ConsentState.GRANTED.value: "granted", ConsentState.WITHDRAWN.value: "withdrawn"}
    state_value = attrgetter("_value_")
    granted = ConsentState.GRANTED
    next_id = _next_contact_id(con)
    added = records = 0
    wordings: dict[str, str | None] = {}
    """the wording recorded for each consent cell (the column's name and its value)"""
    codes: dict[str | None, int] = {fixed_wording: 0} if consent_cells is None else {}
    """a number for each wording, for the records made in SQL"""
    cell_codes: dict[str, int] = {}

    def wording_column(cells: list[str] | None) -> list[list[str | None]]:
        """The wordings of ``cells`` as one more column of records (none: a constant)."""
        return [] if cells is None else [list(map(wordings.__getitem__, cells))]

    def wording_cells(chunk: Sequence[int]) -> list[str] | None:
        """The chunk's consent cells (None: one wording for all), their wordings known."""
        if consent_cells is None:
            return None
        cells = list(map(consent_cells.__getitem__, chunk))
        for cell in set(cells).difference(wordings):
            text = cell.strip()
            wording = wordings[cell] = f"{consent_header}: {text}" if text else None
            cell_codes[cell] = codes.setdefault(wording, len(codes))
        return cells

    def insert_chunk(chunk: Sequence[int], first_id: int, background: Background) -> int:
        """Insert one chunk of contacts; returns the consent records it adds. The records
        made from the summaries are left to ``background`` (the next chunk is built
        meanwhile); the caller waits for it before using the connection again."""
        # Column by column, then zipped into rows: map, zip and filter run in C.
        ids = range(first_id, first_id + len(chunk))
        whens = map(consent_at.__getitem__, chunk)
        if every_grant:
            all_granted = True
        else:
            states = list(map(consent.__getitem__, chunk))
            wanted = bytes(map(record.__getitem__, chunk))
            all_granted = states.count(granted) == len(states) and wanted.count(0) == 0
        if all_granted:
            # the usual new contacts: each with a consent to record
            statuses: list[str | None] = ["granted"] * len(chunk)
            givens: list[str | None] = list(map(iso.__getitem__, whens))
        else:
            statuses = [
                status_of.get(state) if want else None
                for state, want in zip(map(state_value, states), wanted, strict=True)
            ]
            givens = [
                iso[when] if status else None for when, status in zip(whens, statuses, strict=True)
            ]
        fields: list[Iterable[object]] = [
            map(keys.__getitem__, chunk),
            map(emails.__getitem__, chunk),
            map(firsts.__getitem__, chunk),
            map(lasts.__getitem__, chunk),
        ]
        if roles:
            fields.append([ROLE_ADDRESS_FLAG if i in roles else "" for i in chunk])
        if properties.columns:
            fields.append(properties.texts(chunk))
        values = row_values(fields)
        cells = wording_cells(chunk)
        chunk_numbers = list(map(numbers.__getitem__, chunk))
        background.wait()  # the previous chunk's records are in
        try:
            insert_rows(con, contact_sql, len(fields), values)
        except sqlite3.IntegrityError as exc:
            raise _already_there() from exc
        last = con.execute("SELECT last_insert_rowid()").fetchone()[0]
        if last != ids[-1]:  # never: the records below name the contacts by these ids
            raise CommitError(f"The new contacts were numbered {last}, not {ids[-1]}.")
        journal = (journal_sql, (ids[0], ids[-1]))
        if not summaries:
            con.execute(*journal)
            return add_records(ids, statuses, givens, chunk_numbers, cells)
        made = json.dumps(givens if all_granted else list(zip(statuses, givens, strict=True)))
        summary = (_summaries_sql(all_granted, source.file_name), (made, ids[0]))
        if len(codes) <= _WORDING_CODES:
            # The records of new contacts repeat what their summaries now say: made in
            # one statement from them, with each row number and wording (as a code).
            shifted = map(lshift, chunk_numbers, repeat(_CODE_BITS))
            coded = list(
                map(or_, shifted, map(cell_codes.__getitem__, cells)) if cells else shifted
            )
            sql = _ledger_from_summaries(provenance, codes)
            background.run(summary, (sql, (json.dumps(coded), ids[0])), journal)
            return len(statuses) - statuses.count(None)
        con.execute(*summary)
        records = add_records(ids, statuses, givens, chunk_numbers, cells)
        background.run(journal)
        return records

    def add_records(
        ids: range,
        statuses: list[str | None],
        givens: list[str | None],
        chunk_numbers: list[int],
        cells: list[str] | None,
    ) -> int:
        """Add the chunk's consent records row by row; returns how many."""
        ledger = list(
            filter(
                _HAS_STATUS,
                zip(ids, statuses, givens, chunk_numbers, *wording_column(cells), strict=True),
            )
        )
        con.executemany(ledger_sql, ledger)
        return len(ledger)

    # Whether every new row records a grant (the usual import), found once in file order.
    new = list(map(is_, plan.outcomes, repeat(Outcome.NEW)))
    every_grant = not any(map(and_, new, map(is_not, consent, repeat(granted)))) and not any(
        map(and_, new, map(not_, record))
    )
    background = Background(con, stop)
    try:
        for chunk in chunks(rows):
            stop.check()
            records += insert_chunk(chunk, next_id, background)
            next_id += len(chunk)
            added += len(chunk)
            if progress is not None:
                progress(added, total)
        background.wait()
    finally:
        with suppress(BaseException):  # the connection back; an error raised says more
            background.wait()
    return added, records


def _property_values(column: Sequence[str], chunk: Sequence[int]) -> list[str | None]:
    """`property_value` of the chunk's cells, with the usual all-ASCII case in one pass."""
    values = [cell.strip() or None for cell in map(column.__getitem__, chunk)]
    if "".join(v for v in values if v).isascii():
        return values
    return [v if v is None or v.isascii() else unicodedata.normalize("NFC", v) for v in values]


_HAS_STATUS = itemgetter(1)
_CONTROL = re.compile(r"[\x00-\x1f]")


def _plain_cells(cells: list[str]) -> bool:
    """Every cell filled, and nothing in them to escape or normalise (checked in C)."""
    if not all(cells):
        return False
    blob = "".join(cells)
    if '"' in blob or "\\" in blob or _CONTROL.search(blob) is not None:
        return False
    return blob.isascii() or unicodedata.is_normalized("NFC", blob)


class _PropertiesJson:
    """The ``properties`` JSON text of new contacts, byte for byte as the row-by-row SQL
    (json_patch over json_object) writes it: compact, members in column order, empty cells
    left out (two columns with one name both kept, as SQLite does). Made in Python, which
    is faster than SQLite's JSON functions; text is escaped by the json module's C encoder."""

    def __init__(self, ctx: CommitContext) -> None:
        # trimmed once, in file order (chunks then pick their rows from these)
        self.columns = [list(map(str.strip, column)) for column in property_columns(ctx)]
        self.keys = [encode_basestring(c.property_name) + ":" for c in ctx.mapping.properties()]
        # Whole columns that are plain (checked once, in file order) need no check per chunk.
        self.all_plain = bool(self.columns) and all(map(_plain_cells, self.columns))

    def texts(self, chunk: Sequence[int]) -> Sequence[str]:
        if not self.columns:
            return ["{}"] * len(chunk)
        plain = self._plain(chunk)
        if plain is not None:
            return plain
        members = [
            [None if v is None else key + encode_basestring(v) for v in _property_values(c, chunk)]
            for key, c in zip(self.keys, self.columns, strict=True)
        ]
        if len(members) == 1:
            return ["{}" if m is None else "{" + m + "}" for m in members[0]]
        return ["{" + ",".join(filter(None, row)) + "}" for row in zip(*members, strict=True)]

    def _plain(self, chunk: Sequence[int]) -> list[str] | None:
        """The usual case, joined in C: every cell filled, nothing to escape or normalise
        (checked column by column); None otherwise."""
        cells = [list(map(column.__getitem__, chunk)) for column in self.columns]
        if not self.all_plain and not all(map(_plain_cells, cells)):
            return None
        # '{"a":"' cell '","b":"' cell ... '"}': constant pieces between the columns
        pieces = ["{" + self.keys[0] + '"', *('",' + key + '"' for key in self.keys[1:])]
        parts: list[Iterable[str]] = []
        for piece, column in zip(pieces, cells, strict=True):
            parts += [repeat(piece), column]
        parts.append(repeat('"}'))
        return list(map("".join, zip(*parts, strict=False)))
