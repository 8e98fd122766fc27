"""Carrying out a dry run: one transaction that adds and updates contacts and records consent.

    plan = plan_for_workspace(workspace, cleaned)   # plan_import over workspace_lookup(con)...
    result = commit_import(workspace, cleaned, plan, mapping, spec, actor=current_user())

Everything an import writes happens inside one workspace transaction: the `import_batches`
row, the `activity` entry, the new contacts, the updates (each contact's row as it was is kept
in `activity_changes` first, for undo), the property types and a consent-ledger record, with
its provenance, for every granted or withdrawn consent. Memberships are never touched, so an
unsubscribed person stays unsubscribed. Cancelling, or any error, before COMMIT leaves the
workspace exactly as it was.

Big imports take a bulk path inside the same transaction: the per-row triggers that keep the
contact summaries, the search index and the contact counter are dropped, the rows go in
with their summaries already worked out, the counter is brought up to date with one
statement, and the triggers are created again from their stored SQL. An import that at
least doubles the table drops the address key's unique index too, inserts in file order
(reading the columns in order) and builds the index once before it commits (a duplicate
is then refused as it would have been on insert); a smaller one inserts in address order,
so the index is written at its end rather than all over. DDL is
transactional in SQLite, so a cancel or a crash leaves the triggers as they were. The
references it writes are its own (each record's contact was inserted just before it), so
foreign keys are not looked up, and the CHECKs of values it made itself are not run.
Contacts go in 64 to an INSERT; a chunk's consent records and journal rows are then made
from the contacts' summary columns by set-based statements that run on a helper thread
while the next chunk is built (SQLite steps without the GIL). The search index, and the
sort indexes when the import at least doubles the table, catch up after the commit in the
background (`mjdesk.core.indexing`); until then searches read the new rows themselves.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import chain, repeat
from json.encoder import encode_basestring
from operator import and_, attrgetter, is_, is_not, itemgetter, lshift, not_, or_

from mjdesk.core.clock import current_user, now_iso, to_iso
from mjdesk.core.importing.cleaning import CleanedImport
from mjdesk.core.importing.consent_values import ConsentMode, ConsentSpec, ConsentState
from mjdesk.core.importing.mapping import ColumnMapping, Role
from mjdesk.core.importing.plan import (
    ExistingContact,
    Lookup,
    Outcome,
    Plan,
    never_erased,
    no_contacts,
    plan_import,
)
from mjdesk.core.importing.table import SourceInfo, collector_paused
from mjdesk.core.indexing import defer_indexes, defer_search, drop_own_indexes
from mjdesk.core.schema import (
    CONSENT_SUMMARY_ON_DELETE,
    CONSENT_SUMMARY_ON_INSERT,
    CONTACTS_COUNT_ON_DELETE,
    CONTACTS_COUNT_ON_INSERT,
    CONTACTS_SEARCH_ON_DELETE,
    CONTACTS_SEARCH_ON_INSERT,
)
from mjdesk.core.tombstones import address_hash
from mjdesk.core.work import CancelCheck, CancelToken, Progress, UserError
from mjdesk.core.workspace import Workspace

BULK_ROWS = 20_000
"""From this many new contacts on, the commit takes the bulk path (see the module notes)."""
CHUNK = 20_000
"""Rows written at a time, between progress reports and cancel checks. A bulk chunk's
consent records are written while the next chunk is built, so all but the last chunk's
are out of the way (measured: 20,000 beats 50,000 and 10,000 on 100,000 rows)."""
ROLE_ADDRESS_FLAG = "role address"

#: the triggers the bulk path replaces by set-based statements, per table it writes
INSERT_TRIGGERS = (CONTACTS_SEARCH_ON_INSERT, CONTACTS_COUNT_ON_INSERT)
LEDGER_INSERT_TRIGGERS = (CONSENT_SUMMARY_ON_INSERT,)
DELETE_TRIGGERS = (CONTACTS_SEARCH_ON_DELETE, CONTACTS_COUNT_ON_DELETE)
LEDGER_DELETE_TRIGGERS = (CONSENT_SUMMARY_ON_DELETE,)

#: a contact's row as undo needs it: the journal's fields plus the exact stored text
BEFORE_JSON = (
    "json_object('email', email, 'first_name', first_name, 'last_name', last_name, "
    "'properties', json(properties), 'flags', flags, 'properties_text', properties, "
    "'updated_at', updated_at)"
)


class CommitError(UserError):
    """An import (or its undo) that cannot be carried out; ``user_message`` says why."""


class StalePlanError(CommitError):
    """The workspace changed between the dry run and the commit: run the dry run again."""


@dataclass(frozen=True)
class ImportResult:
    """What a committed import did."""

    batch_id: int
    activity_id: int
    file_name: str
    sheet: str | None
    added: int
    updated: int
    consent_records: int
    counts: Mapping[str, int]
    """Rows per outcome (`Outcome.value` -> rows), as the dry run decided."""

    @property
    def summary(self) -> str:
        return f"{self.added:,} new, {self.updated:,} updated"


# -- the workspace as the dry run sees it --------------------------------------------------


def _naive(stored: str | None) -> datetime | None:
    # Dates read from files are naive (UTC by convention); the plan compares them to these.
    if not stored:
        return None
    return datetime.strptime(stored, "%Y-%m-%dT%H:%M:%SZ")


def _text_properties(text: str) -> dict[str, str]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(k): v if isinstance(v, str) else json.dumps(v) for k, v in data.items() if v is not None
    }


def workspace_lookup(con: sqlite3.Connection) -> Lookup:
    """A `plan_import` lookup over a workspace connection (reader or writer)."""
    empty = con.execute("SELECT value FROM counters WHERE name = 'contacts'").fetchone()
    if empty is not None and int(empty[0]) == 0:
        return no_contacts

    def lookup(keys: Sequence[str]) -> Mapping[str, ExistingContact]:
        marks = ",".join("?" * len(keys))
        rows = con.execute(
            "SELECT email_key, first_name, last_name, properties, consent_status, consent_at "
            f"FROM contacts WHERE email_key IN ({marks})",
            tuple(keys),
        )
        return {
            key: ExistingContact(
                key, first, last, _text_properties(props), status, _naive(consent_at)
            )
            for key, first, last, props, status, consent_at in rows
        }

    return lookup


def workspace_is_erased(con: sqlite3.Connection) -> Callable[[str], bool]:
    """A `plan_import` erased-address check: the workspace's tombstones, read once."""
    hashes = {row[0] for row in con.execute("SELECT address_hash FROM tombstones")}
    if not hashes:
        return never_erased
    row = con.execute("SELECT value FROM meta WHERE key = 'tombstone_key'").fetchone()
    secret = bytes.fromhex(row[0])
    return lambda key: address_hash(secret, key) in hashes


