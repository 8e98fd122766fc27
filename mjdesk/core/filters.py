"""Filters of the consent review, and the counts beside each choice.

A filter picks values in five facets: consent (current, stale, withdrawn, none), flags,
local lists, source file and import. Values of one facet widen the result (any of them),
facets narrow it (all of them), and the search box narrows it further. The count beside a
value is how many contacts the result would hold with that value picked instead, that is
under every other facet's choice and the search (the usual faceted count).

Stale consent is a granted consent older than the workspace's retention period (meta
``retention_months``, 24 by default): not stored, since it moves with the date.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import Any, NamedTuple

from mjdesk.core.work import CancelToken

#: how long a consent stands when the workspace says nothing else
DEFAULT_RETENTION_MONTHS = 24


class Consent(Enum):
    """A contact's consent as the review sees it, with its label."""

    CURRENT = ("current", "Consent given")
    STALE = ("stale", "Consent too old")
    WITHDRAWN = ("withdrawn", "Consent withdrawn")
    NONE = ("none", "No consent")

    def __init__(self, stored: str, label: str) -> None:
        self.stored = stored
        self.label = label


class Facet(Enum):
    CONSENT = "consent"
    FLAG = "flag"
    LIST = "list"
    SOURCE = "source"
    IMPORT = "import"


class ContactFilter(NamedTuple):
    """What the side panel picked: per facet, the values any of which a contact must have."""

    consent: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    lists: frozenset[int] = frozenset()
    sources: frozenset[str] = frozenset()
    imports: frozenset[int] = frozenset()

    def picked(self, facet: Facet) -> frozenset[object]:
        return frozenset(getattr(self, _FIELDS[facet]))

    def with_values(self, facet: Facet, values: frozenset[object]) -> ContactFilter:
        changed: dict[str, Any] = {_FIELDS[facet]: frozenset(values)}
        return self._replace(**changed)

    def without(self, facet: Facet) -> ContactFilter:
        return self.with_values(facet, frozenset())

    @property
    def empty(self) -> bool:
        return not any(self)


WITH_CONSENT = "contacts_with_consent AS contacts"
"""The rows of a query that sorts by the consent summaries: the contacts with them
(schema.CONTACTS_WITH_CONSENT, whose ids come from the summaries' indexes), under the
contacts' name so the same SQL reads them. A query that does not sort by them reads
``contacts`` alone (a filter by consent looks the summaries up itself), or `JOINED_CONSENT`
when it shows them."""
JOINED_CONSENT = "contacts JOIN consent_summaries ON consent_summaries.contact_id = contacts.id"
"""The contacts with their consent summaries, ids from the contacts' side: rows shown in the
order of a contacts' index (a list, a flag: big groups of equal values already in id order)."""


def consent_rows(*, sorted_by_consent: bool) -> str:
    """What a query that shows the consent summaries reads FROM, for its order."""
    return WITH_CONSENT if sorted_by_consent else JOINED_CONSENT


_FIELDS = {
    Facet.CONSENT: "consent",
    Facet.FLAG: "flags",
    Facet.LIST: "lists",
    Facet.SOURCE: "sources",
    Facet.IMPORT: "imports",
}


def retention_months(con: sqlite3.Connection) -> int:
    row = con.execute("SELECT value FROM meta WHERE key = 'retention_months'").fetchone()
    try:
        return max(1, int(row[0])) if row else DEFAULT_RETENTION_MONTHS
    except ValueError:
        return DEFAULT_RETENTION_MONTHS


def set_retention_months(con: sqlite3.Connection, months: int) -> None:
    """Set how long a consent stands (inside a workspace transaction)."""
    if not 1 <= months <= 240:
        raise ValueError("A consent must stand between 1 and 240 months.")
    con.execute(
        "INSERT INTO meta (key, value) VALUES ('retention_months', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (str(months),),
    )


def stale_before(months: int, today: datetime | None = None) -> str:
    """The time stamp before which a consent is stale: ``months`` before ``today``, as the
    ledger writes its times (ISO, UTC, ``Z``)."""
    now = (today or datetime.now(UTC)).astimezone(UTC)
    month = now.month - 1 - months
    year = now.year + month // 12
    month = month % 12 + 1
    day = min(now.day, _days_in(year, month))
    return now.replace(year=year, month=month, day=day).strftime("%Y-%m-%dT%H:%M:%SZ")


