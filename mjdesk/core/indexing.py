"""Indexes that catch up after a big import.

A bulk import commits its contacts and consent records without waiting for the indexes
that only make things fast: the sort indexes of ``contacts`` (dropped when the import at
least doubles the table, where one build beats a million inserts) and the trigram search
index. (The unique index of the address key is never left behind: an import that drops
it builds it again before it commits.) It writes down what it left instead:

- ``index_backlog``: each dropped index with the statement that creates it again;
- ``search_backlog``: ranges of contact ids not yet in ``contacts_search``.

Nothing is wrong in the meantime, only slower: SQLite sorts without an index, and a
search reads the backlog's rows themselves (`search_ranges`). `catch_up` then builds what
is missing in short transactions of its own (other work can write in between, a cancel or
a crash loses nothing done so far), and the app runs it in the background right after the
import and whenever it opens a workspace with a backlog.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import NamedTuple

from mjdesk.core.work import CancelToken, Progress
from mjdesk.core.workspace import Workspace

#: the text the search index holds for a contact (as the search triggers write it)
SEARCH_TEXT = "email || ' ' || first_name || ' ' || last_name"
#: contacts added to the search index per transaction: short enough that other writes wait
#: little for it
SEARCH_CHUNK = 40_000
#: building an index costs about as much as adding this share of its rows to the search
#: index (progress is counted in such rows)
INDEX_SHARE = 20


def index_weight(contacts: int) -> int:
    """What building one index of a table of ``contacts`` rows counts for in progress."""
    return max(1, contacts // INDEX_SHARE)


class Backlog(NamedTuple):
    """What the indexes still lack."""

    indexes: tuple[str, ...]
    search_ranges: tuple[tuple[int, int], ...]
    contacts: int = 0

    @property
    def empty(self) -> bool:
        return not self.indexes and not self.search_ranges

    @property
    def search_rows(self) -> int:
        """An upper bound of the contacts not yet searchable by the index."""
        return sum(last - first + 1 for first, last in self.search_ranges)

    @property
    def work(self) -> int:
        return len(self.indexes) * index_weight(self.contacts) + self.search_rows


def backlog(con: sqlite3.Connection) -> Backlog:
    indexes = tuple(r[0] for r in con.execute("SELECT name FROM index_backlog ORDER BY name"))
    return Backlog(indexes, search_ranges(con), _contacts(con))


def _contacts(con: sqlite3.Connection) -> int:
    row = con.execute("SELECT value FROM counters WHERE name = 'contacts'").fetchone()
    return int(row[0]) if row else 0


def search_ranges(con: sqlite3.Connection) -> tuple[tuple[int, int], ...]:
    """The ranges of contact ids (first, last) that the search index does not cover yet."""
    rows = con.execute("SELECT first_id, last_id FROM search_backlog ORDER BY first_id")
    return tuple((int(first), int(last)) for first, last in rows)


def drop_own_indexes(
    con: sqlite3.Connection, table: str, *, unique: bool | None = None
) -> list[tuple[str, str]]:
    """Drop ``table``'s own indexes (made by CREATE INDEX, not by its constraints), only
    the unique ones or only the others when ``unique`` says so; returns each one's name
    and the statement that creates it again."""
    saved = con.execute(
        "SELECT m.name, m.sql FROM sqlite_master AS m JOIN pragma_index_list(?1) AS i "
        "ON i.name = m.name WHERE m.type = 'index' AND m.tbl_name = ?1 AND i.origin = 'c' "
        'AND (?2 IS NULL OR i."unique" = ?2) ORDER BY m.name',
        (table, unique),
    ).fetchall()
    for name, _sql in saved:
        con.execute(f'DROP INDEX "{name}"')
    return [(str(name), str(sql)) for name, sql in saved]


def defer_indexes(con: sqlite3.Connection, table: str) -> list[str]:
    """Drop ``table``'s own indexes but the unique ones (the table's rules, which must
    hold when the caller commits), writing each down in the backlog to be built again.
    Inside the caller's transaction."""
    saved = drop_own_indexes(con, table, unique=False)
    con.executemany("INSERT OR REPLACE INTO index_backlog (name, sql) VALUES (?, ?)", saved)
    return [name for name, _sql in saved]


