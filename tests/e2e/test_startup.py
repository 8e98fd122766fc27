"""Start mjdesk as a user would, in its own process, and see it reach the main window."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from mjdesk.core.contacts import NewContact, add_contacts
from mjdesk.core.workspace import Workspace


def run_mjdesk(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-m", "mjdesk", *args, "--exit-when-ready"],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def test_a_fresh_data_dir_reaches_the_main_window(tmp_path: Path) -> None:
    done = run_mjdesk("--data-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "mjdesk: main window ready (0 contacts)" in done.stdout
    assert (tmp_path / "data" / "workspaces" / "Default.sqlite3").exists()
    assert (tmp_path / "config" / "settings.json").exists()
    log = (tmp_path / "logs" / "mjdesk.log").read_text(encoding="utf-8")
    assert "mjdesk 0.1.0 starting" in log


def test_a_profile_with_contacts_opens_on_them(tmp_path: Path) -> None:
    first = run_mjdesk("--data-dir", str(tmp_path), "--profile", "Dept news")
    assert first.returncode == 0, first.stderr
    path = tmp_path / "data" / "workspaces" / "Dept-news.sqlite3"
    with Workspace.open(path) as ws, ws.transaction() as con:
        add_contacts(con, [NewContact(f"p{i}@york.ac.uk") for i in range(25)], actor="t")
    again = run_mjdesk("--data-dir", str(tmp_path), "--profile", "Dept news")
    assert "main window ready (25 contacts)" in again.stdout


def test_a_locked_workspace_gets_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "data" / "workspaces" / "Default.sqlite3"
    with Workspace.open(path):
        done = run_mjdesk("--data-dir", str(tmp_path))
    assert done.returncode == 1
    assert "open in another mjdesk (window or command line)" in done.stderr


def test_a_newer_workspace_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "data" / "workspaces" / "Default.sqlite3"
    Workspace.open(path).close()
    con = sqlite3.connect(path)
    con.execute("INSERT INTO schema_version VALUES (99, 'future', 'x', '9')")
    con.commit()
    con.close()
    before = path.read_bytes()
    done = run_mjdesk("--data-dir", str(tmp_path))
    assert done.returncode == 1
    assert "newer mjdesk" in done.stderr
    assert path.read_bytes() == before


@pytest.mark.parametrize("argv", [["--api-url", "not a url"], ["--bogus"]])
def test_bad_arguments_exit_2(argv: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mjdesk", *argv], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert "usage:" in done.stderr
