"""File › Back Up Workspace…: the copy is made off the GUI thread, the status bar says where."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from mjdesk.core import backup
from mjdesk.ui.common import dialogs
from mjdesk.ui.shell.main_window import MainWindow

OpenWindow = Callable[..., MainWindow]


def test_the_workspace_is_backed_up_where_the_user_chose(
    qtbot: QtBot,
    open_window: OpenWindow,
    samples: Callable[[int], Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = open_window(samples(40))
    asked: list[tuple[str, str]] = []

    def ask(_parent: object, _title: str, suggested: str, _filters: str, **kw: str) -> Path:
        asked.append((suggested, kw["kind"]))
        return tmp_path / "saved"

    threads: list[str] = []
    real = backup.back_up_workspace

    def spy(source: Path, out: Path) -> Path:
        threads.append(threading.current_thread().name)
        return real(source, out)

    monkeypatch.setattr(dialogs, "ask_save_file", ask)
    monkeypatch.setattr(backup, "back_up_workspace", spy)
    window.backup_action.trigger()
    out = tmp_path / "saved.sqlite3"
    qtbot.waitUntil(lambda: "backed up to" in window.statusBar().currentMessage(), timeout=10_000)
    assert window.statusBar().currentMessage() == f"Workspace backed up to {out}"
    assert asked[0][1] == "backups"
    assert asked[0][0].startswith("Test backup ")
    assert threads
    assert threads[0] != threading.main_thread().name
    con = sqlite3.connect(out)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("SELECT count(*) FROM contacts").fetchone() == (40,)
    finally:
        con.close()
    assert window.backup_action.isEnabled()


def test_a_refused_backup_is_explained(
    qtbot: QtBot, open_window: OpenWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(None)
    problems: list[str] = []
    monkeypatch.setattr(dialogs, "ask_save_file", lambda *_a, **_k: window.workspace.path)
    monkeypatch.setattr(dialogs, "tell_problem", lambda _p, _t, text: problems.append(text))
    window.backup_action.trigger()
    qtbot.waitUntil(lambda: bool(problems), timeout=10_000)
    assert "is the workspace itself" in problems[0]
    assert window.statusBar().currentMessage() == "No backup was made"
