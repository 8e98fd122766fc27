"""Committing an import: one transaction, provenance in the ledger, the precedence rules,
the bulk path's summaries, search index and counter, and cancel leaving nothing behind."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from data.make_import_corpus import make_table
from hypothesis import given, settings
from hypothesis import strategies as st

from mjdesk.core import bulk as bulk_module
from mjdesk.core.contacts import ContactQuery, plan_view
from mjdesk.core.importing import commit as commit_module
from mjdesk.core.importing import commit_context, new_contacts
from mjdesk.core.importing.commit import commit_import
from mjdesk.core.importing.consent_values import ConsentMode, ConsentSpec
from mjdesk.core.importing.errors import CommitError, StalePlanError
from mjdesk.core.importing.lookups import workspace_lookup
from mjdesk.core.importing.plan import Outcome
from mjdesk.core.tombstones import add_tombstone
from mjdesk.core.work import Cancelled, CancelToken
from mjdesk.core.workspace import Workspace

from support.importing import MIXED, check_derived, contact, dump, prepare, run_import, seed


def search(ws: Workspace, text: str) -> list[int]:
    with ws.reading() as con:
        view = plan_view(con, ContactQuery(text))
    return list(view.ids or [])


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(tmp_path / "ws.sqlite3") as workspace:
        yield workspace


def test_commit_records_batch_activity_and_provenance(ws: Workspace) -> None:
    seed(ws)
    result, plan = run_import(ws, MIXED)
    assert [o.value for o in plan.outcomes] == [
        "new",
        "update",
        "unchanged",
        "update",
        "skipped_no_consent",
        "invalid",
        "duplicate",
        "new",
    ]
    assert (result.added, result.updated, result.consent_records) == (2, 2, 3)
    assert result.counts["invalid"] == 1

    batch = ws.fetch(
        "SELECT file_name, file_sha256, sheet, mapping, counts, imported_by, activity_id "
        "FROM import_batches WHERE id = ?",
        (result.batch_id,),
    )[0]
    assert batch[:3] == ("people.csv", "0" * 64, None)
    mapping = json.loads(batch[3])
    assert {c["header"]: c["role"] for c in mapping["columns"]}["Email"] == "email"
    assert mapping["consent"]["mode"] == "column"
    counts = json.loads(batch[4])
    assert counts["new"] == 2
    assert counts["added"] == 2
    assert counts["duplicate"] == 1
    assert batch[5] == "tester"
    activity = ws.fetch(
        "SELECT actor, action, summary, count, details FROM activity WHERE id = ?", (batch[6],)
    )[0]
    assert activity[:2] == ("tester", "import")
    assert "people.csv" in activity[2]
    assert activity[3] == 4
    assert json.loads(activity[4])["batch_id"] == result.batch_id

    ledger = ws.fetch(
        "SELECT c.email, l.status, l.given_at, l.source_file, l.source_sha256, l.source_sheet, "
        "l.source_row, l.wording, l.lawful_basis, l.recorded_by, l.batch_id "
        "FROM consent_ledger l JOIN contacts c ON c.id = l.contact_id "
        "WHERE l.batch_id = ? ORDER BY l.source_row",
        (result.batch_id,),
    )
    assert ledger == [
        (
            "new@example.org",
            "granted",
            "2025-01-01T00:00:00Z",
            "people.csv",
            "0" * 64,
            None,
            2,
            "Consent: yes",
            "consent",
            "tester",
            result.batch_id,
        ),
        (
            "quiet@example.org",
            "granted",
            "2025-04-01T00:00:00Z",
            *("people.csv", "0" * 64, None, 5, "Consent: yes", "consent", "tester"),
            result.batch_id,
        ),
        (
            "wd@example.org",
            "withdrawn",
            ledger[2][2],  # undated: the time of the import
            *("people.csv", "0" * 64, None, 9, "Consent: withdrawn", "consent", "tester"),
            result.batch_id,
        ),
    ]
    old = contact(ws, "old@example.org")
    assert (old["first_name"], old["last_name"]) == ("Olivia", "Old")  # empty cell kept "Old"
    assert json.loads(old["properties"]) == {"team": "C"}
    assert old["consent_status"] == "granted"
    assert old["consent_at"] == "2024-01-01T00:00:00Z"
    assert contact(ws, "no@example.org") == {}
    assert ws.fetch("SELECT name, datatype FROM property_types") == [("team", "str")]
    before = ws.fetch(
        "SELECT contact_id, before FROM activity_changes WHERE activity_id = ? ORDER BY 1",
        (batch[6],),
    )
    assert [(cid, b is None) for cid, b in before] == [(1, False), (3, False), (4, True), (5, True)]
    assert json.loads(before[0][1])["first_name"] == "Olga"
    check_derived(ws)


def test_withdrawal_is_never_overridden_by_an_older_or_undated_grant(ws: Workspace) -> None:
    seed(ws)
    _, plan = run_import(
        ws,
        [
            ["gone@example.org", "Gus", "", "yes", "2025-01-01", ""],
            ["GONE@example.org", "Gus", "", "yes", "", ""],
        ],
    )
    assert plan.outcomes[0] is Outcome.UNCHANGED
    gone = contact(ws, "gone@example.org")
    assert gone["consent_status"] == "withdrawn"
    assert ws.fetch("SELECT count(*) FROM consent_ledger WHERE contact_id = ?", (gone["id"],)) == [
        (1,)
    ]
    # An undated grant on its own is not enough either.
    run_import(ws, [["gone@example.org", "Gus", "", "yes", "", ""]])
    assert contact(ws, "gone@example.org")["consent_status"] == "withdrawn"
    # A newer, dated grant is a new consent.
    run_import(ws, [["gone@example.org", "Gus", "", "yes", "2025-06-01", ""]])
    assert contact(ws, "gone@example.org")["consent_status"] == "granted"
    check_derived(ws)


def test_an_unsubscribed_membership_is_never_touched(ws: Workspace) -> None:
    seed(ws)
    memberships = ws.fetch("SELECT * FROM memberships ORDER BY contact_id")
    run_import(ws, [["old@example.org", "Olivia", "Oak", "yes", "2025-05-01", "Z"]], bulk=True)
    run_import(ws, [["old@example.org", "Ola", "Oak", "yes", "2025-06-01", "Y"]], bulk=False)
    assert ws.fetch("SELECT * FROM memberships ORDER BY contact_id") == memberships
    old = contact(ws, "old@example.org")
    assert old["subscription_label"] == "unsubscribed"
    assert old["lists_label"] == "News"
    assert old["first_name"] == "Ola"


def test_tombstoned_rows_are_blocked_without_a_confirmed_dated_consent(ws: Workspace) -> None:
    with ws.transaction() as con:
        add_tombstone(con, "Erased@Example.org", actor="dpo")
    rows = [
        ["erased@example.org", "E", "", "yes", "2025-08-01", ""],
        ["ok@example.org", "O", "", "yes", "", ""],
    ]
    result, plan = run_import(ws, rows)
    assert plan.outcomes == [Outcome.BLOCKED_ERASED, Outcome.NEW]
    assert result.added == 1
    assert contact(ws, "erased@example.org") == {}
    # Confirmed, but undated: still blocked.
    undated = [["erased@example.org", "E", "", "yes", "", ""]]
    result, plan = run_import(ws, undated, confirmed_erased=frozenset({0}))
    assert plan.outcomes == [Outcome.BLOCKED_ERASED]
    assert result.added == 0
    # Confirmed with a date: added, with its consent record.
    result, plan = run_import(ws, rows[:1], confirmed_erased=frozenset({0}))
    assert plan.outcomes == [Outcome.NEW]
    assert contact(ws, "erased@example.org")["consent_at"] == "2025-08-01T00:00:00Z"


def test_an_erasure_after_the_dry_run_stops_the_commit(ws: Workspace) -> None:
    cleaned, plan = prepare(ws, [["late@example.org", "L", "", "yes", "", ""]])
    with ws.transaction() as con:
        add_tombstone(con, "late@example.org", actor="dpo")
    state = dump(ws)
    with pytest.raises(StalePlanError, match="erased"):
        commit_import(ws, cleaned, plan, actor="tester")
    assert dump(ws) == state


def test_a_workspace_changed_since_the_dry_run_is_refused_whole(ws: Workspace) -> None:
    seed(ws)
    cleaned, plan = prepare(ws, MIXED)
    run_import(ws, [["new@example.org", "Nia", "", "yes", "", ""]])
    state = dump(ws)
    with pytest.raises(StalePlanError, match="dry run again"):
        commit_import(ws, cleaned, plan, actor="tester")
    assert dump(ws) == state
    # An updated contact that disappeared is caught too.
    cleaned, plan = prepare(ws, [["quiet@example.org", "Quentin", "", "", "", ""]])
    with ws.transaction() as con:
        con.execute("DELETE FROM memberships WHERE contact_id = 3")
        con.execute("DELETE FROM contacts WHERE email_key = 'quiet@example.org'")
    state = dump(ws)
    with pytest.raises(StalePlanError):
        commit_import(ws, cleaned, plan, actor="tester")
    assert dump(ws) == state


def test_a_big_import_finds_an_address_added_since_its_dry_run_when_it_builds_the_key_index(
    ws: Workspace,
) -> None:
    rows = [[f"p{i}@example.org", f"P{i}", "", "yes", "", ""] for i in range(6)]
    cleaned, plan = prepare(ws, rows)
    run_import(ws, rows[4:5])  # meanwhile, one of them is added
    state = dump(ws)
    # It doubles the table: the key index is dropped, the rows go in, the rebuild fails.
    with pytest.raises(StalePlanError, match="already in the workspace"):
        commit_import(ws, cleaned, plan, actor="tester", bulk=True)
    assert dump(ws) == state
    assert ws.fetch("SELECT name FROM sqlite_master WHERE name = 'contacts_by_key'")


@pytest.mark.parametrize("bulk", [True, False])
def test_cancel_before_commit_leaves_the_workspace_untouched(
    ws: Workspace, bulk: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(ws)
    monkeypatch.setattr(bulk_module, "CHUNK", 3)
    rows = [[f"p{i}@example.org", f"P{i}", "", "yes", "", "T"] for i in range(10)]
    rows.append(["old@example.org", "Olivia", "", "yes", "", "C"])
    cleaned, plan = prepare(ws, rows)
    state = dump(ws)
    token = CancelToken()
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if done >= 6:
            token.cancel()

    with pytest.raises(Cancelled):
        commit_import(ws, cleaned, plan, actor="t", progress=progress, cancel=token, bulk=bulk)
    assert seen == [1, 4, 7]  # the update first, then the new contacts
    assert dump(ws) == state
    assert ws.fetch("SELECT count(*) FROM activity") == [(0,)]
    assert ws.fetch("SELECT count(*) FROM import_batches") == [(0,)]
    # The same plan commits afterwards: nothing was half-done.
    result = commit_import(ws, cleaned, plan, actor="t", bulk=bulk)
    assert result.added == 10
    assert result.updated == 1
    check_derived(ws)


def test_cancel_inside_a_long_statement_rolls_back(ws: Workspace) -> None:
    """A cancel noticed by SQLite's progress handler (the set-based search-index step)."""
    rows = [[f"p{i}@example.org", f"P{i}", "", "yes", "", ""] for i in range(3000)]
    cleaned, plan = prepare(ws, rows)
    state = dump(ws)
    calls = {"n": 0}

    def cancel() -> None:
        calls["n"] += 1
        if calls["n"] > 2:  # after the checks between chunks: from inside a statement
            raise Cancelled

    with pytest.raises(Cancelled):
        commit_import(ws, cleaned, plan, actor="t", cancel=cancel, bulk=True)
    assert dump(ws) == state


