"""Shared by the import commit, undo and report tests: small imports into a workspace, a seed
with consent history and lists, a dump of the logical state, and the derived-data checks."""

from __future__ import annotations

import sqlite3
from typing import Any

from data.make_import_corpus import make_table

from mjdesk.core.contacts import ConsentRecord, NewContact, add_contacts
from mjdesk.core.importing.cleaning import CleanedImport, clean_table
from mjdesk.core.importing.commit import ImportResult, commit_import
from mjdesk.core.importing.consent_values import ConsentSpec
from mjdesk.core.importing.lookups import plan_for_workspace
from mjdesk.core.importing.mapping import guess_mapping
from mjdesk.core.importing.plan import Plan
from mjdesk.core.indexing import catch_up, search_ranges
from mjdesk.core.schema import CONSENT_LATEST
from mjdesk.core.workspace import Workspace

HEADERS = ["Email", "First name", "Last name", "Consent", "Consent date", "Team"]


def prepare(
    ws: Workspace,
    rows: list[list[str]],
    *,
    headers: list[str] | None = None,
    spec: ConsentSpec | None = None,
    confirmed_erased: frozenset[int] = frozenset(),
) -> tuple[CleanedImport, Plan]:
    table = make_table(headers or HEADERS, *rows)
    cleaned = clean_table(table, guess_mapping(table), spec or ConsentSpec())
    return cleaned, plan_for_workspace(ws, cleaned, confirmed_erased=confirmed_erased)


def run_import(
    ws: Workspace, rows: list[list[str]], *, bulk: bool | None = None, **kwargs: Any
) -> tuple[ImportResult, Plan]:
    cleaned, plan = prepare(ws, rows, **kwargs)
    result = commit_import(ws, cleaned, plan, actor="tester", bulk=bulk)
    return result, plan


def seed(ws: Workspace) -> None:
    """Contacts with consent history, lists and an unsubscribed membership."""
    with ws.transaction() as con:
        add_contacts(
            con,
            [
                NewContact(
                    "old@example.org",
                    "Olga",
                    "Old",
                    {"team": "A"},
                    ConsentRecord("granted", "2024-01-01T00:00:00Z", "earlier.csv"),
                ),
                NewContact(
                    "gone@example.org",
                    "Gus",
                    "",
                    {},
                    ConsentRecord("withdrawn", "2025-03-01T00:00:00Z", "unsub.csv"),
                ),
                NewContact("quiet@example.org", "Quinn", "Q"),
            ],
            actor="seeder",
        )
        con.execute("INSERT INTO lists (name, created_at) VALUES ('News', '2024-01-01T00:00:00Z')")
        con.execute(
            "INSERT INTO memberships (contact_id, list_id, status, added_at, mailjet_status) "
            "VALUES (1, 1, 'unsubscribed', '2024-01-01T00:00:00Z', 'unsubscribed'), "
            "(3, 1, 'subscribed', '2024-01-01T00:00:00Z', NULL)"
        )


MIXED = [
    ["new@example.org", "Nia", "New", "yes", "2025-01-01", "B"],
    ["old@example.org", "Olivia", "", "yes", "2025-05-01", "C"],  # update, names and team
    ["gone@example.org", "Gus", "", "yes", "2025-01-01", ""],  # older grant: withdrawn stays
    ["quiet@example.org", "Quinn", "Q", "yes", "2025-04-01", ""],  # consent only
    ["no@example.org", "No", "", "no", "", ""],
    ["bad-address", "B", "", "yes", "", ""],
    ["NEW@example.org", "Dup", "", "yes", "", ""],
    ["wd@example.org", "Wanda", "", "withdrawn", "", "Z"],
]


def dump(ws: Workspace) -> dict[str, list[tuple[Any, ...]]]:
    """The logical state an import may change, and what undo must put back (with the
    indexes a bulk import left for later caught up first)."""
    catch_up(ws)
    queries = {
        "contacts": "SELECT * FROM contacts ORDER BY id",
        "consent summaries": "SELECT * FROM consent_summaries ORDER BY contact_id",
        "ledger": "SELECT * FROM consent_ledger ORDER BY id",
        "memberships": "SELECT * FROM memberships ORDER BY contact_id, list_id",
        "lists": "SELECT * FROM lists ORDER BY id",
        "counters": "SELECT * FROM counters ORDER BY name",
        "search": "SELECT rowid, text FROM contacts_search ORDER BY rowid",
        "property_types": "SELECT * FROM property_types ORDER BY name",
        "tombstones": "SELECT * FROM tombstones ORDER BY address_hash",
        "ledger_release": "SELECT * FROM ledger_release",
        # (closing runs PRAGMA optimize, which may add SQLite's own statistics tables)
        "schema": "SELECT type, name, tbl_name, sql FROM sqlite_master "
        "WHERE name NOT LIKE 'sqlite_stat%' ORDER BY name",
    }
    out = {name: ws.fetch(sql) for name, sql in queries.items()}
    for term in ("example", "old", "nia", "olivia", "quinn"):
        out[f"match {term}"] = ws.fetch(
            "SELECT rowid FROM contacts_search WHERE contacts_search MATCH ? ORDER BY rowid",
            (f'"{term}"',),
        )
    return out


def check_derived(ws: Workspace) -> None:
    """Summaries, search index and counter agree with the rows they are derived from."""

    def latest(col: str) -> str:
        return CONSENT_LATEST.format(col=col, who="c.id")

    wrong = ws.fetch(
        f"""SELECT c.id FROM contacts_with_consent c WHERE
            c.consent_status IS NOT coalesce(({latest("status")}), 'none')
            OR c.consent_at IS NOT ({latest("given_at")})
            OR c.consent_source IS NOT coalesce(({latest("coalesce(source_file, '')")}), '')"""
    )
    assert wrong == []
    # one summary for each contact, none left of a contact that is gone
    assert ws.fetch("SELECT count(*) FROM consent_summaries") == ws.fetch(
        "SELECT count(*) FROM contacts"
    )
    orphans = (
        "SELECT contact_id FROM consent_summaries WHERE contact_id NOT IN (SELECT id FROM contacts)"
    )
    assert ws.fetch(orphans) == []
    expected = ws.fetch(
        "SELECT id, email || ' ' || first_name || ' ' || last_name FROM contacts ORDER BY id"
    )
    # Before catching up: what the search index holds is right, and the backlog covers
    # every contact it lacks.
    search = dict(ws.fetch("SELECT rowid, text FROM contacts_search"))
    with ws.reading() as con:
        ranges = search_ranges(con)
    for contact_id, text in expected:
        if contact_id in search:
            assert search[contact_id] == text
        else:
            assert any(first <= contact_id <= last for first, last in ranges), contact_id
    catch_up(ws)
    assert ws.fetch("SELECT * FROM search_backlog") == []
    assert ws.fetch("SELECT * FROM index_backlog") == []
    search_rows = ws.fetch("SELECT rowid, text FROM contacts_search ORDER BY rowid")
    assert search_rows == expected
    assert ws.fetch("SELECT value FROM counters WHERE name = 'contacts'") == ws.fetch(
        "SELECT count(*) FROM contacts"
    )
    integrity = ws.fetch("INSERT INTO contacts_search (contacts_search) VALUES ('integrity-check')")
    assert integrity == []


def contact(ws: Workspace, email: str) -> dict[str, Any]:
    con = ws._con
    con.row_factory = sqlite3.Row
    try:
        row = con.execute(
            "SELECT * FROM contacts_with_consent WHERE email_key = ?", (email,)
        ).fetchone()
    finally:
        con.row_factory = None
    return dict(row) if row else {}