def plan_for_workspace(
    workspace: Workspace,
    cleaned: CleanedImport,
    *,
    confirmed_erased: frozenset[int] = frozenset(),
    dismissed_suggestions: frozenset[int] = frozenset(),
) -> Plan:
    """`plan_import` against ``workspace``, on one of its pooled readers."""
    with workspace.reading() as con:
        return plan_import(
            cleaned,
            lookup=workspace_lookup(con),
            is_erased=workspace_is_erased(con),
            confirmed_erased=confirmed_erased,
            dismissed_suggestions=dismissed_suggestions,
        )


# -- helpers -------------------------------------------------------------------------------


def literal(value: object) -> str:
    """An SQL literal for a constant repeated on every row (bound once, not per row)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool | int):
        return str(int(value))
    text = str(value)
    if "\x00" in text:
        raise ValueError("NUL in an SQL literal")
    return "'" + text.replace("'", "''") + "'"


@contextmanager
def triggers_suspended(con: sqlite3.Connection, names: Sequence[str]) -> Iterator[bool]:
    """Drop ``names`` for the block and create them again from their stored SQL.

    Yields False (and drops nothing) unless every one exists, so the caller falls back to
    the per-row path. Only inside a transaction: if the block raises, the rollback brings
    the triggers back.
    """
    marks = ",".join("?" * len(names))
    saved = con.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks})",
        tuple(names),
    ).fetchall()
    if len(saved) != len(names):
        yield False
        return
    for name, _sql in saved:
        con.execute(f'DROP TRIGGER "{name}"')
    yield True
    for _name, sql in saved:
        con.execute(sql)


class _Stop:
    """A cancel check usable both between chunks and from SQLite's progress handler."""

    def __init__(self, cancel: CancelCheck | CancelToken | None) -> None:
        if isinstance(cancel, CancelToken):
            cancel = cancel.check
        self.check_fn = cancel
        self.error: BaseException | None = None

    def check(self) -> None:
        if self.check_fn is not None:
            self.check_fn()

    def interrupted(self) -> int:
        try:
            self.check()
        except BaseException as exc:  # noqa: BLE001 - kept and raised after SQLite stops
            self.error = exc
            return 1
        return 0

    @contextmanager
    def watching(self, con: sqlite3.Connection) -> Iterator[None]:
        """Let a long statement stop when cancelled; the handler is gone before ROLLBACK."""
        if self.check_fn is None:
            yield
            return
        self.watch(con)
        try:
            yield
        except sqlite3.OperationalError as exc:
            if self.error is None:
                raise
            # An interrupted INSERT/UPDATE/DELETE may roll the whole transaction back at once;
            # Workspace.transaction only rolls back what is still open.
            raise self.error from exc
        finally:
            con.set_progress_handler(None, 0)

    def watch(self, con: sqlite3.Connection) -> None:
        if self.check_fn is not None:
            con.set_progress_handler(self.interrupted, 20_000)


