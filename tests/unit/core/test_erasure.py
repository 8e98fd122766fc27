"""GDPR erasure: no byte of the person's address or name is left in the workspace file or its
write-ahead log, the address stays blocked on import, and the activity keeps no trace of who."""

from __future__ import annotations

from pathlib import Path

import pytest

from mjdesk.core.details import NoSuchPerson, find_contact
from mjdesk.core.erasure import backups_holding, erase_address, erase_contact
from mjdesk.core.flags import refresh_flags
from mjdesk.core.importing.plan import Outcome
from mjdesk.core.undo import redo_step, undo_step
from mjdesk.core.workspace import ZEROED_SINCE, Workspace

from support.importing import HEADERS, prepare, run_import, seed

ADDRESS = "Zephyrine.Quillfeather@Xylophon-Example.org"
FIRST, LAST, EARLIER_LAST = "Zephyrine", "Quillfeather", "Vantablackwood"
TRACES = [ADDRESS, ADDRESS.lower(), FIRST, LAST, EARLIER_LAST]


def traces_in(*files: Path) -> list[str]:
    """Which of the person's address and names are in ``files`` (read as bytes)."""
    raw = b"".join(f.read_bytes().lower() for f in files if f.exists())
    return [t for t in TRACES if t.lower().encode("utf-8") in raw]


def with_history(ws: Workspace) -> None:
    """The person imported, changed by a second import (a before image of them), that one
    undone and redone (the undo's images too), quoted in another contact's field, and put on
    a list; the flags computed."""
    seed(ws)
    run_import(ws, [[ADDRESS, FIRST, EARLIER_LAST, "yes", "2025-01-01", "A"]])
    again, _ = run_import(
        ws,
        [
            [ADDRESS.upper(), FIRST, LAST, "yes", "2025-02-01", "B"],
            ["assistant@example.org", "Asa", "Sistant", "yes", "2025-02-01", f"for {ADDRESS}"],
        ],
    )
    [(step,)] = ws.fetch("SELECT activity_id FROM import_batches WHERE id = ?", (again.batch_id,))
    undo_step(ws, step)
    redo_step(ws, step)
    run_import(  # the assistant's before image now quotes the person's address
        ws, [["assistant@example.org", "Asa", "Sistant", "yes", "2025-03-01", "C"]]
    )
    with ws.transaction() as con:
        con.execute(
            "INSERT INTO memberships (contact_id, list_id, added_at) "
            "SELECT id, 1, '2025-01-01T00:00:00Z' FROM contacts WHERE email_key = ?",
            (ADDRESS.lower(),),
        )
        refresh_flags(con)


@pytest.mark.parametrize("since", ["created", "older workspace"])
def test_an_erasure_leaves_no_byte_of_the_person_in_the_file_or_its_log(
    tmp_path: Path, since: str
) -> None:
    file = tmp_path / "ws.sqlite3"
    wal = tmp_path / "ws.sqlite3-wal"
    with Workspace.open(file) as ws:
        if since == "created":  # (as every workspace is written now)
            assert ws.fetch("PRAGMA secure_delete") == [(2,)]
            assert ws.meta(ZEROED_SINCE)
        else:  # as SQLite builds without SECURE_DELETE (Windows, macOS) wrote it before
            ws.fetch("PRAGMA secure_delete = OFF")
            with ws.transaction() as con:
                con.execute("DELETE FROM meta WHERE key = ?", (ZEROED_SINCE,))
        with_history(ws)
        with ws.transaction() as con:  # a later change leaves older bytes in pages in use
            con.execute(
                "UPDATE contacts SET first_name = 'Zed' || first_name, email = upper(email) "
                "WHERE email_key = ?",
                (ADDRESS.lower(),),
            )
        ws.fetch("PRAGMA secure_delete = FAST")  # (as the workspace writes from now on)
        assert traces_in(file, wal) == TRACES  # (the check can see them)
        before = ws.fetch("SELECT count(*) FROM contacts")[0][0]
        done = erase_address(ws, f"  {ADDRESS.upper()} ", reason="request 7")
        assert done.log_emptied
        assert traces_in(file, wal) == []
        assert ws.fetch("SELECT count(*) FROM contacts")[0][0] == before - 1
        assert ws.fetch("SELECT value FROM counters WHERE name = 'contacts'")[0][0] == before - 1
        assert ws.fetch("SELECT count(*) FROM ledger_release") == [(0,)]
        assert ws.fetch(
            "SELECT count(*) FROM contacts_search WHERE contacts_search MATCH ?", ("quillfeather",)
        ) == [(0,)]
        [entry] = ws.fetch(
            "SELECT action, summary, count, details FROM activity WHERE id = ?",
            (done.activity_id,),
        )
        assert entry == ("erase", "Erased one person on request", 1, "{}")
        [(hint, reason)] = ws.fetch("SELECT address_hash, reason FROM tombstones")
        assert len(hint) == 64
        assert reason == "request 7"
        [(assistant_images,)] = ws.fetch(
            "SELECT group_concat(before) FROM activity_changes c JOIN contacts p "
            "ON p.id = c.contact_id WHERE p.email_key = 'assistant@example.org'"
        )
        assert "for (erased)" in assistant_images
        assert ws.fetch("PRAGMA integrity_check") == [("ok",)]
        assert ws.meta(ZEROED_SINCE)
        with ws.reading() as con, pytest.raises(NoSuchPerson):
            find_contact(con, ADDRESS)
    assert traces_in(file, wal) == []


