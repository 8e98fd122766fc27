"""Contacts as the Contacts page sees them: queries (search and sort) and lazy row fetching.

A query never loads the whole table. Without a search the view pages through an index
with LIMIT/OFFSET, reading from whichever end is nearer; with a search it collects the
ids of the matches, in order, once.
"""

from __future__ import annotations

import json
import sqlite3
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import Enum
from types import MappingProxyType
from typing import NamedTuple, TypeVar

from mjdesk.core.addresses import clean_typed, email_key
from mjdesk.core.clock import now_iso
from mjdesk.core.filters import (
    JOINED_CONSENT,
    WITH_CONSENT,
    ContactFilter,
    consent_rows,
    filter_sql,
)
from mjdesk.core.work import Cancelled, CancelToken

_T = TypeVar("_T")


class SortKey(Enum):
    """The columns a contact list can be ordered by, with the SQL that orders them."""

    EMAIL = ("email_key",)
    NAME = ("last_name", "first_name")
    CONSENT = ("consent_status", "consent_at")
    CONSENT_DATE = ("consent_at",)
    SOURCE = ("consent_source",)
    LISTS = ("lists_label",)
    SUBSCRIPTION = ("subscription_label",)
    FLAGS = ("flags",)

    @property
    def by_consent(self) -> bool:
        """Whether the order reads the consent summaries."""
        return any(column.startswith("consent_") for column in self.value)

    def order_by(self, descending: bool) -> str:
        way = " DESC" if descending else ""
        return ", ".join(f"{column}{way}" for column in (*self.value, "id"))


class ContactQuery(NamedTuple):
    """What the user asked to see: a search text (every word must occur), an order, and
    the review's filter (with the time before which a consent is stale)."""

    text: str = ""
    sort: SortKey = SortKey.EMAIL
    descending: bool = False
    filter: ContactFilter = ContactFilter()
    cutoff: str = ""

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(clean_typed(self.text).split()))

    @property
    def rows(self) -> str:
        """What the query reads FROM: the contacts, with their consent summaries when
        sorted by them (`filters.WITH_CONSENT`)."""
        return WITH_CONSENT if self.sort.by_consent else "contacts"


class ContactRow(NamedTuple):
    """One line of the Contacts table (a tuple: thousands are made while scrolling)."""

    id: int
    email: str
    first_name: str
    last_name: str
    consent_status: str
    consent_at: str | None
    consent_source: str
    lists: str
    subscription: str
    flags: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


_ROW_COLUMNS = (
    "id, email, first_name, last_name, consent_status, consent_at, consent_source, "
    "lists_label, subscription_label, flags"
)


class ContactView(NamedTuple):
    """A query's result as plain values: how many rows, and the ids in order when searched.

    A broad search over a big workspace first comes back incomplete (``complete`` False):
    the first page of matches, found by walking the sort order, while the rest are still
    being collected by :func:`complete_view`.
    """

    query: ContactQuery
    total: int
    ids: array[int] | None = None
    complete: bool = True


#: how many matches an incomplete view starts with (a few screens' worth)
FIRST_MATCHES = 100
#: how far down the sort order a search looks for its first page before it asks the index
WALK_ROWS = 20_000
#: the sample of the sort order that tells whether walking it will pay
PROBE_ROWS = 1_000
#: how far down the sort order a search looks up its indexed matches for a first page
IN_ORDER_ROWS = 30_000
#: walking finds a page faster than the index lists every match above this share of rows
WALK_DENSITY = 0.02
#: the same for terms the trigram index answers: its list of a rarer term costs little, and
#: walking reads each row, so it pays only when a page is a couple of thousand rows away
INDEXED_WALK_DENSITY = 0.05


#: what a search looks in, as the search index holds it
_SEARCHED = "(email || ' ' || first_name || ' ' || last_name)"
#: substring terms shorter than this cannot use the trigram index
MIN_SUBSTRING = 3