class _Background:
    """Runs one statement at a time on a helper thread while this one goes on with its
    Python work: SQLite holds no GIL while it steps. The connection is left to the
    helper until `wait`; the cancel check (a progress handler, which would take the GIL
    every few microseconds) is off meanwhile, and comes back when the statement is done."""

    def __init__(self, con: sqlite3.Connection, stop: _Stop) -> None:
        self.con = con
        self.stop = stop
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def run(self, *statements: tuple[str, Sequence[object]]) -> None:
        """Start ``statements`` (SQL, parameters), one after the other, on the helper."""
        self.wait()
        self.con.set_progress_handler(None, 0)

        def work() -> None:
            try:
                for sql, params in statements:
                    self.con.execute(sql, params)
            except BaseException as exc:  # noqa: BLE001 - raised by wait, on the caller's thread
                self.error = exc

        self.thread = threading.Thread(target=work, name="import-statement", daemon=True)
        self.thread.start()

    def wait(self) -> None:
        """The connection back, once the statement has run; its error, if any, raised."""
        if self.thread is None:
            return
        self.thread.join()
        self.thread = None
        self.stop.watch(self.con)
        error, self.error = self.error, None
        if error is not None:
            raise error


def _chunks(items: Sequence[int]) -> Iterator[Sequence[int]]:
    size = CHUNK  # read at call time, so tests can make it small
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _IsoCache(dict[datetime | None, str]):
    """ISO text of consent dates; a file holds few distinct ones, strftime is slow."""

    def __init__(self, default: str) -> None:
        super().__init__()
        self.default = default

    def __missing__(self, when: datetime | None) -> str:
        text = self.default if when is None else to_iso(when)
        self[when] = text
        return text


# -- the commit ----------------------------------------------------------------------------


@dataclass
class _Context:
    """Constants of one commit."""

    cleaned: CleanedImport
    plan: Plan
    mapping: ColumnMapping
    spec: ConsentSpec
    source: SourceInfo
    actor: str
    now: str
    batch_id: int = 0
    activity_id: int = 0

    def wording(self, index: int) -> str | None:
        if self.spec.wording.strip():
            return self.spec.wording.strip()
        header = self.mapping.header_for(Role.CONSENT)
        if header is None:
            return None
        value = self.cleaned.table.column(header)[index].strip()
        return f"{header}: {value}" if value else None


