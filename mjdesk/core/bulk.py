"""Writing many rows fast in SQLite: triggers and indexes suspended for a block, a bigger
page cache, multi-row INSERTs, statements run beside Python work, cancel checks in both."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from itertools import chain

from mjdesk.core.indexing import defer_named, drop_own_indexes
from mjdesk.core.schema import (
    CONSENT_LATEST,
    CONSENT_ROW_ON_DELETE,
    CONSENT_ROW_ON_INSERT,
    CONSENT_SUMMARIES,
    CONSENT_SUMMARY_ON_DELETE,
    CONSENT_SUMMARY_ON_INSERT,
    CONTACTS_COUNT_ON_DELETE,
    CONTACTS_COUNT_ON_INSERT,
    CONTACTS_SEARCH_ON_DELETE,
    CONTACTS_SEARCH_ON_INSERT,
)
from mjdesk.core.work import CancelCheck, CancelToken

BULK_ROWS = 20_000
"""From this many contacts on, an import or its undo takes the bulk path: the triggers that
keep derived data are suspended and their work is done by set-based statements."""
CHUNK = 20_000
"""Rows written at a time, between progress reports and cancel checks. A bulk chunk's
set-based statements run while the next chunk is built (`Background`), so all but the last
chunk's are out of the way."""

#: the triggers a bulk write replaces by set-based statements, per table it writes
INSERT_TRIGGERS = (CONTACTS_SEARCH_ON_INSERT, CONTACTS_COUNT_ON_INSERT, CONSENT_ROW_ON_INSERT)
LEDGER_INSERT_TRIGGERS = (CONSENT_SUMMARY_ON_INSERT,)
DELETE_TRIGGERS = (CONTACTS_SEARCH_ON_DELETE, CONTACTS_COUNT_ON_DELETE, CONSENT_ROW_ON_DELETE)
LEDGER_DELETE_TRIGGERS = (CONSENT_SUMMARY_ON_DELETE,)


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


_CONSENT_SUMMARIES = f"""
    UPDATE {CONSENT_SUMMARIES} AS s SET
        consent_status = coalesce(l.status, 'none'),
        consent_at = l.given_at,
        consent_source = coalesce(l.source_file, '')
    FROM (SELECT ids.id AS contact_id, ({CONSENT_LATEST.format(col="id", who="ids.id")}) AS latest
          FROM ({{contacts}}) AS ids) AS pick
    LEFT JOIN consent_ledger l ON l.id = pick.latest
    WHERE s.contact_id = pick.contact_id
"""


SUMMARY_INDEXES = (
    "consent_summaries_by_status",
    "consent_summaries_by_at",
    "consent_summaries_by_source",
)
"""The indexes over the consent summaries: a step that sets the summaries of
`BULK_ROWS` contacts or more leaves them to be built again in the background (keeping a
hundred thousand scattered entries of each in step costs more than the rest of the step)."""


def refresh_consent_summaries(
    con: sqlite3.Connection,
    contacts_sql: str,
    params: Sequence[object] = (),
    *,
    many: bool = False,
) -> None:
    """Set the consent summary of each contact whose ``id`` ``contacts_sql`` selects from
    its consent records, in one statement: what the ledger's triggers do row by row, for a
    write that suspended them (`triggers_suspended`). With ``many`` (a step over
    `BULK_ROWS` contacts or more) the summaries' indexes are deferred first."""
    if many:
        defer_named(con, SUMMARY_INDEXES)
    con.execute(_CONSENT_SUMMARIES.format(contacts=contacts_sql), tuple(params))


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


BULK_CACHE_KIB = 262_144
"""Page cache of the writer during a bulk commit into indexes it keeps (the default 2 MB
thrashes on big B-trees)."""
APPEND_CACHE_KIB = 16_384
"""Page cache of the writer during a bulk commit that only appends: what it writes goes at
the ends of its B-trees, and a smaller cache beats `BULK_CACHE_KIB`, whose pages are each
new memory to the system (SQLite also sorts the address keys faster with it)."""


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
    from json_object, statuses from its own table), and checking them is a good part of
    the cost of the insert. NOT NULL and UNIQUE still hold."""
    con.execute("PRAGMA ignore_check_constraints = ON")
    try:
        yield
    finally:
        con.execute("PRAGMA ignore_check_constraints = OFF")


class Stop:
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


class Background:
    """Runs one statement at a time on a helper thread while this one goes on with its
    Python work: SQLite holds no GIL while it steps. The connection is left to the
    helper until `wait`; the cancel check (a progress handler, which would take the GIL
    every few microseconds) is off meanwhile, and comes back when the statement is done."""

    def __init__(self, con: sqlite3.Connection, stop: Stop) -> None:
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


def chunks(items: Sequence[int]) -> Iterator[Sequence[int]]:
    size = CHUNK  # read at call time, so tests can make it small
    for start in range(0, len(items), size):
        yield items[start : start + size]


ROWS_PER_STATEMENT = 64
"""Rows one INSERT carries (its VALUES list repeated): the per-statement work of SQLite and
of the sqlite3 module is then paid once per that many rows, while much longer statements
would cost more than they save."""


def row_values(fields: Sequence[Iterable[object]]) -> list[object]:
    """The columns ``fields`` as one list, row after row."""
    return list(chain.from_iterable(zip(*fields, strict=True)))


def insert_rows(con: sqlite3.Connection, sql: str, width: int, values: list[object]) -> None:
    """``sql`` (an INSERT ... VALUES (...) with numbered parameters ?1..?N, N = ``width``)
    for every row of ``values`` (`row_values`), `ROWS_PER_STATEMENT` rows at a time."""
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
