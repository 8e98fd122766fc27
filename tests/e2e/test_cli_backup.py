"""``mjdesk backup`` as a user runs it: a whole, checked copy even while another mjdesk has the
workspace open with changes still in its WAL, and clear refusals (exit 2) otherwise."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from mjdesk.core.paths import AppPaths
from mjdesk.core.workspace import Workspace

#: another process holding the workspace open, with 30 contacts only in the WAL so far
HOLDER = """
import pathlib, sys
from mjdesk.core.contacts import NewContact, add_contacts
from mjdesk.core.workspace import Workspace
ws = Workspace.open(pathlib.Path(sys.argv[1]))
ws.fetch("PRAGMA wal_autocheckpoint = 0")
with ws.transaction() as con:
    add_contacts(con, [NewContact(f"p{i}@x.org") for i in range(30)], actor="t")
print("open", flush=True)
sys.stdin.read()
"""


def backup(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mjdesk", "backup", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_workspace_open_in_another_process_is_copied_whole(tmp_path: Path) -> None:
    workspace = AppPaths.under(tmp_path / "d").workspace_file("Dept")
    Workspace.open(workspace).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(workspace)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "open"
        out = tmp_path / "copy.sqlite3"
        done = backup(out, "--data-dir", tmp_path / "d", "--profile", "Dept")
    finally:
        holder.communicate("")
    assert done.returncode == 0, done.stderr
    assert f"to {out}" in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.sqlite3", "d"]  # no temp left
    con = sqlite3.connect(out)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("SELECT count(*) FROM contacts").fetchone() == (30,)
    finally:
        con.close()
    with Workspace.open(out) as copy:  # and mjdesk opens it as a workspace
        assert copy.fetch("SELECT count(*) FROM contacts") == [(30,)]


def test_the_workspace_itself_is_never_overwritten(tmp_path: Path) -> None:
    workspace = AppPaths.under(tmp_path).workspace_file("Default")
    Workspace.open(workspace).close()
    before = workspace.read_bytes()
    done = backup(workspace, "--data-dir", tmp_path)
    assert done.returncode == 2
    assert "is the workspace itself" in done.stderr
    assert "Nothing was written" in done.stderr
    assert workspace.read_bytes() == before


def test_no_workspace_no_backup(tmp_path: Path) -> None:
    done = backup(tmp_path / "copy.sqlite3", "--data-dir", tmp_path, "--profile", "Nobody")
    assert done.returncode == 2
    assert "no workspace to back up" in done.stderr
    assert not (tmp_path / "copy.sqlite3").exists()


def test_a_full_disk_is_told_plainly(tmp_path: Path) -> None:
    """The copy is made to fail with ENOSPC (a monkeypatched copy) in the subprocess."""
    workspace = AppPaths.under(tmp_path).workspace_file("Default")
    Workspace.open(workspace).close()
    script = (
        "import errno, sys\n"
        "import mjdesk.core.backup as b\n"
        "def full(*_a):\n"
        "    raise OSError(errno.ENOSPC, 'No space left on device')\n"
        "b.copy_database_atomically = full\n"
        "from mjdesk.app import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    out = tmp_path / "copy.sqlite3"
    done = subprocess.run(
        [sys.executable, "-c", script, "backup", str(out), "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "The disk is full:" in done.stderr
    assert "MB needed" in done.stderr
    assert done.stderr.count("Nothing was") == 1
    assert not out.exists()