def commit_import(
    workspace: Workspace,
    cleaned: CleanedImport,
    plan: Plan,
    mapping: ColumnMapping | None = None,
    spec: ConsentSpec | None = None,
    *,
    source: SourceInfo | None = None,
    actor: str | None = None,
    progress: Progress | None = None,
    cancel: CancelCheck | CancelToken | None = None,
    bulk: bool | None = None,
) -> ImportResult:
    """Carry out ``plan`` (made from ``cleaned``) in one transaction; see the module notes.

    ``mapping`` and ``spec`` are the ones ``cleaned`` was made with (the default), recorded in
    the import batch; ``source`` (file name, SHA-256, sheet) defaults to the table's.
    ``cancel`` is a `CancelToken` or a callable that raises to stop: it is checked between
    chunks and during long statements, and the workspace is then left untouched (the
    exception, e.g. `Cancelled`, propagates). ``bulk`` forces or forbids the bulk path
    (default: from `BULK_ROWS` new contacts on). Raises `StalePlanError` when the
    workspace changed since the dry run (a new address now exists, an updated one is gone).
    """
    if plan.cleaned is not cleaned:
        raise ValueError("the plan was made from another cleaned import")
    ctx = _Context(
        cleaned=cleaned,
        plan=plan,
        mapping=mapping or cleaned.mapping,
        spec=spec or cleaned.spec,
        source=source or cleaned.table.source,
        actor=actor or current_user(),
        now=now_iso(),
    )
    stop = _Stop(cancel)
    new_rows = plan.indexes_with(Outcome.NEW)
    updates = plan.indexes_with(Outcome.UPDATE)
    total = len(new_rows) + len(updates)
    use_bulk = len(new_rows) >= BULK_ROWS if bulk is None else bulk
    stop.check()
    with (
        collector_paused(),  # a million rows make a million tuples, and no cycles
        workspace.bulk_writing() if use_bulk else nullcontext(),
        workspace.transaction() as con,
        stop.watching(con),
    ):
        _start(con, ctx, len(new_rows), len(updates))
        ledger_mark = con.execute("SELECT coalesce(max(id), 0) FROM consent_ledger").fetchone()[0]
        new_types = _property_types(con, ctx)
        _check_erased(con, ctx, new_rows)
        # Updates first: their consent records need the ledger's indexes, which a big
        # import of new contacts then drops (to build them once, after the commit).
        updated, consents = _apply_updates(con, ctx, updates, stop, progress, total, 0)
        after_updates = (
            None if progress is None else lambda done, whole: progress(updated + done, whole)
        )
        added, more = _add_new(
            con, ctx, new_rows, use_bulk, stop, after_updates, total, ledger_mark
        )
        consents += more
        counts = {o.value: plan.counts.get(o, 0) for o in Outcome}
        result = ImportResult(
            batch_id=ctx.batch_id,
            activity_id=ctx.activity_id,
            file_name=ctx.source.file_name,
            sheet=ctx.source.sheet,
            added=added,
            updated=updated,
            consent_records=consents,
            counts=counts,
        )
        _finish(con, ctx, result, ledger_mark, new_types)
        stop.check()  # the last moment a cancel can still leave nothing behind
    if progress is not None:
        progress(total, total)
    return result


def _mapping_json(ctx: _Context) -> str:
    spec = ctx.spec
    return json.dumps(
        {
            "columns": json.loads(ctx.mapping.to_json()),
            "header_row": ctx.source.header_row,
            "encoding": ctx.source.encoding,
            "delimiter": ctx.source.delimiter,
            "consent": {
                "mode": spec.mode.value,
                "wording": spec.wording,
                "source": spec.source,
                "given_at": None if spec.given_at is None else to_iso(spec.given_at),
                "lawful_basis": spec.lawful_basis,
            },
        },
        ensure_ascii=False,
    )


def _start(con: sqlite3.Connection, ctx: _Context, new: int, updates: int) -> None:
    source = ctx.source
    where = source.file_name + (f" (sheet {source.sheet})" if source.sheet else "")
    cursor = con.execute(
        "INSERT INTO activity (at, actor, action, summary, count, details) "
        "VALUES (?, ?, 'import', ?, ?, '{}')",
        (ctx.now, ctx.actor, f"Import of {where}: {new:,} new, {updates:,} updated", new + updates),
    )
    ctx.activity_id = int(cursor.lastrowid or 0)
    cursor = con.execute(
        "INSERT INTO import_batches (activity_id, file_name, file_sha256, sheet, mapping, "
        "counts, imported_by, imported_at) VALUES (?, ?, ?, ?, ?, '{}', ?, ?)",
        (
            ctx.activity_id,
            source.file_name,
            source.sha256,
            source.sheet,
            _mapping_json(ctx),
            ctx.actor,
            ctx.now,
        ),
    )
    ctx.batch_id = int(cursor.lastrowid or 0)


