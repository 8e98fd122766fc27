"""Actions on a filter's whole result, each one step of the history: a withdrawal on every
contact a filter shows, undone with Ctrl+Z, redone with Ctrl+Shift+Z, and undone again
after the window was closed and the workspace opened anew; the other actions' dialogs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from mjdesk.core.contacts import ConsentRecord, NewContact, add_contacts
from mjdesk.core.filters import Facet
from mjdesk.core.flags import refresh_flags
from mjdesk.core.workspace import Workspace
from mjdesk.ui.common import dialogs
from mjdesk.ui.contacts.page import ContactsPage
from mjdesk.ui.shell.main_window import MainWindow

OpenWindow = Callable[..., MainWindow]


def _workspace(path: Path) -> Path:
    granted = ConsentRecord("granted", "2026-05-01", "form.csv", wording="Yes please")
    people = [NewContact(f"member{n}@york.ac.uk", consent=granted) for n in range(30)]
    people += [NewContact(f"other{n}@york.ac.uk", consent=granted) for n in range(5)]
    people += [NewContact("bob@gmial.com", "Bob", "Typo", consent=granted)]
    with Workspace.open(path) as ws, ws.transaction() as con:
        add_contacts(con, people, actor="t")
        con.execute("INSERT INTO lists (name, created_at) VALUES ('News', 'n')")
        con.execute(
            "INSERT INTO memberships (contact_id, list_id, added_at) "
            "SELECT id, 1, 'n' FROM contacts WHERE email LIKE 'member%'"
        )
        refresh_flags(con)
    return path


def _withdrawn(window: MainWindow) -> int:
    return int(
        window.workspace.fetch(
            "SELECT count(*) FROM contacts_with_consent WHERE consent_status = 'withdrawn'"
        )[0][0]
    )


def _select_filtered(
    qtbot: QtBot, page: ContactsPage, facet: Facet, value: object, shown: int
) -> None:
    """Tick one filter choice and select every contact it shows (``shown`` of them)."""
    panel = page.filters
    assert panel is not None
    qtbot.waitUntil(lambda: panel.choice(facet, value) is not None, timeout=5_000)
    panel.pick(facet, value)
    qtbot.waitUntil(lambda: page.model.rowCount() == shown, timeout=5_000)
    if shown > 1:
        qtbot.waitUntil(page.select_all.isVisible, timeout=5_000)
        qtbot.mouseClick(page.select_all, Qt.MouseButton.LeftButton)
    else:  # a click on the one row
        cell = page.table.visualRect(page.model.index(0, 0)).center()
        qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    assert page.everything_selected()


def test_a_withdrawal_on_a_filter_result_is_one_step_undone_and_redone_across_a_restart(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(_workspace(tmp_path / "w.sqlite3"))
    page = window.contacts_page
    _select_filtered(qtbot, page, Facet.LIST, 1, 30)
    asked: list[str] = []

    def reason(_parent: object, _title: str, text: str, _default: str) -> str:
        asked.append(text)
        return "Asked by e-mail on 3 December"

    monkeypatch.setattr(dialogs, "ask_text", reason)
    monkeypatch.setattr(dialogs, "ask_confirm", lambda *_args: True)
    assert page.actions_button.isEnabled()
    page.bulk.actions["withdraw"].trigger()
    qtbot.waitUntil(lambda: _withdrawn(window) == 30, timeout=10_000)
    assert "30 contacts" in asked[0]
    [(wording,)] = window.workspace.fetch(
        "SELECT DISTINCT wording FROM consent_ledger WHERE status = 'withdrawn'"
    )
    assert wording == "Asked by e-mail on 3 December"
    panel = page.filters
    assert panel is not None
    qtbot.waitUntil(
        lambda: (c := panel.choice(Facet.CONSENT, "withdrawn")) is not None and c.contacts == 30,
        timeout=5_000,
    )
    undo, redo = window.history.undo_action, window.history.redo_action
    qtbot.waitUntil(lambda: "Withdraw" in undo.text() or "withdrawn" in undo.text(), timeout=5_000)

    page.table.setFocus()
    with qtbot.waitSignal(window.history.reloaded, timeout=10_000):
        qtbot.keyClick(page.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: not window.history.busy, timeout=10_000)
    assert _withdrawn(window) == 0
    assert redo.isEnabled()
    qtbot.keyClick(
        page.table,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: _withdrawn(window) == 30, timeout=10_000)

    # Closed and opened again: the step is still in the history, and can be undone.
    window.close()
    window.workspace.close()
    again = open_window()
    qtbot.waitUntil(again.history.undo_action.isEnabled, timeout=5_000)
    again.history.undo_action.trigger()
    qtbot.waitUntil(lambda: _withdrawn(again) == 0, timeout=10_000)
    # (the consent records the step added are gone again: the ledger holds the grants)
    assert again.workspace.fetch("SELECT count(*) FROM consent_ledger") == [(36,)]


def test_list_typo_and_delete_actions_ask_then_do_one_step_each(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(_workspace(tmp_path / "w.sqlite3"))
    page = window.contacts_page
    _select_filtered(qtbot, page, Facet.FLAG, "typo", 1)
    confirmations: list[str] = []

    def confirm(_parent: object, _title: str, text: str, _action: str) -> bool:
        confirmations.append(text)
        return True

    monkeypatch.setattr(dialogs, "ask_confirm", confirm)
    monkeypatch.setattr(dialogs, "ask_choice", lambda *_args, **_kw: "Alumni")
    problems: list[str] = []
    monkeypatch.setattr(dialogs, "tell_problem", lambda _p, _t, text: problems.append(text))
    page.bulk.actions["add_list"].trigger()
    qtbot.waitUntil(
        lambda: (
            window.workspace.fetch("SELECT count(*) FROM lists WHERE name = 'Alumni'") == [(1,)]
        ),
        timeout=5_000,
    )
    # The table reads the filter's result again after the step, and selects it all again.
    qtbot.waitUntil(lambda: not page.bulk.busy and page.everything_selected(), timeout=5_000)
    page.bulk.actions["typos"].trigger()
    qtbot.waitUntil(
        lambda: (
            window.workspace.fetch("SELECT email FROM contacts WHERE first_name = 'Bob'")
            == [("bob@gmail.com",)]
        ),
        timeout=5_000,
    )
    assert "bob@gmial.com  →  bob@gmail.com" in confirmations[0]
    # (the fix takes Bob out of the "typo" filter once the table has read it again: the
    # filter is cleared, and the row clicked once the whole table is shown)
    assert page.filters is not None
    qtbot.mouseClick(page.filters.clear_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.bulk.busy and page.model.rowCount() == 36, timeout=5_000)
    page.table.clearSelection()
    cell = page.table.visualRect(page.model.index(0, 0)).center()
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    page.bulk.actions["delete"].trigger()
    qtbot.waitUntil(
        lambda: window.workspace.fetch("SELECT count(*) FROM contacts") == [(35,)], timeout=5_000
    )
    assert "Delete 1 contact " in confirmations[1]
    kinds = [a for (a,) in window.workspace.fetch("SELECT action FROM activity ORDER BY id")]
    assert kinds[-3:] == ["add_to_list", "fix_typos", "delete_contacts"]


def test_nothing_selected_says_what_to_do(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    window = open_window(_workspace(tmp_path / "w.sqlite3"))
    page = window.contacts_page
    page.table.clearSelection()
    with qtbot.waitSignal(window.events.message, timeout=2_000) as said:
        page.bulk.actions["withdraw"].trigger()
    assert "Select contacts first" in said.args[0]


def test_adding_contacts_without_consent_to_a_list_asks_first(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _workspace(tmp_path / "w.sqlite3")
    with Workspace.open(path) as ws, ws.transaction() as con:
        add_contacts(con, [NewContact("never@york.ac.uk"), NewContact("nor@york.ac.uk")], actor="t")
    window = open_window(path)
    page = window.contacts_page
    _select_filtered(qtbot, page, Facet.CONSENT, "none", 2)
    asked: list[str] = []

    def refuse(_parent: object, _title: str, text: str, _action: str) -> bool:
        asked.append(text)
        return False

    monkeypatch.setattr(dialogs, "ask_choice", lambda *_args, **_kw: "News")
    monkeypatch.setattr(dialogs, "ask_confirm", refuse)
    page.bulk.actions["add_list"].trigger()
    qtbot.waitUntil(lambda: bool(asked), timeout=5_000)
    assert asked[0].startswith("2 of the 2 contacts have no consent")
    assert window.workspace.fetch(
        "SELECT count(*) FROM memberships m JOIN consent_summaries c "
        "ON c.contact_id = m.contact_id WHERE c.consent_status = 'none'"
    ) == [(0,)]
