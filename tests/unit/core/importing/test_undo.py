"""Undoing an import: exactly the state before, also after a restart; refused, with a reason,
when later work touched the same contacts."""

from __future__ import annotations

from pathlib import Path

import pytest

from mjdesk.core.contacts import ConsentRecord, record_consent
from mjdesk.core.importing.errors import CommitError
from mjdesk.core.importing.undo import UndoRefused, check_undo, list_imports, undo_import
from mjdesk.core.workspace import Workspace

from support.importing import MIXED, check_derived, dump, run_import, seed


@pytest.fixture
def ws_path(tmp_path: Path) -> Path:
    return tmp_path / "ws.sqlite3"


@pytest.mark.parametrize("bulk", [True, False])
def test_undo_restores_exactly_the_state_before(ws_path: Path, bulk: bool) -> None:
    with Workspace.open(ws_path) as ws:
        seed(ws)
        before = dump(ws)
        result, _ = run_import(ws, MIXED, bulk=bulk)
        assert dump(ws) != before
        done = undo_import(ws, result.batch_id, actor="tester", bulk=bulk)
        assert (done.removed, done.restored, done.ledger_removed) == (2, 2, 3)
        assert dump(ws) == before
        check_derived(ws)


def test_bulk_undo_of_a_big_import_restores_summaries_search_and_counter(ws_path: Path) -> None:
    with Workspace.open(ws_path) as ws:
        seed(ws)
        before = dump(ws)
        rows = [[f"p{i}@example.org", f"P{i}", "Ünal", "yes", "", "T"] for i in range(400)]
        rows += [["old@example.org", "Olivia", "", "withdrawn", "", "C"]]
        result, _ = run_import(ws, rows, bulk=True)
        assert ws.fetch("SELECT consent_status FROM contacts_with_consent WHERE id = 1") == [
            ("withdrawn",)
        ]
        undo_import(ws, result.batch_id, actor="tester", bulk=True)
        assert dump(ws) == before
        check_derived(ws)


def test_undo_after_reopening_the_workspace(ws_path: Path) -> None:
    with Workspace.open(ws_path) as ws:
        seed(ws)
        before = dump(ws)
        result, _ = run_import(ws, MIXED)
    with Workspace.open(ws_path) as ws:
        [listed] = [i for i in list_imports(ws._con) if i.batch_id == result.batch_id]
        assert listed.undoable
        assert (listed.added, listed.updated, listed.file_name) == (2, 2, "people.csv")
        undo_import(ws, result.batch_id, actor="tester")
        assert dump(ws) == before
    with Workspace.open(ws_path) as ws:
        assert dump(ws) == before
        [listed] = list_imports(ws._con)
        assert listed.undone_at is not None
        assert not listed.undoable
        entries = ws.fetch("SELECT action, actor, undone_by FROM activity ORDER BY id")
        assert entries == [("import", "tester", 2), ("undo", "tester", None)]


def test_a_later_import_of_the_same_contacts_must_be_undone_first(ws_path: Path) -> None:
    with Workspace.open(ws_path) as ws:
        seed(ws)
        before = dump(ws)
        first, _ = run_import(ws, MIXED)
        after_first = dump(ws)
        second, _ = run_import(ws, [["new@example.org", "Nina", "", "", "", "Q"]])
        with pytest.raises(UndoRefused) as refused:
            undo_import(ws, first.batch_id, actor="tester")
        message = refused.value.user_message
        assert "1 contact it changed were changed again later" in message
        assert "Undo that first" in message
        assert isinstance(refused.value, CommitError)
        undo_import(ws, second.batch_id, actor="tester")
        assert dump(ws) == after_first
        undo_import(ws, first.batch_id, actor="tester")
        assert dump(ws) == before


def test_an_unrelated_later_import_does_not_block_undo(ws_path: Path) -> None:
    with Workspace.open(ws_path) as ws:
        seed(ws)
        first, _ = run_import(ws, MIXED)
        run_import(ws, [["other@example.org", "O", "", "yes", "", ""]])
        undo_import(ws, first.batch_id, actor="tester")
        assert ws.fetch("SELECT email FROM contacts WHERE id > 3") == [("other@example.org",)]
        check_derived(ws)


