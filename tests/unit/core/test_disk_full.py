"""A full disk is an expected refusal in plain words (`DiskFull`), and nothing is changed.

SQLite is made to report its own "database or disk is full" (SQLITE_FULL) by capping the
workspace connection with ``PRAGMA max_page_count`` at the pages it has; the OS's ENOSPC is
raised by a monkeypatched copy."""

from __future__ import annotations

import errno
import re
from pathlib import Path
from typing import NoReturn

import pytest

from mjdesk.core.backup import back_up_workspace
from mjdesk.core.contacts import NewContact, add_contacts
from mjdesk.core.disk import DiskFull
from mjdesk.core.workspace import Workspace, inspect_version

PLAIN = re.compile(r"^The disk is full: [\d.,]+ MB free(, about [\d.,]+ MB needed)? \(on the disk")


def no_space(*_args: object) -> NoReturn:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_refuses_the_action_and_changes_nothing(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws.sqlite3") as ws:
        pages = ws.fetch("PRAGMA page_count")[0][0]
        ws.fetch(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(DiskFull) as info, ws.transaction() as con:
            add_contacts(con, [NewContact(f"p{i}@x.org") for i in range(2000)], actor="t")
        assert PLAIN.match(info.value.user_message), info.value.user_message
        assert "Nothing was changed" in info.value.user_message
        assert ws.fetch("SELECT count(*) FROM contacts") == [(0,)]
        ws.fetch("PRAGMA max_page_count = 1073741823")  # space again: it works as before
        with ws.transaction() as con:
            add_contacts(con, [NewContact("a@x.org")], actor="t")
        assert ws.fetch("SELECT count(*) FROM contacts") == [(1,)]


def test_a_backup_on_a_full_disk_says_what_it_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = tmp_path / "ws.sqlite3"
    Workspace.open(workspace).close()
    monkeypatch.setattr("mjdesk.core.backup.copy_database_atomically", no_space)
    with pytest.raises(DiskFull) as info:
        back_up_workspace(workspace, tmp_path / "copy.sqlite3")
    assert PLAIN.match(info.value.user_message)
    assert "MB needed" in info.value.user_message
    assert not (tmp_path / "copy.sqlite3").exists()


def test_an_upgrade_on_a_full_disk_is_refused_and_leaves_the_old_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = tmp_path / "ws.sqlite3"
    with Workspace.open(workspace, upto=1) as ws, ws.transaction() as con:
        add_contacts(con, [NewContact("a@x.org")], actor="t")
    monkeypatch.setattr("mjdesk.core.workspace.copy_database_atomically", no_space)
    with pytest.raises(DiskFull) as info:
        Workspace.open(workspace)
    assert "MB needed" in info.value.user_message
    assert inspect_version(workspace) == 1