def _search_filter(
    terms: Sequence[str],
    *,
    walk: bool = False,
    unindexed: Sequence[tuple[int, int]] = (),
    in_order: bool = False,
) -> tuple[str, list[object]]:
    """SQL that keeps the contacts a search finds, and its parameters.

    Terms of three characters or more must occur anywhere in the address or a name. When
    every term is shorter, each must start the address or a name instead: one or two
    letters occur in most contacts, and a prefix can be answered from the indexes.

    Without ``walk`` the trigram index lists every match at once; with ``walk`` each row
    is checked on its own, which suits walking the sort order for one page of matches.
    ``unindexed`` are ranges of contact ids the trigram index does not hold yet (after a
    big import, `mjdesk.core.indexing`): their rows are read and checked instead. With
    ``in_order`` SQLite is steered to walk the sort order's index and look each contact up
    in the matches, rather than sort every match (the faster way when matches are many).
    """
    long_terms = [t for t in terms if len(t) >= MIN_SUBSTRING]
    params: list[object] = []
    if not long_terms:
        clauses = []
        for term in terms:
            key = term.casefold()
            # (The names compare without regard to ASCII case, as their columns' NOCASE.)
            clauses.append(
                "(email_key >= ? AND email_key < ? OR first_name >= ? AND first_name < ? "
                "OR last_name >= ? AND last_name < ?)"
            )
            high = "\U0010ffff"
            params += [key, key + high, term, term + high, term, term + high]
        return " AND ".join(clauses), params
    if walk:
        return _substring_checks(terms)
    # A quoted string is a substring match for the trigram tokenizer; shorter terms are
    # checked on the text the index holds, so the contacts it rules out are never read.
    match = " AND ".join('"' + t.replace('"', '""') + '"' for t in long_terms)
    short_terms = [t for t in terms if len(t) < MIN_SUBSTRING]
    indexed = "SELECT rowid FROM contacts_search WHERE contacts_search MATCH ?"
    params.append(match)
    if short_terms:
        checks, check_params = _substring_checks(short_terms, "text")
        indexed += f" AND {checks}"
        params += check_params
    if unindexed:
        ranges = " OR ".join(["id BETWEEN ? AND ?"] * len(unindexed))
        read, read_params = _substring_checks(terms)
        indexed += f" UNION ALL SELECT id FROM contacts WHERE ({ranges}) AND {read}"
        params += [bound for pair in unindexed for bound in pair] + read_params
    # (+id: no rowid lookups, so the index of the sort order drives the query)
    return f"{'+' if in_order else ''}id IN ({indexed})", params


def _substring_checks(terms: Sequence[str], text: str = _SEARCHED) -> tuple[str, list[object]]:
    """SQL true for a row whose ``text`` (address and names) holds every one of ``terms``."""
    clauses = []
    for term in terms:
        # SQLite's lower() is faster but folds ASCII only: enough for an ASCII term.
        lower = "lower" if term.isascii() else "mj_lower"
        clauses.append(f"instr({lower}({text}), ?) > 0")
    return " AND ".join(clauses), [term.lower() for term in terms]


def _prefix_page(term: str, descending: bool) -> tuple[str, list[object]]:
    """The first page, in address order, of the contacts whose address, first name or last
    name starts with ``term``: each from its own index, which carries the address key (one
    query over all three would read and sort every match, tens of thousands for "ma")."""
    way = " DESC" if descending else ""
    key = term.casefold()
    high = "\U0010ffff"
    arms = [
        ("email_key >= ? AND email_key < ?", [key, key + high]),
        ("first_name >= ? AND first_name < ?", [term, term + high]),
        ("last_name >= ? AND last_name < ?", [term, term + high]),
    ]
    order = f"ORDER BY email_key{way}, id{way} LIMIT {FIRST_MATCHES}"
    merged = " UNION ".join(
        f"SELECT * FROM (SELECT id, email_key FROM contacts WHERE {where} {order})"
        for where, _params in arms
    )
    params: list[object] = [value for _where, arm_params in arms for value in arm_params]
    return f"SELECT id FROM ({merged}) {order}", params