def _finish(
    con: sqlite3.Connection,
    ctx: _Context,
    result: ImportResult,
    ledger_mark: int,
    new_types: list[str],
) -> None:
    counts = {**result.counts, "added": result.added, "updated": result.updated}
    counts["consent_records"] = result.consent_records
    con.execute(
        "UPDATE import_batches SET counts = ? WHERE id = ?", (json.dumps(counts), ctx.batch_id)
    )
    details = {
        "batch_id": ctx.batch_id,
        "file_name": ctx.source.file_name,
        "file_sha256": ctx.source.sha256,
        "sheet": ctx.source.sheet,
        "added": result.added,
        "updated": result.updated,
        "consent_records": result.consent_records,
        "ledger_mark": ledger_mark,
        "new_property_types": new_types,
    }
    con.execute(
        "UPDATE activity SET details = ?, count = ? WHERE id = ?",
        (json.dumps(details, ensure_ascii=False), result.added + result.updated, ctx.activity_id),
    )


def _property_types(con: sqlite3.Connection, ctx: _Context) -> list[str]:
    """Give each property column its type unless the workspace already has one."""
    added = []
    for choice in ctx.mapping.properties():
        cursor = con.execute(
            "INSERT OR IGNORE INTO property_types (name, datatype) VALUES (?, ?)",
            (choice.property_name, choice.property_type.value),
        )
        if cursor.rowcount:
            added.append(choice.property_name)
    return added


def _check_erased(con: sqlite3.Connection, ctx: _Context, new_rows: Sequence[int]) -> None:
    """A second look at tombstones, at commit time: only confirmed, dated consent passes."""
    is_erased = workspace_is_erased(con)
    if is_erased is never_erased:
        return
    cleaned = ctx.cleaned
    for index in new_rows:
        if is_erased(cleaned.keys[index]) and not (
            cleaned.consent[index] is ConsentState.GRANTED and cleaned.consent_at[index] is not None
        ):
            raise StalePlanError(
                f"Row {cleaned.row_number(index)}: {cleaned.emails[index]} belongs to a person "
                "erased on request. Run the dry run again; they can only be added with a new, "
                "dated consent that you confirm."
            )


def _property_sql(ctx: _Context, target: str, first_param: int | None = None) -> str:
    """SQL merging the row's non-empty property values (bound in column order, NULL when
    empty) into ``target``; json_patch drops the NULLs, so an empty cell never blanks a
    stored value. ``first_param`` numbers the parameters (?N) from there on."""
    names = [choice.property_name for choice in ctx.mapping.properties()]
    if not names:
        return target
    marks = (
        ["?"] * len(names)
        if first_param is None
        else [f"?{first_param + n}" for n in range(len(names))]
    )
    pairs = ", ".join(f"{literal(name)}, {mark}" for name, mark in zip(names, marks, strict=True))
    return f"json_patch({target}, json_object({pairs}))"


def _property_columns(ctx: _Context) -> list[list[str]]:
    table = ctx.cleaned.table
    return [table.column(choice.header) for choice in ctx.mapping.properties()]


def _property_value(value: str) -> str | None:
    # As CleanedImport.properties reads them: trimmed, NFC, empty cells left out.
    value = value.strip()
    if not value:
        return None
    if not value.isascii():
        value = unicodedata.normalize("NFC", value)
    return value