def test_refusals_say_why(ws_path: Path) -> None:
    with Workspace.open(ws_path) as ws:
        seed(ws)
        result, _ = run_import(ws, MIXED)
        with pytest.raises(UndoRefused, match="no import number 99"):
            undo_import(ws, 99, actor="t")
        # A consent recorded later about one of its contacts.
        with ws.transaction() as con:
            new_id = con.execute("SELECT id FROM contacts WHERE email_key = 'new@example.org'")
            record_consent(
                con,
                new_id.fetchone()[0],
                ConsentRecord("withdrawn", "2025-10-01T00:00:00Z"),
                "dpo",
            )
        state = dump(ws)
        with pytest.raises(UndoRefused, match="1 consent record about its contacts"):
            undo_import(ws, result.batch_id, actor="t")
        assert dump(ws) == state


def test_a_contact_put_on_a_list_later_blocks_undo(ws_path: Path) -> None:
    with Workspace.open(ws_path) as ws:
        seed(ws)
        result, _ = run_import(ws, MIXED)
        with ws.transaction() as con:
            con.execute(
                "INSERT INTO memberships (contact_id, list_id, added_at) "
                "SELECT id, 1, '2025-01-01T00:00:00Z' FROM contacts WHERE email_key = ?",
                ("new@example.org",),
            )
        with ws.reading() as con, pytest.raises(UndoRefused, match="put on a list"):
            check_undo(con, result.batch_id)


def test_undo_twice_is_refused(ws_path: Path) -> None:
    with Workspace.open(ws_path) as ws:
        result, _ = run_import(ws, MIXED)
        undo_import(ws, result.batch_id, actor="t")
        with pytest.raises(UndoRefused, match="already undone"):
            undo_import(ws, result.batch_id, actor="t")


def test_property_types_the_import_introduced_go_unless_used(ws_path: Path) -> None:
    with Workspace.open(ws_path) as ws:
        first, _ = run_import(ws, [["a@example.org", "A", "", "yes", "", "T"]])
        second, _ = run_import(ws, [["b@example.org", "B", "", "yes", "", "U"]])
        assert ws.fetch("SELECT name FROM property_types") == [("team",)]
        undo_import(ws, first.batch_id, actor="t")
        assert ws.fetch("SELECT name FROM property_types") == [("team",)]  # b still has it
        undo_import(ws, second.batch_id, actor="t")
        assert ws.fetch("SELECT name FROM property_types") == []


@pytest.mark.parametrize("bulk", [True, False])
def test_redo_puts_the_import_back_exactly_and_it_can_be_undone_again(
    ws_path: Path, bulk: bool
) -> None:
    from mjdesk.core.history import redo_stack, steps
    from mjdesk.core.undo import redo_step, undo_step

    with Workspace.open(ws_path) as ws:
        seed(ws)
        before = dump(ws)
        result, _ = run_import(ws, MIXED, bulk=bulk)
        after = dump(ws)
        undo_step(ws, result.activity_id, actor="tester")
        assert dump(ws) == before
        stack, done = redo_stack(steps(ws._con))
        assert ([s.activity_id for s in stack], done) == ([result.activity_id], 0)
    with Workspace.open(ws_path) as ws:  # redo survives a restart
        redo_step(ws, result.activity_id, actor="tester")
        redone = dump(ws)
        assert redone["contacts"] == after["contacts"]
        assert redone["ledger"] == after["ledger"]
        check_derived(ws)
        stack, done = redo_stack(steps(ws._con))
        assert ([s.activity_id for s in stack], done) == ([result.activity_id], 1)
        with pytest.raises(UndoRefused, match="not undone"):
            redo_step(ws, result.activity_id)
        undo_step(ws, result.activity_id, actor="tester")
        assert dump(ws)["contacts"] == before["contacts"]
        assert dump(ws)["ledger"] == before["ledger"]
        check_derived(ws)


def test_redo_is_refused_when_the_addresses_came_back_meanwhile(ws_path: Path) -> None:
    from mjdesk.core.undo import redo_step, undo_step

    with Workspace.open(ws_path) as ws:
        seed(ws)
        result, _ = run_import(ws, MIXED)
        undo_step(ws, result.activity_id, actor="tester")
        run_import(ws, [["new@example.org", "Nia", "New", "yes", "2025-02-01", "B"]])
        state = dump(ws)
        with pytest.raises(UndoRefused, match=r"added again|changed since"):
            redo_step(ws, result.activity_id)
        assert dump(ws) == state
