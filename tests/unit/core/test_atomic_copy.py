"""Copies of a workspace: whole, checked, a single file, made while another process writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from mjdesk.core.atomic import copy_database_atomically
from mjdesk.core.contacts import NewContact, add_contacts
from mjdesk.core.workspace import Workspace


def test_a_copy_holds_what_is_still_in_the_wal_and_is_one_checked_file(tmp_path: Path) -> None:
    source = tmp_path / "ws.sqlite3"
    with Workspace.open(source) as ws:
        ws.fetch("PRAGMA wal_autocheckpoint = 0")  # the rows stay in the WAL, not the file
        with ws.transaction() as con:
            add_contacts(con, [NewContact(f"p{i}@x.org") for i in range(50)], actor="t")
        target = tmp_path / "copy.sqlite3"
        reader = sqlite3.connect(source)
        try:
            copy_database_atomically(reader, target)
        finally:
            reader.close()
    assert not target.with_name("copy.sqlite3-wal").exists()
    con = sqlite3.connect(target)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("SELECT count(*) FROM contacts").fetchone() == (50,)
    finally:
        con.close()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