def _property_values(column: Sequence[str], chunk: Sequence[int]) -> list[str | None]:
    """`_property_value` of the chunk's cells, with the usual all-ASCII case in one pass."""
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
    left out (two columns with one name both kept, as SQLite does). Made in Python, a third
    faster than SQLite's JSON functions; text is escaped by the json module's C encoder."""

    def __init__(self, ctx: _Context) -> None:
        # trimmed once, in file order (chunks then pick their rows from these)
        self.columns = [list(map(str.strip, column)) for column in _property_columns(ctx)]
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


def _add_new(
    con: sqlite3.Connection,
    ctx: _Context,
    rows: Sequence[int],
    bulk: bool,
    stop: _Stop,
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


BULK_CACHE_KIB = 262_144
"""Page cache of the writer during a bulk commit into indexes it keeps (the default 2 MB
thrashes on big B-trees)."""
APPEND_CACHE_KIB = 16_384
"""Page cache of the writer during a bulk commit that only appends (measured on a million
rows in a new process: a tenth faster than `BULK_CACHE_KIB`, whose pages are each new
memory to the system; SQLite also sorts the address keys faster with it)."""


@contextmanager
def bulk_cache(con: sqlite3.Connection, kib: int = BULK_CACHE_KIB) -> Iterator[None]:
    """A page cache of ``kib`` for the block, then the connection's own size again."""
    before = int(con.execute("PRAGMA cache_size").fetchone()[0])
    con.execute(f"PRAGMA cache_size = -{kib}")
    try:
        yield
    finally:
        con.execute(f"PRAGMA cache_size = {before}")


@contextmanager
def checks_trusted(con: sqlite3.Connection) -> Iterator[None]:
    """No CHECK constraints for the block: the bulk path writes values it made itself (JSON
    from json_object, statuses from its own table), and checking them costs a third of
    the insert. NOT NULL and UNIQUE still hold."""
    con.execute("PRAGMA ignore_check_constraints = ON")
    try:
        yield
    finally:
        con.execute("PRAGMA ignore_check_constraints = OFF")


def _already_there() -> StalePlanError:
    return StalePlanError(
        "Some addresses this import would add are already in the workspace (it "
        "changed since the dry run). Run the dry run again."
    )


@contextmanager
def indexes_suspended(
    con: sqlite3.Connection, table: str | None, *, unique: bool | None = None
) -> Iterator[None]:
    """Drop ``table``'s own indexes (not those of its constraints; only the unique ones or
    only the others as ``unique`` says) for the block and create them again from their
    stored SQL afterwards; nothing when ``table`` is None."""
    if table is None:
        yield
        return
    saved = drop_own_indexes(con, table, unique=unique)
    yield
    for _name, sql in saved:
        con.execute(sql)


def _next_contact_id(con: sqlite3.Connection) -> int:
    return int(con.execute("SELECT coalesce(max(id), 0) + 1 FROM contacts").fetchone()[0])


ROWS_PER_STATEMENT = 64
"""Rows one INSERT carries (its VALUES list repeated): the per-statement work of SQLite and
of the sqlite3 module is then paid once per 64 rows (measured best between 50 and 100;
from 500 on, longer statements cost more than they save)."""


def _row_values(fields: Sequence[Iterable[object]]) -> list[object]:
    """The columns ``fields`` as one list, row after row."""
    return list(chain.from_iterable(zip(*fields, strict=True)))


def _insert_rows(con: sqlite3.Connection, sql: str, width: int, values: list[object]) -> None:
    """``sql`` (an INSERT ... VALUES (...) with numbered parameters ?1..?N, N = ``width``)
    for every row of ``values`` (`_row_values`), `ROWS_PER_STATEMENT` rows at a time."""
    rows = len(values) // width
    whole = rows - rows % ROWS_PER_STATEMENT
    step = ROWS_PER_STATEMENT * width
    if whole:
        con.executemany(
            _repeated(sql, width, ROWS_PER_STATEMENT),
            (values[start : start + step] for start in range(0, whole * width, step)),
        )
    if rows > whole:
        con.execute(_repeated(sql, width, rows - whole), values[whole * width :])


_PARAMETER_OR_TEXT = re.compile(r"'(?:[^']|'')*'|\?(\d+)")


@lru_cache(maxsize=16)
def _repeated(sql: str, width: int, rows: int) -> str:
    """``sql``, whose VALUES (...) ends it, with that list once per row, each row's
    parameters numbered on (?1..?N, ?N+1..?2N, ...); text in quotes is left as it is."""
    head, _, row = sql.partition(" VALUES ")

    def renumbered(base: int) -> str:
        def one(match: re.Match[str]) -> str:
            return match[0] if match[1] is None else f"?{int(match[1]) + base}"

        return _PARAMETER_OR_TEXT.sub(one, row)

    return f"{head} VALUES " + ", ".join(renumbered(n * width) for n in range(rows))


