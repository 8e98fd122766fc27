"""Contacts as the Contacts page sees them: queries (search and sort) and lazy row fetching.

A query never loads the whole table. Without a search the view pages through an index
with LIMIT/OFFSET, reading from whichever end is nearer; with a search it collects the
ids of the matches, in order, once.
"""

from __future__ import annotations

import json
import sqlite3
import time
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TypeVar

from mjdesk.core.addresses import clean_typed, email_key
from mjdesk.core.clock import now_iso

_T = TypeVar("_T")


class Cancelled(Exception):
    """The work was cancelled by the user; nothing was changed."""


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

    def order_by(self, descending: bool) -> str:
        way = " DESC" if descending else ""
        return ", ".join(f"{column}{way}" for column in (*self.value, "id"))


@dataclass(frozen=True)
class ContactQuery:
    """What the user asked to see: a search text (every word must occur) and an order."""

    text: str = ""
    sort: SortKey = SortKey.EMAIL
    descending: bool = False

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(clean_typed(self.text).split()))


@dataclass(frozen=True)
class ContactRow:
    """One line of the Contacts table."""

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


@dataclass(frozen=True)
class ContactView:
    """A query's result as plain values: how many rows, and the ids in order when searched.

    A broad search over a big workspace first comes back incomplete (``complete`` False):
    the first page of matches, found by walking the sort order, while the rest are still
    being collected by :func:`complete_view`.
    """

    query: ContactQuery
    total: int
    ids: array[int] | None = field(default=None, compare=False)
    complete: bool = True


#: how many matches an incomplete view starts with (a few screens' worth)
FIRST_MATCHES = 200
#: how long a search may take before it shows its first page and finishes in the background
SEARCH_BUDGET_S = 0.04


class _OverBudget(Exception):
    pass


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _search_filter(terms: Sequence[str], *, per_row: bool = False) -> tuple[str, list[object]]:
    """SQL that keeps the contacts in which every term occurs, and its parameters.

    ``per_row`` asks the full-text index about one contact at a time, which suits a walk
    down the sort order that stops after a page; otherwise the index lists all matches.
    """
    clauses: list[str] = []
    params: list[object] = []
    long_terms = [t for t in terms if len(t) >= 3]
    if long_terms:
        # A quoted string is a substring match for the trigram tokenizer.
        match = " AND ".join('"' + t.replace('"', '""') + '"' for t in long_terms)
        if per_row:
            clauses.append(
                "EXISTS (SELECT 1 FROM contacts_search WHERE contacts_search MATCH ? "
                "AND contacts_search.rowid = contacts.id)"
            )
        else:
            clauses.append(
                "id IN (SELECT rowid FROM contacts_search WHERE contacts_search MATCH ?)"
            )
        params.append(match)
    for term in terms:
        if len(term) < 3:
            # Too short for trigrams: a scan, case-insensitive through the lower-cased key.
            clauses.append(
                "(email_key || ' ' || first_name || ' ' || last_name) LIKE ? ESCAPE '\\'"
            )
            params.append(_like_pattern(term.casefold()))
    return " AND ".join(clauses), params


class CancelToken:
    """Set from any thread to ask long work to stop at its next check."""

    def __init__(self) -> None:
        self._cancelled = False

    def cancel(self) -> None:
        self._cancelled = True

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def check(self) -> None:
        if self._cancelled:
            raise Cancelled


def _run_cancellable(
    con: sqlite3.Connection,
    cancel: CancelToken | None,
    work: Callable[[], _T],
    deadline: float | None = None,
) -> _T:
    """Run ``work``; stop it when cancelled (Cancelled) or past ``deadline`` (_OverBudget)."""
    if cancel is None and deadline is None:
        return work()

    def should_stop() -> int:
        if cancel is not None and cancel.cancelled:
            return 1
        return int(deadline is not None and time.perf_counter() > deadline)

    con.set_progress_handler(should_stop, 5_000)
    try:
        return work()
    except sqlite3.OperationalError as exc:
        if cancel is not None and cancel.cancelled:
            raise Cancelled from exc
        if deadline is not None and time.perf_counter() > deadline:
            raise _OverBudget from exc
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
    budget_s: float | None = None,
) -> ContactView:
    """Count (and, for a search, collect) the contacts a query shows.

    With ``budget_s``, a search that cannot list every match in that time returns the
    first :data:`FIRST_MATCHES` instead, as an incomplete view.
    """
    terms = query.terms
    if not terms:
        total = con.execute("SELECT count(*) FROM contacts").fetchone()[0]
        return ContactView(query, int(total))
    order = query.sort.order_by(query.descending)
    where, params = _search_filter(terms)
    every = f"SELECT id FROM contacts WHERE {where} ORDER BY {order}"
    deadline = None if budget_s is None else time.perf_counter() + budget_s
    try:
        ids = _run_cancellable(con, cancel, lambda: _collect(con, every, params), deadline)
    except _OverBudget:
        # Many matches: walking the sort order finds a page of them at once.
        where, params = _search_filter(terms, per_row=True)
        first = f"SELECT id FROM contacts WHERE {where} ORDER BY {order} LIMIT {FIRST_MATCHES}"
        ids = _run_cancellable(con, cancel, lambda: _collect(con, first, params))
        if len(ids) == FIRST_MATCHES:
            return ContactView(query, len(ids), ids, complete=False)
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
                f"SELECT {_ROW_COLUMNS} FROM contacts WHERE id IN ({marks})", tuple(wanted)
            )
        }
        return [_row(found[i]) for i in wanted if i in found]
    sort, descending = view.query.sort, view.query.descending
    page = f"SELECT {_ROW_COLUMNS} FROM contacts ORDER BY {{}} LIMIT ? OFFSET ?"
    if start + count / 2 <= view.total / 2:
        sql = page.format(sort.order_by(descending))
        return [_row(r) for r in con.execute(sql, (count, start))]
    # Nearer the end: walk the index from the other side, so OFFSET stays under half.
    sql = page.format(sort.order_by(not descending))
    rows = [_row(r) for r in con.execute(sql, (count, view.total - start - count))]
    rows.reverse()
    return rows


def _row(values: Sequence[object]) -> ContactRow:
    return ContactRow(*values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ContactCounts:
    """The numbers the status bar shows."""

    total: int
    granted: int
    withdrawn: int

    @property
    def without_consent(self) -> int:
        return self.total - self.granted - self.withdrawn


def count_contacts(con: sqlite3.Connection) -> ContactCounts:
    by_status = dict(
        con.execute("SELECT consent_status, count(*) FROM contacts GROUP BY consent_status")
    )
    return ContactCounts(
        total=sum(by_status.values()),
        granted=by_status.get("granted", 0),
        withdrawn=by_status.get("withdrawn", 0),
    )


@dataclass(frozen=True)
class NewContact:
    """A contact to add, with the consent it comes with (if any)."""

    email: str
    first_name: str = ""
    last_name: str = ""
    properties: dict[str, str] = field(default_factory=dict)
    consent: ConsentRecord | None = None


@dataclass(frozen=True)
class ConsentRecord:
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
                json.dumps(contact.properties, ensure_ascii=False),
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