def _add_functions(con: sqlite3.Connection) -> None:
    # SQLite's lower() folds ASCII only; the trigram index folds all of Unicode, like this.
    con.create_function(
        "mj_lower", 1, lambda text: text.lower() if text else text, deterministic=True
    )


def _run_cancellable(
    con: sqlite3.Connection, cancel: CancelToken | None, work: Callable[[], _T]
) -> _T:
    """Run ``work``, stopping it (with Cancelled) as soon as ``cancel`` is set."""
    if cancel is None:
        return work()
    con.set_progress_handler(lambda: int(cancel.cancelled), 5_000)
    try:
        return work()
    except sqlite3.OperationalError as exc:
        if cancel.cancelled:
            raise Cancelled from exc
        raise
    finally:
        con.set_progress_handler(None, 0)


def _collect(con: sqlite3.Connection, sql: str, params: Sequence[object]) -> array[int]:
    ids: array[int] = array("q")
    cursor = con.execute(sql, params)
    while chunk := cursor.fetchmany(10_000):
        ids.extend(row[0] for row in chunk)
    return ids


def plan_view(
    con: sqlite3.Connection,
    query: ContactQuery,
    cancel: CancelToken | None = None,
    *,
    first_page: bool = False,
) -> ContactView:
    """Count (and, for a search, collect) the contacts a query shows.

    With ``first_page``, a search that matches more than :data:`FIRST_MATCHES` contacts
    returns just its first page, as an incomplete view (listing them all takes a while):
    found by walking the sort order when matches are dense there, by the index otherwise.
    A search with fewer matches comes back whole.
    """
    if cancel is not None:
        cancel.check()
    terms = query.terms
    if not terms and query.filter.empty:
        # Kept by triggers: counting a million rows would cost every start and sort.
        total = con.execute("SELECT value FROM counters WHERE name = 'contacts'").fetchone()[0]
        return ContactView(query, int(total))
    _add_functions(con)
    order = query.sort.order_by(query.descending)
    if not terms:
        return _filtered_view(con, query, order, cancel, first_page=first_page)

    def search(**how: object) -> tuple[str, list[object]]:
        where, params = _search_filter(terms, **how)  # type: ignore[arg-type]
        if query.filter.empty:
            return where, params
        # (walking the sort order, each row's lists and flags are looked up on their own)
        walking = bool(how.get("walk") or how.get("in_order"))
        kept, kept_params = filter_sql(query.filter, query.cutoff, per_row=walking)
        return f"{where} AND {kept}", [*params, *kept_params]

    unindexed = tuple(
        (int(first), int(last))
        for first, last in con.execute("SELECT first_id, last_id FROM search_backlog")
    )
    if first_page:
        page = (
            f"SELECT id FROM (SELECT id, {{}} AS hit FROM {query.rows} ORDER BY {order} LIMIT ?) "
        )
        page += f"WHERE hit LIMIT {FIRST_MATCHES}"
        where, params = search(walk=True)
        walk = page.format(where)
        # A sample of the sort order first, each row checked on its own: a search that
        # matches many contacts finds its first page right there.
        ids = _run_cancellable(con, cancel, lambda: _collect(con, walk, [*params, PROBE_ROWS]))
        indexed = all(len(t) >= MIN_SUBSTRING for t in terms)
        dense = len(ids) >= PROBE_ROWS * (INDEXED_WALK_DENSITY if indexed else WALK_DENSITY)
        if len(ids) < FIRST_MATCHES and dense:
            # Walking on finds the page sooner than the index lists every match (a common
            # term, such as a university's domain, matches a fifth of all).
            ids = _run_cancellable(con, cancel, lambda: _collect(con, walk, [*params, WALK_ROWS]))
        elif len(ids) < FIRST_MATCHES and indexed:
            # The index lists the matches; walking the sort order's own index, each row is
            # looked up among them (no row read), within a budget.
            where, params = search(unindexed=unindexed, in_order=True)
            walk = page.format(where)
            ids = _run_cancellable(
                con, cancel, lambda: _collect(con, walk, [*params, IN_ORDER_ROWS])
            )
        if len(ids) == FIRST_MATCHES:
            return ContactView(query, len(ids), ids, complete=False)
    where, params = search(unindexed=unindexed)
    every = f"SELECT id FROM {query.rows} WHERE {where} ORDER BY {order}"
    if first_page:
        # The index finds the matches; SQLite keeps only the first page of them in order,
        # which spares sorting (and handing over) all of them before anything is shown.
        page = f"{every} LIMIT {FIRST_MATCHES}"
        if (
            len(terms) == 1
            and len(terms[0]) < MIN_SUBSTRING
            and query.sort is SortKey.EMAIL
            and query.filter.empty
        ):
            page, params = _prefix_page(terms[0], query.descending)
        ids = _run_cancellable(con, cancel, lambda: _collect(con, page, params))
        return ContactView(query, len(ids), ids, complete=len(ids) < FIRST_MATCHES)
    ids = _run_cancellable(con, cancel, lambda: _collect(con, every, params))
    return ContactView(query, len(ids), ids)


