"""Edit › Undo and Redo mirror the workspace history: refusals are explained and the menu
goes back to what the workspace holds."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from mjdesk.core.changes import IMPORTED
from mjdesk.ui.common import dialogs
from mjdesk.ui.shell.main_window import MainWindow

from support.importing import MIXED, run_import, seed

OpenWindow = Callable[..., MainWindow]


def test_a_refused_undo_is_explained_and_the_menu_stays_true(
    qtbot: QtBot, open_window: OpenWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window()
    seed(window.workspace)
    run_import(window.workspace, MIXED)
    window.events.announce(IMPORTED)  # as the import wizard does after a commit
    undo = window.history.undo_action
    qtbot.waitUntil(undo.isEnabled)
    assert undo.text() == "&Undo Import of people.csv"
    with window.workspace.transaction() as con:  # later work on a contact of the import
        con.execute(
            "INSERT INTO memberships (contact_id, list_id, added_at) "
            "SELECT id, 1, '2025-01-01T00:00:00Z' FROM contacts WHERE email_key = ?",
            ("new@example.org",),
        )
    asked: list[str] = []
    problems: list[str] = []

    def ask(_parent: object, _title: str, text: str, _action: str) -> bool:
        asked.append(text)
        return True

    monkeypatch.setattr(dialogs, "ask_confirm", ask)
    monkeypatch.setattr(dialogs, "tell_problem", lambda _p, _t, text: problems.append(text))
    before = window.workspace.fetch("SELECT count(*) FROM contacts")
    window.contacts_page.table.setFocus()
    qtbot.keyClick(window.contacts_page.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(problems))
    assert "put on a list" in problems[0]
    assert asked
    assert "Import of people.csv" in asked[0]
    qtbot.waitUntil(undo.isEnabled)  # rebuilt from the workspace: the import is still there
    assert not window.history.redo_action.isEnabled()
    assert window.workspace.fetch("SELECT count(*) FROM contacts") == before


def test_saying_no_to_undo_changes_nothing(
    qtbot: QtBot, open_window: OpenWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window()
    run_import(window.workspace, MIXED)
    window.events.announce(IMPORTED)
    undo = window.history.undo_action
    qtbot.waitUntil(undo.isEnabled)
    monkeypatch.setattr(dialogs, "ask_confirm", lambda *_a: False)
    before = window.workspace.fetch("SELECT count(*) FROM contacts")
    undo.trigger()
    qtbot.waitUntil(lambda: undo.isEnabled() and not window.history.redo_action.isEnabled())
    assert window.workspace.fetch("SELECT count(*) FROM contacts") == before