LEDGER_COLUMNS = (
    "contact_id, status, given_at, source_row, wording, source_file, source_sha256, "
    "source_sheet, lawful_basis, recorded_by, recorded_at, batch_id"
)
_CODE_BITS = 6
_WORDING_CODES = 1 << _CODE_BITS
"""Distinct wordings up to which records are made from the contacts' summaries."""


def _ledger_from_summaries(provenance: str, codes: Mapping[str | None, int]) -> str:
    """SQL adding the consent records of a chunk of new contacts from their summary
    columns. ?1 is a JSON array with one number per contact in id order (the row number,
    shifted left by `_CODE_BITS`, plus the code of its wording in ``codes``); ?2 is the
    id of the chunk's first contact. Contacts whose summary says 'none' get no record."""
    if len(codes) == 1:
        wording = literal(next(iter(codes)))
    else:
        cases = " ".join(f"WHEN {code} THEN {literal(text)}" for text, code in codes.items())
        wording = f"CASE r.value & {(1 << _CODE_BITS) - 1} {cases} END"
    return (
        f"INSERT INTO consent_ledger ({LEDGER_COLUMNS}) "
        f"SELECT c.id, c.consent_status, c.consent_at, r.value >> {_CODE_BITS}, {wording}, "
        f"{provenance} FROM json_each(?1) AS r CROSS JOIN contacts AS c ON c.id = ?2 + r.key "
        "WHERE c.consent_status <> 'none'"
    )