def test_an_erased_address_is_held_on_a_later_import(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws.sqlite3") as ws:
        run_import(ws, [[ADDRESS, FIRST, LAST, "yes", "2025-01-01", "A"]])
        [(contact_id,)] = ws.fetch("SELECT id FROM contacts")
        erase_contact(ws, contact_id)
        row = [ADDRESS.lower(), FIRST, LAST, "yes", "2026-01-01", "A"]
        _cleaned, plan = prepare(ws, [row])
        assert plan.outcomes == [Outcome.BLOCKED_ERASED]
        result, _ = run_import(ws, [row])
        assert result.added == 0
        assert ws.fetch("SELECT count(*) FROM contacts") == [(0,)]
        _cleaned, plan = prepare(ws, [row], confirmed_erased=frozenset({0}))
        assert plan.outcomes != [Outcome.BLOCKED_ERASED]


def test_other_contacts_lose_the_flags_they_had_because_of_the_person(tmp_path: Path) -> None:
    rows = [
        ["j.smith@gmail.com", "Ann", "Lee", "yes", "2025-01-01", ""],
        ["jsmith@gmail.com", "Ann", "Lee", "yes", "2025-01-01", ""],
        ["bob@york.ac.uk", "Bob", "Ray", "yes", "2025-01-01", ""],
    ]
    with Workspace.open(tmp_path / "ws.sqlite3") as ws:
        run_import(ws, rows, headers=HEADERS)
        with ws.transaction() as con:
            refresh_flags(con)
        assert ws.fetch(
            "SELECT count(*) FROM contact_flags WHERE flag IN ('duplicate', 'same_name')"
        ) == [(4,)]
        erase_address(ws, "jsmith@gmail.com")
        assert ws.fetch("SELECT flag, contact_id FROM contact_flags") == []


def test_an_erasure_names_the_backups_that_still_hold_the_person(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "Default.sqlite3") as ws:
        run_import(ws, [[ADDRESS, FIRST, LAST, "yes", "2025-01-01", "A"]])
        kept = tmp_path / "Default.format6.20250101T000000Z.bak.sqlite3"
        kept.write_bytes(b"copy")
        (tmp_path / "Other.format6.20250101T000000Z.bak.sqlite3").write_bytes(b"not ours")
        assert erase_address(ws, ADDRESS).backups == [kept]
        assert backups_holding(ws.path) == [kept]
        with pytest.raises(NoSuchPerson):
            erase_address(ws, ADDRESS)


def test_a_log_line_never_keeps_an_address(tmp_path: Path) -> None:
    import logging

    from mjdesk.core.logs import setup_logging

    log_file = tmp_path / "logs" / "mjdesk.log"
    assert setup_logging(log_file) is None
    try:
        logging.getLogger("mjdesk.test").warning(
            "Background task stopped: Row 2: %s belongs to a person erased on request", ADDRESS
        )
    finally:
        for handler in logging.getLogger().handlers:
            handler.flush()
    text = log_file.read_text(encoding="utf-8")
    assert "Row 2: [address] belongs" in text
    assert ADDRESS.lower() not in text.lower()