def search_sql(con: sqlite3.Connection, query: ContactQuery) -> tuple[str, list[object]] | None:
    """SQL over ``contacts`` true for the contacts the query's search text finds (None: no
    search), with its parameters: what the filters' counts narrow by."""
    terms = query.terms
    if not terms:
        return None
    _add_functions(con)
    unindexed = tuple(
        (int(first), int(last))
        for first, last in con.execute("SELECT first_id, last_id FROM search_backlog")
    )
    return _search_filter(terms, unindexed=unindexed)


def _filtered_view(
    con: sqlite3.Connection,
    query: ContactQuery,
    order: str,
    cancel: CancelToken | None,
    *,
    first_page: bool,
) -> ContactView:
    """A filter's result without a search: its first page, or every match.

    The first page is looked for by walking the sort order, each row checked (a filter
    that keeps many contacts fills a page within a few rows); a filter that keeps few is
    answered from its own index and the few sorted, which SQLite is told to do (left to
    itself it may sort a big filter's every match, or walk the whole order for a small)."""
    where, params = filter_sql(query.filter, query.cutoff)
    if first_page:
        each, each_params = filter_sql(query.filter, query.cutoff, per_row=True)
        walk = (
            f"SELECT id FROM (SELECT id, ({each}) AS hit FROM {query.rows} ORDER BY {order} "
            f"LIMIT ?) WHERE hit LIMIT {FIRST_MATCHES}"
        )
        ids = _run_cancellable(con, cancel, lambda: _collect(con, walk, [*each_params, WALK_ROWS]))
        if len(ids) == FIRST_MATCHES:
            return ContactView(query, len(ids), ids, complete=False)
        few = (
            f"WITH kept AS MATERIALIZED (SELECT id FROM {query.rows} WHERE {where}) "
            f"SELECT id FROM {query.rows} WHERE id IN kept ORDER BY {order}"
        )
        ids = _run_cancellable(con, cancel, lambda: _collect(con, few, params))
        return ContactView(query, len(ids), ids)
    every = f"SELECT id FROM {query.rows} WHERE {where} ORDER BY {order}"
    ids = _run_cancellable(con, cancel, lambda: _collect(con, every, params))
    return ContactView(query, len(ids), ids)


def complete_view(
    con: sqlite3.Connection, view: ContactView, cancel: CancelToken | None = None
) -> ContactView:
    """The whole result of an incomplete view (its first rows stay first)."""
    if view.complete:
        return view
    return plan_view(con, view.query, cancel)