def _insert_new(
    con: sqlite3.Connection,
    ctx: _Context,
    rows: Sequence[int],
    summaries: bool,
    stop: _Stop,
    progress: Progress | None,
    total: int,
) -> tuple[int, int]:
    """Insert contacts (ids given in order after the current last one), their ledger records
    and their journal rows. With ``summaries`` the contacts' consent summary columns are
    written here, as the (suspended) ledger trigger would have written them."""
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
    # (each bound value costs about as much as a tenth of the row's insert). The id is
    # left to SQLite: one more than the largest, the one `_next_contact_id` foresees.
    def contact_sql(all_granted: bool) -> str:
        """The INSERT for a chunk; ``all_granted``: every row records a grant (so the
        summaries are the same on every row but for the date)."""
        bound = 4  # key, address, first and last name
        marks = [f"?{n}" for n in range(1, bound + 1)]
        for varies, constant in ((bool(roles), "''"), (bool(properties.columns), "'{}'")):
            bound += varies
            marks.append(f"?{bound}" if varies else constant)
        marks += [now, now]
        if summaries and all_granted:
            marks += ["'granted'", f"?{bound + 1}", literal(source.file_name)]
        elif summaries:  # the status (NULL: none) and its date, the summaries made from them
            status, given = f"?{bound + 1}", f"?{bound + 2}"
            marks += [
                f"coalesce({status}, 'none')",
                given,
                f"CASE WHEN {status} IS NULL THEN '' ELSE {literal(source.file_name)} END",
            ]
        summary_columns = ", consent_status, consent_at, consent_source" if summaries else ""
        return (
            "INSERT INTO contacts (email_key, email, first_name, last_name, flags, "
            f"properties, created_at, updated_at{summary_columns}) VALUES ({', '.join(marks)})"
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
    iso = _IsoCache(ctx.now)
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

    def insert_chunk(chunk: Sequence[int], first_id: int, background: _Background) -> int:
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
        if summaries:
            fields += [givens] if all_granted else [statuses, givens]
        values = _row_values(fields)
        cells = wording_cells(chunk)
        chunk_numbers = list(map(numbers.__getitem__, chunk))
        background.wait()  # the previous chunk's records are in
        try:
            _insert_rows(con, contact_sql(all_granted), len(fields), values)
        except sqlite3.IntegrityError as exc:
            raise _already_there() from exc
        last = con.execute("SELECT last_insert_rowid()").fetchone()[0]
        if last != ids[-1]:  # never: the records below name the contacts by these ids
            raise CommitError(f"The new contacts were numbered {last}, not {ids[-1]}.")
        journal = (journal_sql, (ids[0], ids[-1]))
        if not summaries:
            con.execute(*journal)
        elif len(codes) <= _WORDING_CODES:
            # The records of new contacts repeat what their summaries now say: made in
            # one statement from them, with each row number and wording (as a code).
            shifted = map(lshift, chunk_numbers, repeat(_CODE_BITS))
            coded = list(
                map(or_, shifted, map(cell_codes.__getitem__, cells)) if cells else shifted
            )
            sql = _ledger_from_summaries(provenance, codes)
            background.run((sql, (json.dumps(coded), ids[0])), journal)
            return len(statuses) - statuses.count(None)
        ledger = list(
            filter(
                _HAS_STATUS,
                zip(ids, statuses, givens, chunk_numbers, *wording_column(cells), strict=True),
            )
        )
        con.executemany(ledger_sql, ledger)
        if summaries:
            background.run(journal)
        return len(ledger)

    # Whether every new row records a grant (the usual import), found once in file order.
    new = list(map(is_, plan.outcomes, repeat(Outcome.NEW)))
    every_grant = not any(map(and_, new, map(is_not, consent, repeat(granted)))) and not any(
        map(and_, new, map(not_, record))
    )
    background = _Background(con, stop)
    try:
        for chunk in _chunks(rows):
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


def _apply_updates(
    con: sqlite3.Connection,
    ctx: _Context,
    rows: Sequence[int],
    stop: _Stop,
    progress: Progress | None,
    total: int,
    done: int,
) -> tuple[int, int]:
    """Update existing contacts (their rows kept for undo first); returns (contacts, records).

    Names change only where the file has one, properties are merged, flags and memberships
    are left alone; a consent record is added where the plan says so.
    """
    if not rows:
        return 0, 0
    cleaned, plan, spec, source = ctx.cleaned, ctx.plan, ctx.spec, ctx.source
    now = literal(ctx.now)
    keep_sql = (
        f"INSERT OR IGNORE INTO activity_changes (activity_id, contact_id, before) "
        f"SELECT {ctx.activity_id}, id, {BEFORE_JSON} FROM contacts WHERE email_key = ?"
    )
    update_sql = (
        "UPDATE contacts SET first_name = CASE WHEN ?1 = '' THEN first_name ELSE ?1 END, "
        "last_name = CASE WHEN ?2 = '' THEN last_name ELSE ?2 END, "
        f"properties = {_property_sql(ctx, 'properties', 4)}, updated_at = {now} "
        "WHERE email_key = ?3"
    )
    ledger_sql = (
        "INSERT INTO consent_ledger (contact_id, status, given_at, source_row, wording, "
        "source_file, source_sha256, source_sheet, lawful_basis, recorded_by, recorded_at, "
        f"batch_id) SELECT id, ?, ?, ?, ?, {literal(source.file_name)}, "
        f"{literal(source.sha256)}, {literal(source.sheet)}, {literal(spec.lawful_basis)}, "
        f"{literal(ctx.actor)}, {now}, {ctx.batch_id} FROM contacts WHERE email_key = ?"
    )
    keys, firsts, lasts = cleaned.keys, cleaned.first_names, cleaned.last_names
    columns = _property_columns(ctx)
    iso = _IsoCache(ctx.now)
    status_of = {ConsentState.GRANTED: "granted", ConsentState.WITHDRAWN: "withdrawn"}
    updated = records = 0
    for chunk in _chunks(rows):
        stop.check()
        kept = con.executemany(keep_sql, ((keys[i],) for i in chunk)).rowcount
        if kept != len(chunk):
            raise StalePlanError(
                "Some contacts this import would update are no longer in the workspace. "
                "Run the dry run again."
            )
        con.executemany(
            update_sql,
            (
                (firsts[i], lasts[i], keys[i], *(_property_value(c[i]) for c in columns))
                for i in chunk
            ),
        )
        ledger = [
            (
                status_of[cleaned.consent[i]],
                iso[cleaned.consent_at[i]],
                cleaned.row_number(i),
                ctx.wording(i),
                keys[i],
            )
            for i in chunk
            if plan.record_consent[i] and cleaned.consent[i] in status_of
        ]
        con.executemany(ledger_sql, ledger)
        updated += len(chunk)
        records += len(ledger)
        if progress is not None:
            progress(done + updated, total)
    return updated, records
