"""Opening a workspace that needs an upgrade: the work off the GUI thread, a window saying so."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QProgressDialog
from pytestqt.qtbot import QtBot

import mjdesk.ui.shell.upgrade as upgrade
from mjdesk.core.contacts import NewContact, add_contacts
from mjdesk.core.schema import LATEST_VERSION, MIGRATIONS
from mjdesk.core.workspace import Workspace, WorkspaceUnavailable
from mjdesk.ui.shell.upgrade import needs_upgrade, open_workspace


def shown_dialogs() -> list[QProgressDialog]:
    return [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QProgressDialog) and w.isVisible()
    ]


@pytest.fixture
def old_workspace(tmp_path: Path) -> Path:
    path = tmp_path / "Old.sqlite3"
    with Workspace.open(path, upto=LATEST_VERSION - 1) as ws, ws.transaction() as con:
        add_contacts(con, [NewContact("ann@example.org", "Ann")], actor="t")
    return path


def test_an_upgrade_runs_off_the_gui_thread_while_a_window_says_so(
    qtbot: QtBot, old_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert needs_upgrade(old_workspace)
    release = threading.Event()
    threads: list[str] = []
    real_open = Workspace.open

    def slow_open(path: Path) -> Workspace:
        threads.append(threading.current_thread().name)
        assert release.wait(10)
        return real_open(path)

    monkeypatch.setattr(Workspace, "open", slow_open)
    seen: list[tuple[str, str]] = []
    ticks: list[int] = []

    def look() -> None:
        # The GUI thread goes on handling events while the upgrade waits.
        ticks.append(1)
        dialogs = shown_dialogs()
        if not dialogs and len(ticks) < 100:
            QTimer.singleShot(20, look)
            return
        seen.extend((d.labelText(), d.accessibleName()) for d in dialogs)
        release.set()

    QTimer.singleShot(0, look)
    ws = open_workspace(old_workspace, show_after_ms=0)
    try:
        assert threads == ["workspace-upgrade"]
        assert len(seen) == 1
        assert "Updating your workspace" in seen[0][0]
        assert "backup copy" in seen[0][0]
        assert seen[0][1] == "Updating the workspace"
        assert ws.schema_version == LATEST_VERSION
        assert ws.fetch("SELECT email FROM contacts") == [("ann@example.org",)]
        qtbot.waitUntil(lambda: not shown_dialogs())
    finally:
        ws.close()


def test_a_current_workspace_opens_at_once_without_a_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "New.sqlite3"
    assert not needs_upgrade(path)  # a new file is created, not upgraded
    Workspace.open(path).close()
    assert not needs_upgrade(path)
    made: list[object] = []
    monkeypatch.setattr(upgrade, "QProgressDialog", lambda *a: made.append(a))
    with open_workspace(path) as ws:
        assert ws.schema_version == LATEST_VERSION
    assert made == []


def test_a_failed_upgrade_is_raised_to_the_caller_and_the_window_goes(
    qtbot: QtBot, old_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = MIGRATIONS[-1]._replace(sql="CREATE TABLE x (a); BOOM;")
    monkeypatch.setattr("mjdesk.core.workspace.MIGRATIONS", (*MIGRATIONS[:-1], broken))
    with pytest.raises(WorkspaceUnavailable, match="cannot be prepared"):
        open_workspace(old_workspace, show_after_ms=0)
    qtbot.waitUntil(lambda: not shown_dialogs())
    # Nothing half done: the file is still at its old format, and opens there.
    with Workspace.open(old_workspace, upto=LATEST_VERSION - 1) as ws:
        assert ws.schema_version == LATEST_VERSION - 1