def fetch_rows(
    con: sqlite3.Connection, view: ContactView, start: int, count: int
) -> list[ContactRow]:
    """Rows ``start`` to ``start + count`` of a view (fewer at the end)."""
    start = max(0, start)
    count = max(0, min(count, view.total - start))
    if count == 0:
        return []
    if view.ids is not None:
        wanted = view.ids[start : start + count]
        marks = ",".join("?" * len(wanted))
        found = {
            row[0]: row
            for row in con.execute(
                f"SELECT {_ROW_COLUMNS} FROM {JOINED_CONSENT} WHERE contacts.id IN ({marks})",
                tuple(wanted),
            )
        }
        return [_row(found[i]) for i in wanted if i in found]
    sort, descending = view.query.sort, view.query.descending
    source = consent_rows(sorted_by_consent=sort.by_consent)
    page = f"SELECT {_ROW_COLUMNS} FROM {source} ORDER BY {{}} LIMIT ? OFFSET ?"
    if start + count / 2 <= view.total / 2:
        sql = page.format(sort.order_by(descending))
        return [_row(r) for r in con.execute(sql, (count, start))]
    # Nearer the end: walk the index from the other side, so OFFSET stays under half.
    sql = page.format(sort.order_by(not descending))
    rows = [_row(r) for r in con.execute(sql, (count, view.total - start - count))]
    rows.reverse()
    return rows


def _row(values: Sequence[object]) -> ContactRow:
    return ContactRow._make(values)


class ContactCounts(NamedTuple):
    """The numbers the status bar shows."""

    total: int
    granted: int
    withdrawn: int

    @property
    def without_consent(self) -> int:
        return self.total - self.granted - self.withdrawn


def count_contacts(con: sqlite3.Connection) -> ContactCounts:
    by_status = dict(
        con.execute(
            "SELECT consent_status, count(*) FROM consent_summaries GROUP BY consent_status"
        )
    )
    return ContactCounts(
        total=sum(by_status.values()),
        granted=by_status.get("granted", 0),
        withdrawn=by_status.get("withdrawn", 0),
    )


class NewContact(NamedTuple):
    """A contact to add, with the consent it comes with (if any)."""

    email: str
    first_name: str = ""
    last_name: str = ""
    properties: Mapping[str, str] = MappingProxyType({})
    consent: ConsentRecord | None = None


class ConsentRecord(NamedTuple):
    """Proof of one consent given or withdrawn: when, how, from which file and row."""

    status: str
    given_at: str
    source_file: str | None = None
    source_sha256: str | None = None
    source_sheet: str | None = None
    source_row: int | None = None
    wording: str | None = None
    lawful_basis: str = "consent"


def add_contacts(
    con: sqlite3.Connection,
    contacts: Iterable[NewContact],
    *,
    actor: str,
    batch_id: int | None = None,
) -> int:
    """Insert new contacts and their consent records; returns how many were added.

    Run inside a workspace transaction. An address already present raises
    ``sqlite3.IntegrityError`` (updating is the importer's job, with its own rules).
    """
    now = now_iso()
    added = 0
    for contact in contacts:
        cursor = con.execute(
            "INSERT INTO contacts (email_key, email, first_name, last_name, properties, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                email_key(contact.email),
                clean_typed(contact.email),
                contact.first_name.strip(),
                contact.last_name.strip(),
                json.dumps(dict(contact.properties), ensure_ascii=False),
                now,
                now,
            ),
        )
        if contact.consent is not None:
            record_consent(con, int(cursor.lastrowid or 0), contact.consent, actor, batch_id)
        added += 1
    return added


def record_consent(
    con: sqlite3.Connection,
    contact_id: int,
    record: ConsentRecord,
    actor: str,
    batch_id: int | None = None,
) -> None:
    """Append one record to the consent ledger (the contact's summary follows by trigger)."""
    con.execute(
        "INSERT INTO consent_ledger (contact_id, status, given_at, source_file, source_sha256, "
        "source_sheet, source_row, wording, lawful_basis, recorded_by, recorded_at, batch_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            contact_id,
            record.status,
            record.given_at,
            record.source_file,
            record.source_sha256,
            record.source_sheet,
            record.source_row,
            record.wording,
            record.lawful_basis,
            actor,
            now_iso(),
            batch_id,
        ),
    )