def defer_named(con: sqlite3.Connection, names: Sequence[str]) -> list[str]:
    """Drop the indexes ``names`` (those that exist) and write each down in the backlog to
    be built again in the background: for a step that rewrites one column of a big share
    of the contacts, where keeping their indexes in step row by row costs more than
    building them again once. Inside the caller's transaction."""
    marks = ",".join("?" * len(names))
    saved = con.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN ({marks})",
        tuple(names),
    ).fetchall()
    for name, _sql in saved:
        con.execute(f'DROP INDEX "{name}"')
    con.executemany("INSERT OR REPLACE INTO index_backlog (name, sql) VALUES (?, ?)", saved)
    return [str(name) for name, _sql in saved]


def defer_search(con: sqlite3.Connection, first_id: int, last_id: int) -> None:
    """Contacts ``first_id``..``last_id`` go into the search index later."""
    if last_id >= first_id:
        con.execute(
            "INSERT INTO search_backlog (first_id, last_id) VALUES (?, ?)", (first_id, last_id)
        )


class Step(NamedTuple):
    """What one `catch_up_step` did: an index built, or contacts added to the search
    index; ``work`` is its share of `Backlog.work` (0: the backlog was empty)."""

    indexes_built: int
    contacts_indexed: int
    work: int


def catch_up_step(workspace: Workspace) -> Step:
    """Build one index of the backlog, or index the next chunk of new contacts for search,
    in a transaction of its own, so other writes wait at most one step."""
    with workspace.transaction() as con:
        row = con.execute("SELECT name, sql FROM index_backlog ORDER BY name LIMIT 1").fetchone()
        if row is not None:
            name, sql = row
            exists = con.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)
            ).fetchone()
            if exists is None:
                con.execute(sql)
            con.execute("DELETE FROM index_backlog WHERE name = ?", (name,))
            return Step(int(exists is None), 0, index_weight(_contacts(con)))
        row = con.execute(
            "SELECT first_id, last_id FROM search_backlog ORDER BY first_id LIMIT 1"
        ).fetchone()
        if row is None:
            return Step(0, 0, 0)
        first, last = int(row[0]), int(row[1])
        upto = min(last, first + SEARCH_CHUNK - 1)
        # Rows the search triggers already indexed (an id reused after an undo) are left.
        indexed = con.execute(
            f"INSERT INTO contacts_search (rowid, text) SELECT id, {SEARCH_TEXT} "
            "FROM contacts WHERE id BETWEEN ?1 AND ?2 AND id NOT IN "
            "(SELECT rowid FROM contacts_search WHERE rowid BETWEEN ?1 AND ?2)",
            (first, upto),
        ).rowcount
        if upto == last:
            con.execute("DELETE FROM search_backlog WHERE first_id = ?", (first,))
        else:
            con.execute(
                "UPDATE search_backlog SET first_id = ? WHERE first_id = ?", (upto + 1, first)
            )
        return Step(0, indexed, upto - first + 1)


class CatchUpResult(NamedTuple):
    indexes_built: int
    contacts_indexed: int


def catch_up(
    workspace: Workspace,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> CatchUpResult:
    """Work off the whole backlog, step by step (`catch_up_step`).

    A cancel stops between steps: what is done stays done, the rest waits in the backlog.
    """
    with workspace.reading() as con:
        total = backlog(con).work
    done = built = indexed = 0
    if progress is not None:
        progress(0, total)
    while True:
        if cancel is not None:
            cancel.check()
        step = catch_up_step(workspace)
        if not step.work:
            break
        built += step.indexes_built
        indexed += step.contacts_indexed
        done += step.work
        if progress is not None:
            progress(min(done, total), total)
    if progress is not None:
        progress(total, total)
    return CatchUpResult(built, indexed)
