"""The workspace file: creation, migrations, transactions, and files it must refuse safely."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from mjdesk.core.contacts import ConsentRecord, NewContact, add_contacts
from mjdesk.core.schema import LATEST_VERSION, MIGRATIONS
from mjdesk.core.workspace import (
    Workspace,
    WorkspaceCorrupt,
    WorkspaceLocked,
    WorkspaceTooNew,
    inspect_version,
)

TABLES = {
    "meta",
    "schema_version",
    "contacts",
    "property_types",
    "activity",
    "activity_changes",
    "import_batches",
    "consent_ledger",
    "ledger_release",
    "lists",
    "memberships",
    "tombstones",
    "contacts_search",
    "counters",
    "index_backlog",
    "search_backlog",
}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def ws_path(tmp_path: Path) -> Path:
    return tmp_path / "workspaces" / "Test.sqlite3"


def test_new_workspace_has_every_table_and_the_latest_version(ws_path: Path) -> None:
    with Workspace.open(ws_path) as ws:
        names = {r[0] for r in ws.fetch("SELECT name FROM sqlite_master")}
        assert names >= TABLES
        assert ws.schema_version == LATEST_VERSION
        assert ws.fetch("PRAGMA journal_mode")[0][0] == "wal"
        assert ws.fetch("PRAGMA page_size") == [(16_384,)]
        assert len(ws.meta("tombstone_key") or "") == 64
        versions = [r[0] for r in ws.fetch("SELECT version FROM schema_version")]
        assert versions == [m.version for m in MIGRATIONS]


def test_reopening_does_not_migrate_or_back_up_again(ws_path: Path) -> None:
    Workspace.open(ws_path).close()
    Workspace.open(ws_path).close()
    assert not list(ws_path.parent.glob("*.bak.sqlite3"))


def test_an_existing_workspace_keeps_its_page_size(
    ws_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mjdesk.core.workspace.PAGE_SIZE", 4096)  # as before 16 KB pages
    Workspace.open(ws_path, upto=1).close()
    monkeypatch.undo()
    with Workspace.open(ws_path) as ws:
        assert ws.schema_version == LATEST_VERSION
        assert ws.fetch("PRAGMA page_size") == [(4096,)]


def test_migration_1_to_2_backs_up_and_indexes_existing_contacts(ws_path: Path) -> None:
    with Workspace.open(ws_path, upto=1) as ws:
        assert ws.schema_version == 1
        with ws.transaction() as con:
            add_contacts(con, [NewContact("Ann.Lee@York.ac.uk", "Ann", "Lee")], actor="t")
    with Workspace.open(ws_path, upto=2) as ws:
        assert ws.schema_version == 2
        hits = ws.fetch(
            "SELECT rowid FROM contacts_search WHERE contacts_search MATCH '\"lee@york\"'"
        )
        assert len(hits) == 1
    backups = list(ws_path.parent.glob("Test.format1.*.bak.sqlite3"))
    assert len(backups) == 1
    assert inspect_version(backups[0]) == 1


def test_a_kill_during_the_upgrade_backup_leaves_no_half_backup(ws_path: Path) -> None:
    """The process dies (os._exit) just before the finished copy would be renamed: no file
    may carry a backup's name, and the retry cleans the half up and keeps one backup."""
    Workspace.open(ws_path, upto=1).close()
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, pathlib; from mjdesk.core.workspace import Workspace; "
            "os.replace = lambda *a: os._exit(9); "
            f"Workspace.open(pathlib.Path({str(ws_path)!r}))",
        ],
        check=False,
    )
    assert killed.returncode == 9
    assert not list(ws_path.parent.glob("*.bak.sqlite3"))
    assert len(list(ws_path.parent.glob(".*.tmp"))) == 1  # the half, hidden
    assert inspect_version(ws_path) == 1
    Workspace.open(ws_path).close()
    backups = list(ws_path.parent.glob("*.bak.sqlite3"))
    assert len(backups) == 1
    assert not list(ws_path.parent.glob(".*.tmp"))
    con = sqlite3.connect(backups[0])
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert con.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    con.close()


