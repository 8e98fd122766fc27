"""A damaged workspace (pages overwritten, header intact) is noticed before anything is
written to it, and left exactly as it is."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from mjdesk.core.paths import AppPaths
from mjdesk.core.workspace import Workspace, WorkspaceCorrupt

from support.damage import damaged_workspace


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def damaged_file(tmp_path: Path) -> Path:
    paths = AppPaths.under(tmp_path / "data")
    paths.ensure()
    return damaged_workspace(paths.workspace_file("Default"))


def test_a_write_into_a_damaged_workspace_is_refused_and_changes_nothing(
    damaged_file: Path,
) -> None:
    before = _digest(damaged_file)
    with Workspace.open(damaged_file) as ws:  # opening stays fast: nothing is checked yet
        assert ws.damage is None
        with pytest.raises(WorkspaceCorrupt) as refused, ws.transaction() as con:
            con.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
        assert ws.damage
    message = refused.value.user_message
    assert "is damaged" in message
    assert "will not write" in message
    assert "backup" in message
    assert _digest(damaged_file) == before


def test_the_check_can_run_first_and_a_sound_file_passes(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws.sqlite3") as ws:
        assert ws.check_integrity() == []
        with ws.transaction() as con:  # checked already: written at once
            con.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")


def test_the_command_line_refuses_to_import_into_a_damaged_workspace(
    damaged_file: Path, tmp_path: Path
) -> None:
    before = _digest(damaged_file)
    source = tmp_path / "more.csv"
    source.write_text("Email,Consent\nnew@example.org,yes\n", encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mjdesk",
            "import",
            str(source),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "is damaged" in done.stderr
    assert _digest(damaged_file) == before