def test_a_failure_of_the_statement_run_beside_the_next_chunk_rolls_back(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The consent records of a chunk are written on a helper thread while the next chunk
    is built: an error there is raised here, after the helper is done, and nothing stays."""
    monkeypatch.setattr(bulk_module, "CHUNK", 4)
    rows = [[f"p{i}@example.org", f"P{i}", "", "yes", "", ""] for i in range(10)]
    cleaned, plan = prepare(ws, rows)
    state = dump(ws)
    real = new_contacts._ledger_from_summaries
    calls: list[int] = []

    def second_fails(provenance: str, codes: dict[str | None, int]) -> str:
        calls.append(1)
        return real(provenance, codes) + (" AND no_such_column" if len(calls) == 2 else "")

    monkeypatch.setattr(new_contacts, "_ledger_from_summaries", second_fails)
    with pytest.raises(sqlite3.OperationalError, match="no_such_column"):
        commit_import(ws, cleaned, plan, actor="t", bulk=True)
    assert not [t for t in threading.enumerate() if t.name == "import-statement"]
    assert dump(ws) == state
    # The connection is whole again: the same plan commits.
    monkeypatch.setattr(new_contacts, "_ledger_from_summaries", real)
    assert commit_import(ws, cleaned, plan, actor="t", bulk=True).consent_records == 10
    check_derived(ws)


def test_new_contacts_numbered_otherwise_than_foreseen_stop_the_commit(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite numbers new contacts; the records name them by the numbers foreseen. Were
    the two ever to differ, nothing is written."""
    cleaned, plan = prepare(ws, [["a@example.org", "A", "", "yes", "", ""]])
    state = dump(ws)
    monkeypatch.setattr(new_contacts, "_next_contact_id", lambda con: 7)
    for bulk in (True, False):
        with pytest.raises(CommitError, match="numbered 1, not 7"):
            commit_import(ws, cleaned, plan, actor="t", bulk=bulk)
        assert dump(ws) == state


#: new contacts only, each with a consent to record, in several wordings and on two dates
GRANTED_ONLY = [
    [f"p{i}@example.org", f"P{i}", "", ["yes", "Yes", "I agree", "x"][i % 4], "", ""]
    for i in range(9)
] + [["q-dated@example.org", "D", "", "yes", "2024-02-29", "T"]]  # in address order, as bulk ids go


@pytest.mark.parametrize(
    ("rows", "wording_codes", "chunk"),
    [(MIXED, 64, 50_000), (GRANTED_ONLY, 64, 50_000), (GRANTED_ONLY, 3, 3)],
    ids=["mixed", "granted-only", "more-wordings-than-codes"],
)
def test_bulk_and_row_by_row_commits_give_the_same_workspace(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rows: list[list[str]],
    wording_codes: int,
    chunk: int,
) -> None:
    import mjdesk.core.contacts

    # With few codes, the first chunk's records are made from the summaries and later
    # ones (once the file has shown more wordings) row by row.
    monkeypatch.setattr(new_contacts, "_WORDING_CODES", wording_codes)
    monkeypatch.setattr(bulk_module, "CHUNK", chunk)
    for module in (commit_module, mjdesk.core.contacts):
        monkeypatch.setattr(module, "now_iso", lambda: "2025-09-01T12:00:00Z")
    states = []
    for bulk in (True, False):
        with Workspace.open(tmp_path / f"{bulk}.sqlite3") as ws:
            seed(ws)
            run_import(ws, rows, bulk=bulk)
            check_derived(ws)
            states.append(dump(ws))
    assert states[0] == states[1]


DEFERRED_TABLES = ("contacts", "consent_ledger", "consent_summaries")
"""The tables whose indexes an import that doubles them builds after it."""


def test_bulk_commit_keeps_summaries_search_and_counter_right(ws: Workspace) -> None:
    seed(ws)
    schema = ws.fetch("SELECT type, name, sql FROM sqlite_master ORDER BY name")
    rows = [
        [f"person{i}@example.org", f"Zoë{i}", "Ünal", ["yes", "withdrawn"][i % 2], "", f"T{i}"]
        for i in range(500)
    ]
    result, _ = run_import(ws, rows, bulk=True)  # doubles the table: indexes built later
    backlog = ws.fetch("SELECT name, sql FROM index_backlog ORDER BY name")
    assert backlog == [
        row[1:]
        for row in schema
        if row[0] == "index"
        and any(f" ON {table} " in str(row[2]) for table in DEFERRED_TABLES)
        and not str(row[2]).startswith("CREATE UNIQUE")
    ]
    assert "contacts_by_name" in str(backlog)
    # The address key's unique index was built again before the commit, not left behind.
    assert ws.fetch("SELECT name FROM sqlite_master WHERE name = 'contacts_by_key'")
    assert ws.fetch("SELECT first_id, last_id FROM search_backlog") == [(4, 503)]
    # Searching works before the index catches up: the new rows are read instead.
    assert len(search(ws, "ünal")) == 500
    assert result.added == 500
    check_derived(ws)  # which catches up
    assert ws.fetch("SELECT type, name, sql FROM sqlite_master ORDER BY name") == schema
    plan = ws.fetch("EXPLAIN QUERY PLAN SELECT id FROM contacts ORDER BY last_name, first_name")
    assert "contacts_by_name" in str(plan)
    assert contact(ws, "person1@example.org")["consent_status"] == "withdrawn"
    assert contact(ws, "person2@example.org")["consent_source"] == "people.csv"
    hits = ws.fetch("SELECT count(*) FROM contacts_search WHERE contacts_search MATCH '\"ünal\"'")
    assert hits == [(500,)]
    assert ws.fetch("SELECT value FROM counters") == [(503,)]
    triggers = {r[0] for r in ws.fetch("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert set(bulk_module.INSERT_TRIGGERS + bulk_module.LEDGER_INSERT_TRIGGERS) <= triggers
    # References were not looked up while writing; they all hold, and lookups are back on.
    with ws.transaction() as con:
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        assert con.execute("PRAGMA foreign_keys").fetchone() == (1,)
        assert con.execute("PRAGMA wal_autocheckpoint").fetchone() == (1000,)


def test_every_row_consented_records_the_wording(ws: Workspace) -> None:
    spec = ConsentSpec(
        mode=ConsentMode.ALL_ROWS,
        wording="I agree to the newsletter",
        source="Open day form",
        given_at=datetime(2025, 3, 3, 9, 30),
        lawful_basis="consent",
    )
    result, _ = run_import(
        ws, [["a@example.org", "A"], ["b@example.org", "B"]], headers=["Email", "Name"], spec=spec
    )
    assert result.added == 2
    assert ws.fetch("SELECT DISTINCT wording, given_at FROM consent_ledger") == [
        ("I agree to the newsletter", "2025-03-03T09:30:00Z")
    ]
    mapping = json.loads(ws.fetch("SELECT mapping FROM import_batches")[0][0])
    assert mapping["consent"]["source"] == "Open day form"


def test_role_addresses_are_flagged(ws: Workspace) -> None:
    run_import(ws, [["info@example.org", "", "", "yes", "", ""]], bulk=True)
    assert contact(ws, "info@example.org")["flags"] == "role address"


def test_lookup_reads_what_the_plan_compares(ws: Workspace) -> None:
    seed(ws)
    with ws.reading() as con:
        found = workspace_lookup(con)(["old@example.org", "gone@example.org", "nobody@x.org"])
    assert set(found) == {"old@example.org", "gone@example.org"}
    assert found["old@example.org"].properties == {"team": "A"}
    assert found["gone@example.org"].consent_at == datetime(2025, 3, 1)
    assert found["gone@example.org"].consent_status == "withdrawn"


_CELLS = st.text(alphabet=st.sampled_from('ab Zé"\\\t\n\x01{}ü\u0301 ,:'), max_size=6)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_CELLS, _CELLS), min_size=1, max_size=6), st.booleans())
def test_properties_json_is_what_sqlite_json_object_writes(
    rows: list[tuple[str, str]], same_name: bool
) -> None:
    """The bulk path writes the properties JSON in Python; it must match byte for byte what
    the row-by-row SQL (json_patch over json_object) writes, for any cell text."""
    import sqlite3
    from types import SimpleNamespace

    from mjdesk.core.importing.mapping import ColumnChoice, ColumnMapping, Role

    names = ("team", "team") if same_name else ("te{a}m", 'sc"ore')
    table = make_table(["A", "B"], *[list(r) for r in rows])
    mapping = ColumnMapping(
        (ColumnChoice("A", Role.PROPERTY, names[0]), ColumnChoice("B", Role.PROPERTY, names[1]))
    )
    ctx = SimpleNamespace(mapping=mapping, cleaned=SimpleNamespace(table=table))
    ours = new_contacts._PropertiesJson(ctx).texts(range(len(rows)))  # type: ignore[arg-type]
    con = sqlite3.connect(":memory:")
    sql = "SELECT json_patch('{}', json_object(?, ?, ?, ?))"
    expected = [
        con.execute(
            sql,
            (
                names[0],
                commit_context.property_value(a),
                names[1],
                commit_context.property_value(b),
            ),
        ).fetchone()[0]
        for a, b in rows
    ]
    assert list(ours) == expected
    # A chunk may be plain where the whole columns are not (their check is then per chunk).
    half = range(0, len(rows), 2)
    part = new_contacts._PropertiesJson(ctx).texts(half)  # type: ignore[arg-type]
    assert list(part) == [expected[i] for i in half]