def test_a_retried_upgrade_keeps_only_the_latest_backup_of_a_format(
    ws_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Workspace.open(ws_path, upto=1).close()
    broken = (*MIGRATIONS[:1], MIGRATIONS[1].__class__(2, "broken", "BOOM;"))
    with monkeypatch.context() as patch:
        patch.setattr("mjdesk.core.workspace.MIGRATIONS", broken)
        patch.setattr("mjdesk.core.workspace.now_iso", lambda: "2025-01-01T00:00:00Z")
        for _ in range(2):
            with pytest.raises(Exception, match="cannot be prepared"):
                Workspace.open(ws_path)
    assert len(list(ws_path.parent.glob("Test.format1.*.bak.sqlite3"))) == 1
    Workspace.open(ws_path, upto=2).close()  # a later retry, at another time, succeeds
    backups = list(ws_path.parent.glob("*.bak.sqlite3"))
    assert [b.name.split(".")[1] for b in backups] == ["format1"]
    assert "20250101" not in backups[0].name
    assert inspect_version(backups[0]) == 1


def test_migration_2_to_3_counts_existing_contacts_and_keeps_counting(ws_path: Path) -> None:
    with Workspace.open(ws_path, upto=2) as ws, ws.transaction() as con:
        add_contacts(con, [NewContact(f"p{i}@x.org") for i in range(5)], actor="t")
    with Workspace.open(ws_path, upto=3) as ws:
        assert ws.schema_version == 3
        assert ws.fetch("SELECT value FROM counters WHERE name = 'contacts'") == [(5,)]
        with ws.transaction() as con:
            add_contacts(con, [NewContact("q@x.org")], actor="t")
            con.execute("DELETE FROM contacts WHERE email_key IN ('p0@x.org', 'p1@x.org')")
        assert ws.fetch("SELECT value FROM counters WHERE name = 'contacts'") == [(4,)]
        assert ws.fetch("SELECT count(*) FROM contacts") == [(4,)]


def _rows(ws: Workspace, table: str) -> list[tuple[object, ...]]:
    return sorted(ws.fetch(f"SELECT * FROM {table}"), key=repr)


def test_migration_9_to_10_moves_the_consent_summaries_and_keeps_them(ws_path: Path) -> None:
    from mjdesk.core.contacts import record_consent
    from mjdesk.core.indexing import defer_named

    old_indexes = ("contacts_by_consent", "contacts_by_consent_at", "contacts_by_source")
    with Workspace.open(ws_path, upto=9) as ws, ws.transaction() as con:
        granted = ConsentRecord("granted", "2025-01-01T00:00:00Z", "form.csv")
        people = [NewContact(f"p{i}@x.org", f"P{i}", consent=granted) for i in range(3)]
        add_contacts(con, [*people, NewContact("none@x.org")], actor="t")
        record_consent(con, 2, ConsentRecord("withdrawn", "2025-06-01T00:00:00Z"), "t", None)
        defer_named(con, old_indexes)  # a big withdrawal's indexes still to be built
    summary = "id, consent_status, consent_at, consent_source"
    with Workspace.open(ws_path, upto=9) as ws:
        before = ws.fetch(f"SELECT {summary} FROM contacts ORDER BY id")
        contacts_before = ws.fetch("SELECT id, email, first_name, flags FROM contacts ORDER BY id")
    assert before[1][1:3] == ("withdrawn", "2025-06-01T00:00:00Z")
    with Workspace.open(ws_path, upto=10) as ws:
        assert ws.fetch(f"SELECT {summary} FROM contacts_with_consent ORDER BY id") == before
        assert ws.fetch("SELECT id, email, first_name, flags FROM contacts ORDER BY id") == (
            contacts_before
        )
        columns = [row[1] for row in ws.fetch("PRAGMA table_info(contacts)")]
        assert not [c for c in columns if c.startswith("consent_")]
        names = {row[0] for row in ws.fetch("SELECT name FROM sqlite_master")}
        assert names.isdisjoint(old_indexes)
        assert ws.fetch("SELECT * FROM index_backlog") == []
        assert ws.fetch("PRAGMA integrity_check") == [("ok",)]
        # The triggers keep the new table in step: a new contact, a record, a deletion.
        with ws.transaction() as con:
            add_contacts(con, [NewContact("new@x.org", consent=granted)], actor="t")
            record_consent(con, 4, ConsentRecord("granted", "2025-02-01T00:00:00Z"), "t", None)
            con.execute("INSERT INTO ledger_release (kind, ref) VALUES ('contact', 1)")
            con.execute("DELETE FROM consent_ledger WHERE contact_id = 1")
            con.execute("DELETE FROM contacts WHERE id = 1")
        assert ws.fetch(f"SELECT {summary} FROM contacts_with_consent ORDER BY id") == [
            *before[1:3],
            (4, "granted", "2025-02-01T00:00:00Z", ""),
            (5, "granted", "2025-01-01T00:00:00Z", "form.csv"),
        ]
        assert ws.fetch("SELECT contact_id FROM consent_summaries ORDER BY 1") == [
            (2,),
            (3,),
            (4,),
            (5,),
        ]


def test_migration_5_to_6_gives_the_address_key_its_own_index_and_keeps_everything(
    ws_path: Path,
) -> None:
    from mjdesk.core.indexing import defer_indexes

    with Workspace.open(ws_path, upto=5) as ws, ws.transaction() as con:
        consent = ConsentRecord("granted", "2025-01-01T00:00:00Z", "form.csv")
        people = [NewContact(f"p{i}@x.org", f"P{i}", "Lee", consent=consent) for i in range(4)]
        add_contacts(con, people, actor="t")
        con.execute("INSERT INTO lists (name, created_at) VALUES ('News', 'n')")
        con.execute(
            "INSERT INTO memberships (contact_id, list_id, status, added_at) "
            "VALUES (1, 1, 'unsubscribed', 'n'), (2, 1, 'subscribed', 'n')"
        )
        defer_indexes(con, "contacts")  # a big import's indexes still to be built
        con.execute("CREATE INDEX contacts_by_flags ON contacts (flags)")  # one built since
        con.execute("DELETE FROM index_backlog WHERE name = 'contacts_by_flags'")
    with Workspace.open(ws_path, upto=5) as ws:
        tables = ("contacts", "memberships", "consent_ledger", "contacts_search", "counters")
        before = {table: _rows(ws, table) for table in tables}
        schema = "SELECT type, name FROM sqlite_master WHERE tbl_name = 'contacts' ORDER BY 2"
        own = ws.fetch(schema)
        backlog = ws.fetch("SELECT name FROM index_backlog ORDER BY name")
    with Workspace.open(ws_path, upto=6) as ws:
        assert ws.schema_version == 6
        # Rows, ids, memberships (no cascade when the old table went) and summaries kept.
        assert {table: _rows(ws, table) for table in tables} == before
        assert ws.fetch("PRAGMA foreign_key_check") == []
        assert ws.fetch("PRAGMA integrity_check") == [("ok",)]
        assert ws.fetch("PRAGMA foreign_keys") == [(1,)]
        assert ws.fetch("PRAGMA legacy_alter_table") == [(0,)]
        # The same triggers and indexes; the new unique one instead of the column's.
        expected = [r for r in own if r[1] != "sqlite_autoindex_contacts_1"]
        assert sorted(ws.fetch(schema)) == sorted([*expected, ("index", "contacts_by_key")])
        assert ws.fetch("SELECT name FROM index_backlog ORDER BY name") == backlog
        with pytest.raises(sqlite3.IntegrityError), ws.transaction() as con:
            con.execute(
                "INSERT INTO contacts (email_key, email, created_at, updated_at) "
                "VALUES ('p1@x.org', 'P1@x.org', 'n', 'n')"
            )
        # The triggers of contacts and of the tables that name it still work.
        with ws.transaction() as con:
            add_contacts(con, [NewContact("new@x.org", consent=consent)], actor="t")
            con.execute("DELETE FROM memberships WHERE contact_id = 1")
        assert ws.fetch("SELECT value FROM counters WHERE name = 'contacts'") == [(5,)]
        hits = "SELECT rowid FROM contacts_search WHERE contacts_search MATCH '\"new@x\"'"
        assert ws.fetch(hits) == [(5,)]
        summaries = "SELECT consent_status, subscription_label FROM contacts WHERE id IN (1, 5)"
        assert ws.fetch(summaries) == [("granted", ""), ("granted", "")]


def test_a_rebuild_that_loses_a_referenced_row_is_refused(
    ws_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Workspace.open(ws_path, upto=5) as ws, ws.transaction() as con:
        consent = ConsentRecord("granted", "2025-01-01T00:00:00Z", "form.csv")
        add_contacts(con, [NewContact("a@x.org", consent=consent)], actor="t")
    lossy = MIGRATIONS[5]._replace(sql=MIGRATIONS[5].sql.replace("ORDER BY id", "WHERE id > 1"))
    monkeypatch.setattr("mjdesk.core.workspace.MIGRATIONS", (*MIGRATIONS[:5], lossy))
    with pytest.raises(Exception, match="broke a reference from consent_ledger"):
        Workspace.open(ws_path)
    assert inspect_version(ws_path) == 5
    with Workspace.open(ws_path, upto=5) as ws:
        assert ws.fetch("SELECT email FROM contacts") == [("a@x.org",)]
        assert ws.fetch("PRAGMA foreign_keys") == [(1,)]


def test_a_failing_migration_leaves_the_file_at_its_old_version(
    ws_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Workspace.open(ws_path, upto=1).close()
    broken = (*MIGRATIONS[:1], MIGRATIONS[1].__class__(2, "broken", "CREATE TABLE x (a); BOOM;"))
    monkeypatch.setattr("mjdesk.core.workspace.MIGRATIONS", broken)
    with pytest.raises(Exception, match="cannot be prepared"):
        Workspace.open(ws_path)
    assert inspect_version(ws_path) == 1
    con = sqlite3.connect(ws_path)
    assert con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'x'").fetchone() == (0,)
    con.close()


def test_a_transaction_is_all_or_nothing(ws_path: Path) -> None:
    with Workspace.open(ws_path) as ws:
        with pytest.raises(sqlite3.IntegrityError), ws.transaction() as con:
            add_contacts(con, [NewContact("a@x.org"), NewContact("A@X.org ")], actor="t")
        assert ws.fetch("SELECT count(*) FROM contacts")[0] == (0,)
        with ws.transaction() as con:
            add_contacts(con, [NewContact("a@x.org"), NewContact("b@x.org")], actor="t")
        assert ws.fetch("SELECT count(*) FROM contacts")[0] == (2,)


def test_a_second_open_is_refused_with_a_clear_message(ws_path: Path) -> None:
    with Workspace.open(ws_path):
        with pytest.raises(WorkspaceLocked) as info:
            Workspace.open(ws_path)
        assert "open in another mjdesk (window or command line)" in info.value.user_message
    Workspace.open(ws_path).close()  # released on close


def test_a_lock_held_by_another_process_is_refused(ws_path: Path) -> None:
    Workspace.open(ws_path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, pathlib; from mjdesk.core.workspace import Workspace; "
            f"w = Workspace.open(pathlib.Path({str(ws_path)!r})); print('open', flush=True); "
            "sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(WorkspaceLocked, match=r"process \d+"):
            Workspace.open(ws_path)
    finally:
        holder.communicate("")
    Workspace.open(ws_path).close()


#: a process that opens the workspace, says so, and on each line it is sent tries a write
WRITER = """
import pathlib, sys
from mjdesk.core.workspace import Workspace, WorkspaceLocked
ws = Workspace.open(pathlib.Path(sys.argv[1]))
print("open", flush=True)
for line in sys.stdin:
    try:
        with ws.transaction() as con:
            con.execute("INSERT OR REPLACE INTO meta VALUES ('by', ?)", (line.strip(),))
        print("wrote", flush=True)
    except WorkspaceLocked as exc:
        print("refused:", exc.user_message, flush=True)
ws.close()
"""


def test_a_deleted_lock_file_never_lets_two_processes_write(ws_path: Path) -> None:
    """The lock file of a workspace open in one process is deleted, and a second process
    opens the workspace (it makes and locks a new lock file): the first must not write."""
    Workspace.open(ws_path).close()
    lock_file = ws_path.with_name(ws_path.name + ".lock")
    first = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(ws_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert first.stdin is not None
        assert first.stdout is not None
        assert first.stdout.readline().strip() == "open"
        lock_file.unlink()
        with Workspace.open(ws_path) as second:
            with second.transaction() as con:
                con.execute("INSERT OR REPLACE INTO meta VALUES ('by', 'second')")
            first.stdin.write("first\n")
            first.stdin.flush()
            answer = first.stdout.readline()
            assert answer.startswith("refused:")
            assert "opened in another mjdesk (window or command line) (process" in answer
            assert second.meta("by") == "second"
        # Once the second has closed, the first takes the lock again and writes.
        first.stdin.write("first again\n")
        first.stdin.flush()
        assert first.stdout.readline().strip() == "wrote"
        # And while the first holds it again, nobody else opens the workspace.
        with pytest.raises(WorkspaceLocked):
            Workspace.open(ws_path)
    finally:
        first.communicate("")
    with Workspace.open(ws_path) as ws:
        assert ws.meta("by") == "first again"


def test_a_holder_whose_lock_file_was_deleted_takes_it_again_before_writing(
    ws_path: Path,
) -> None:
    lock_file = ws_path.with_name(ws_path.name + ".lock")
    with Workspace.open(ws_path) as ws:
        lock_file.unlink()
        with ws.transaction() as con:
            con.execute("INSERT OR REPLACE INTO meta VALUES ('by', 'holder')")
        assert lock_file.exists()
        with pytest.raises(WorkspaceLocked):
            Workspace.open(ws_path)  # the new lock file holds


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"name,email\nAnn,ann@example.org\n", id="a CSV renamed"),
        pytest.param(b"\x00" * 4096, id="zeros"),
        pytest.param(b"SQLite format 3\x00" + b"\xff" * 200, id="truncated SQLite"),
    ],
)
def test_a_corrupt_file_is_refused_and_left_as_it_is(ws_path: Path, content: bytes) -> None:
    ws_path.parent.mkdir(parents=True)
    ws_path.write_bytes(content)
    with pytest.raises(WorkspaceCorrupt) as info:
        Workspace.open(ws_path)
    assert "left exactly as it is" in info.value.user_message
    assert ws_path.read_bytes() == content


def test_a_damaged_page_in_a_real_workspace_is_refused(ws_path: Path) -> None:
    Workspace.open(ws_path).close()
    data = bytearray(ws_path.read_bytes())
    data[100:4096] = b"\xa5" * (4096 - 100)  # overwrite the schema page after the header
    ws_path.write_bytes(bytes(data))
    with pytest.raises(WorkspaceCorrupt):
        Workspace.open(ws_path)
    assert ws_path.read_bytes() == bytes(data)


def test_another_apps_sqlite_file_is_refused(ws_path: Path) -> None:
    ws_path.parent.mkdir(parents=True)
    con = sqlite3.connect(ws_path)
    con.execute("CREATE TABLE photos (id INTEGER)")
    con.commit()
    con.close()
    before = digest(ws_path)
    with pytest.raises(WorkspaceCorrupt, match="not made by mjdesk"):
        Workspace.open(ws_path)
    assert digest(ws_path) == before


def test_a_file_from_a_newer_mjdesk_is_refused_unchanged(ws_path: Path) -> None:
    Workspace.open(ws_path).close()
    con = sqlite3.connect(ws_path)
    con.execute(
        "INSERT INTO schema_version VALUES (?, 'future', '2030-01-01T00:00:00Z', '9.0')",
        (LATEST_VERSION + 1,),
    )
    con.commit()
    con.close()
    before = digest(ws_path)
    with pytest.raises(WorkspaceTooNew) as info:
        Workspace.open(ws_path)
    assert f"format {LATEST_VERSION + 1}" in info.value.user_message
    assert digest(ws_path) == before
    Workspace.open(ws_path.with_name("Other.sqlite3")).close()  # the lock was released


def test_consent_ledger_is_append_only_except_for_a_released_batch(ws_path: Path) -> None:
    with Workspace.open(ws_path) as ws:
        granted = ConsentRecord("granted", "2025-01-01T10:00:00Z", source_file="a.csv")
        with ws.transaction() as con:
            con.execute(
                "INSERT INTO import_batches (id, file_name, file_sha256, imported_by, "
                "imported_at) VALUES (7, 'a.csv', '00', 't', '2025-01-01T10:00:00Z')"
            )
            add_contacts(con, [NewContact("a@x.org", consent=granted)], actor="t", batch_id=7)
        for statement in (
            "UPDATE consent_ledger SET status = 'withdrawn'",
            "DELETE FROM consent_ledger",
        ):
            with (
                pytest.raises(sqlite3.IntegrityError, match="append-only"),
                ws.transaction() as con,
            ):
                con.execute(statement)
        with ws.transaction() as con:
            con.execute("INSERT INTO ledger_release VALUES ('batch', 7)")
            con.execute("DELETE FROM consent_ledger WHERE batch_id = 7")
            con.execute("DELETE FROM ledger_release")
        row = ws.fetch("SELECT consent_status, consent_at FROM contacts_with_consent")[0]
        assert row == ("none", None)


def _interrupted_action(ws: Workspace) -> None:
    with ws.transaction() as con:
        add_contacts(con, [NewContact("kept-out@x.org")], actor="t")
        con.set_progress_handler(lambda: 1, 100)  # SQLite rolls the whole action back
        try:
            con.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                "WHERE i < 100000) INSERT INTO meta SELECT 'k' || i, 'v' FROM n"
            )
        finally:
            con.set_progress_handler(None, 0)


def test_an_interrupted_statement_inside_an_action_leaves_nothing(ws_path: Path) -> None:
    with Workspace.open(ws_path) as ws:
        with pytest.raises(sqlite3.OperationalError, match="interrupted"):
            _interrupted_action(ws)
        assert ws.fetch("SELECT count(*) FROM contacts") == [(0,)]
        with ws.transaction() as con:  # and the next action works
            add_contacts(con, [NewContact("next@x.org")], actor="t")
        assert ws.fetch("SELECT count(*) FROM contacts") == [(1,)]


def test_the_contacts_with_consent_view_has_every_contact_column(ws_path: Path) -> None:
    """The view names the contacts' columns one by one (so its ids come from the summaries'
    index): a column added to the contacts must be added to it too."""
    with Workspace.open(ws_path) as ws:
        contacts = [row[1] for row in ws.fetch("PRAGMA table_info(contacts)")]
        view = [row[1] for row in ws.fetch("PRAGMA table_info(contacts_with_consent)")]
    assert view == [*contacts, "consent_status", "consent_at", "consent_source"]