def _days_in(year: int, month: int) -> int:
    following = datetime(year + month // 12, month % 12 + 1, 1)
    return (following - datetime(year, month, 1)).days


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


def filter_sql(
    wanted: ContactFilter, cutoff: str, column: str = "contacts.id", *, per_row: bool = False
) -> tuple[str, list[object]]:
    """SQL true for a contact (its id is ``column``, its row ``contacts``) that the filter
    keeps, with its parameters; "1" for an empty filter. With ``per_row`` the lists, flags
    and imports are looked up for each contact (for walking a sort order a few rows at a
    time) instead of listed once (for finding every match)."""
    clauses: list[str] = []
    params: list[object] = []
    # The consent summaries (a table of their own) are looked up the same way as the lists:
    # per row only for the rows the rest of the condition keeps, else listed once.
    summary = []
    if wanted.consent:
        arms = []
        for value in sorted(wanted.consent):
            if value == Consent.CURRENT.stored:
                arms.append("(s.consent_status = 'granted' AND s.consent_at >= ?)")
                params.append(cutoff)
            elif value == Consent.STALE.stored:
                arms.append("(s.consent_status = 'granted' AND s.consent_at < ?)")
                params.append(cutoff)
            elif value in (Consent.WITHDRAWN.stored, Consent.NONE.stored):
                arms.append("s.consent_status = ?")
                params.append(value)
            else:
                raise ValueError(f"no consent state {value!r}")
        summary.append("(" + " OR ".join(arms) + ")")
    if wanted.sources:
        sources = sorted(wanted.sources)
        summary.append(f"s.consent_source IN ({_marks(sources)})")
        params += sources
    if summary:
        kept = " AND ".join(summary)
        clauses.append(
            f"EXISTS (SELECT 1 FROM consent_summaries s WHERE s.contact_id = {column} AND {kept})"
            if per_row
            else f"{column} IN (SELECT s.contact_id FROM consent_summaries s WHERE {kept})"
        )
    if wanted.flags:
        flags = sorted(wanted.flags)
        clauses.append(_among(column, "contact_flags", "flag", flags, per_row))
        params += flags
    if wanted.lists:
        lists = sorted(wanted.lists)
        clauses.append(_among(column, "memberships", "list_id", lists, per_row))
        params += lists
    if wanted.imports:
        imports = sorted(wanted.imports)
        clauses.append(_among(column, "consent_ledger", "batch_id", imports, per_row))
        params += imports
    return (" AND ".join(clauses) or "1"), params


def _among(column: str, table: str, field: str, values: Sequence[object], per_row: bool) -> str:
    """SQL true for a contact with a row in ``table`` whose ``field`` is one of ``values``."""
    if per_row:
        return (
            f"EXISTS (SELECT 1 FROM {table} WHERE {table}.contact_id = {column} "
            f"AND {table}.{field} IN ({_marks(values)}))"
        )
    return f"{column} IN (SELECT contact_id FROM {table} WHERE {field} IN ({_marks(values)}))"


class FacetChoice(NamedTuple):
    """One value a facet offers: what it stores, what the panel says, how many contacts."""

    value: object
    label: str
    contacts: int


def _restricted(
    wanted: ContactFilter, facet: Facet, search: tuple[str, list[object]] | None, cutoff: str
) -> tuple[str, list[object]]:
    where, params = filter_sql(wanted.without(facet), cutoff)
    if search is not None:
        where = f"{where} AND {search[0]}"
        params = [*params, *search[1]]
    return where, params


def count_facet(
    con: sqlite3.Connection,
    facet: Facet,
    wanted: ContactFilter,
    cutoff: str,
    search: tuple[str, list[object]] | None = None,
    cancel: CancelToken | None = None,
) -> list[FacetChoice]:
    """The choices of ``facet`` with their counts under every other facet's choice and the
    search (``search``: SQL over ``contacts`` and its parameters, from the contacts query)."""
    from mjdesk.core.flags import Flag

    where, params = _restricted(wanted, facet, search, cutoff)
    open_ = where == "1"
    if cancel is not None:
        cancel.check()
    if facet is Facet.CONSENT:
        rows = con.execute(
            "SELECT CASE WHEN consent_status = 'granted' THEN "
            "CASE WHEN consent_at < ? THEN 'stale' ELSE 'current' END ELSE consent_status END, "
            f"count(*) FROM {WITH_CONSENT} WHERE {where} GROUP BY 1",
            [cutoff, *params],
        )
        counts = dict(rows)
        return [FacetChoice(c.stored, c.label, int(counts.get(c.stored, 0))) for c in Consent]
    # Facets kept in other tables count the contacts the rest of the filter keeps.
    kept = "" if open_ else f"AND contact_id IN (SELECT contacts.id FROM contacts WHERE {where})"
    if facet is Facet.FLAG:
        counts = dict(
            con.execute(
                f"SELECT flag, count(*) FROM contact_flags WHERE 1 {kept} GROUP BY flag", params
            )
        )
        return [FacetChoice(f.stored, f.label, int(counts.get(f.stored, 0))) for f in Flag]
    if facet is Facet.LIST:
        counts = dict(
            con.execute(
                f"SELECT list_id, count(*) FROM memberships WHERE 1 {kept} GROUP BY list_id",
                params,
            )
        )
        lists = con.execute("SELECT id, name FROM lists ORDER BY name COLLATE NOCASE")
        return [FacetChoice(int(i), str(name), int(counts.get(i, 0))) for i, name in lists]
    if facet is Facet.SOURCE:
        rows = con.execute(
            f"SELECT consent_source, count(*) FROM {WITH_CONSENT} WHERE {where} "
            "GROUP BY consent_source ORDER BY consent_source",
            params,
        )
        return [
            FacetChoice(str(source), str(source) or "No source file", int(n)) for source, n in rows
        ]
    counts = dict(
        con.execute(
            "SELECT batch_id, count(DISTINCT contact_id) FROM consent_ledger "
            f"WHERE batch_id IS NOT NULL {kept} GROUP BY batch_id",
            params,
        )
    )
    batches = con.execute(
        "SELECT id, file_name, imported_at FROM import_batches "
        "WHERE undone_at IS NULL ORDER BY id DESC"
    )
    return [
        FacetChoice(int(i), f"{name} ({at[:10]})", int(counts.get(i, 0))) for i, name, at in batches
    ]
