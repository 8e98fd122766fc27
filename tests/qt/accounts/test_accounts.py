"""Settings › Accounts, driven with qtbot: add (keys checked against the sandbox through the real
client), refused keys, no network, a key without rights, switch, edit and remove; the status bar's
connection label."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from mjdesk.core.paths import AppPaths
from mjdesk.core.profiles import ProfileBook
from mjdesk.core.workspace import Workspace
from mjdesk.mailjet import errors
from mjdesk.mailjet.accounts import Accounts
from mjdesk.mailjet.credentials import SERVICE, Credentials, CredentialStore
from mjdesk.ui.accounts.dialog import AccountsDialog, ProfileEditor
from mjdesk.ui.accounts.status import OFFLINE_TEXT
from mjdesk.ui.shell.main_window import MainWindow

from support.memory_keyring import MemoryKeyring
from support.sandbox_fixtures import Practice

MakeWindow = Callable[..., MainWindow]


@pytest.fixture
def make_window(open_window: MakeWindow) -> MakeWindow:
    """``make_window(accounts, profile)``: a shown main window on that profile's empty workspace."""

    def make(accounts: Accounts, profile: str = "Dept") -> MainWindow:
        return open_window(None, profile, accounts)

    return make


def accounts_for(paths: AppPaths, url: str) -> Accounts:
    return Accounts(ProfileBook(paths.config / "profiles.json"), CredentialStore(), api_url=url)


def open_dialog(window: MainWindow) -> AccountsDialog:
    dialog = window.open_accounts()
    assert isinstance(dialog, AccountsDialog)
    return dialog


def start_adding(qtbot: QtBot, dialog: AccountsDialog) -> ProfileEditor:
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    editor = dialog.editor
    assert editor is not None
    return editor


def fill(qtbot: QtBot, editor: ProfileEditor, name: str | None, key: str, secret: str) -> None:
    if name is not None:
        editor.name_edit.clear()
        qtbot.keyClicks(editor.name_edit, name)
    editor.key_edit.clear()
    qtbot.keyClicks(editor.key_edit, key)
    editor.secret_edit.clear()
    qtbot.keyClicks(editor.secret_edit, secret)


def visible_texts(window: MainWindow) -> str:
    labels = [w.text() for w in window.findChildren(QLabel)]
    return "\n".join([window.windowTitle(), *labels])


def test_add_with_good_keys_verifies_stores_and_connects(
    qtbot: QtBot,
    make_window: MakeWindow,
    app_paths: AppPaths,
    practice: Practice,
    memory_keyring: MemoryKeyring,
) -> None:
    accounts = accounts_for(app_paths, practice.url)
    window = make_window(accounts, "Dept")
    assert window.connection_label.text() == OFFLINE_TEXT
    qtbot.waitUntil(lambda: window.contacts_page.welcome.practice_button.isVisible())
    dialog = open_dialog(window)
    editor = start_adding(qtbot, dialog)
    assert editor.name_edit.text() == "Dept"  # the first account is offered to this workspace
    assert editor.secret_edit.echoMode() == QLineEdit.EchoMode.Password
    for field, name in (
        (editor.name_edit, "Profile name"),
        (editor.key_edit, "API key"),
        (editor.secret_edit, "Secret key"),
        (editor.region_box, "Region"),
    ):
        assert field.accessibleName() == name
    fill(qtbot, editor, None, practice.key, f" {practice.secret} ")  # pasted with spaces
    with qtbot.waitSignal(editor.saved, timeout=10_000) as saved:
        qtbot.keyClick(editor.secret_edit, Qt.Key.Key_Return)  # Enter = "Verify and save"
    assert saved.args == ["Dept"]
    assert "Dept" in accounts.book
    stored = json.loads(memory_keyring.entries[(SERVICE, "Dept")])
    assert stored == {"format": 1, "api_key": practice.key, "secret_key": practice.secret}
    assert editor.secret_edit.text() == ""
    assert practice.secret not in editor.message.text()
    assert "Dept" in dialog.list.item(0).text()
    qtbot.waitUntil(lambda: window.connection_label.text() == "Connected: Dept", timeout=10_000)
    assert window.connection.connected
    # With an account, the welcome page no longer offers the practice sandbox.
    assert not window.contacts_page.welcome.practice_button.isVisibleTo(window)
    assert practice.secret not in visible_texts(window)
    assert practice.secret not in (app_paths.config / "profiles.json").read_text()
    assert practice.key not in (app_paths.config / "profiles.json").read_text()


def test_wrong_keys_say_so_and_store_nothing(
    qtbot: QtBot,
    make_window: MakeWindow,
    app_paths: AppPaths,
    practice: Practice,
    memory_keyring: MemoryKeyring,
) -> None:
    accounts = accounts_for(app_paths, practice.url)
    dialog = open_dialog(make_window(accounts, "Dept"))
    editor = start_adding(qtbot, dialog)
    fill(qtbot, editor, "Events", practice.key, "wrong-secret-key")
    qtbot.mouseClick(editor.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not editor.busy, timeout=10_000)
    assert "did not accept this API key and secret key" in editor.message.text()
    assert "Nothing was saved" in editor.message.text()
    assert editor.isVisible()
    assert editor.verify_button.isEnabled()
    assert memory_keyring.entries == {}
    assert len(accounts.book) == 0
    assert not (app_paths.config / "profiles.json").exists()


def test_no_network_is_not_called_wrong_keys(
    qtbot: QtBot, make_window: MakeWindow, app_paths: AppPaths, memory_keyring: MemoryKeyring
) -> None:
    accounts = accounts_for(app_paths, "http://127.0.0.1:9/")  # nothing listens on port 9
    editor = start_adding(qtbot, open_dialog(make_window(accounts, "Dept")))
    fill(qtbot, editor, "Dept", "a" * 32, "b" * 32)
    qtbot.mouseClick(editor.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not editor.busy, timeout=15_000)
    assert "could not be reached" in editor.message.text()
    assert "did not accept" not in editor.message.text()
    assert memory_keyring.entries == {}


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (errors.NotAllowed("Operation not allowed", 401), "does not let this key"),
        (errors.Timeout(), "did not answer in time"),
    ],
)
def test_key_without_rights_and_timeout_are_explained(
    qtbot: QtBot,
    make_window: MakeWindow,
    app_paths: AppPaths,
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
    error: Exception,
    expected: str,
) -> None:
    def refuse(credentials: Credentials, api_url: str) -> None:
        raise error

    monkeypatch.setattr("mjdesk.mailjet.credentials.verify", refuse)
    accounts = accounts_for(app_paths, "http://127.0.0.1:9/")
    editor = start_adding(qtbot, open_dialog(make_window(accounts, "Dept")))
    fill(qtbot, editor, "Dept", "a" * 32, "b" * 32)
    qtbot.mouseClick(editor.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not editor.busy, timeout=10_000)
    assert expected in editor.message.text()
    assert memory_keyring.entries == {}


def _two_profiles(accounts: Accounts, practice: Practice) -> None:
    accounts.book.add("Dept")
    accounts.book.add("Events", "us")
    accounts.store.save("Dept", Credentials(practice.key, practice.secret))
    accounts.store.save("Events", Credentials(practice.sub_key, practice.sub_secret))


def test_switch_asks_the_app_to_open_the_other_profile(
    qtbot: QtBot,
    make_window: MakeWindow,
    app_paths: AppPaths,
    practice: Practice,
) -> None:
    accounts = accounts_for(app_paths, practice.url)
    _two_profiles(accounts, practice)
    window = make_window(accounts, "Dept")
    qtbot.waitUntil(lambda: window.connection_label.text() == "Connected: Dept", timeout=10_000)
    dialog = open_dialog(window)
    texts = [dialog.list.item(i).text() for i in range(dialog.list.count())]
    assert texts[0].startswith("Dept")
    assert texts[0].endswith("(open now)")
    assert texts[0].startswith("Dept — Mailjet, api.mailjet.com — added ")
    assert "Events — Mailjet US, api.us.mailjet.com" in texts[1]
    assert not dialog.open_button.isEnabled()  # the open profile
    dialog.list.setFocus()
    qtbot.keyClick(dialog.list, Qt.Key.Key_Down)
    assert dialog.selected == "Events"
    assert dialog.open_button.isEnabled()
    with qtbot.waitSignal(window.switchProfileRequested, timeout=2_000) as switch:
        qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert switch.args == ["Events"]


def test_edit_changes_keys_after_checking_them(
    qtbot: QtBot,
    make_window: MakeWindow,
    app_paths: AppPaths,
    practice: Practice,
    memory_keyring: MemoryKeyring,
) -> None:
    accounts = accounts_for(app_paths, practice.url)
    _two_profiles(accounts, practice)
    dialog = open_dialog(make_window(accounts, "Dept"))
    dialog.list.setCurrentRow(1)
    qtbot.mouseClick(dialog.edit_button, Qt.MouseButton.LeftButton)
    editor = dialog.editor
    assert editor is not None
    assert editor.name_edit.isReadOnly()
    assert editor.key_edit.text() == practice.sub_key
    assert editor.secret_edit.text() == ""  # the stored secret is never put back on screen
    editor.region_box.setCurrentIndex(0)
    with qtbot.waitSignal(editor.saved, timeout=10_000):  # empty secret: keep the stored one
        qtbot.mouseClick(editor.verify_button, Qt.MouseButton.LeftButton)
    entry = accounts.book.get("Events")
    assert entry is not None
    assert entry.region == "default"
    assert json.loads(memory_keyring.entries[(SERVICE, "Events")])["secret_key"] == (
        practice.sub_secret
    )


def test_remove_deletes_the_keys_and_only_optionally_the_workspace(
    qtbot: QtBot,
    make_window: MakeWindow,
    app_paths: AppPaths,
    practice: Practice,
    memory_keyring: MemoryKeyring,
) -> None:
    accounts = accounts_for(app_paths, practice.url)
    _two_profiles(accounts, practice)
    events_workspace = app_paths.workspace_file("Events")
    Workspace.open(events_workspace).close()
    window = make_window(accounts, "Dept")
    qtbot.waitUntil(lambda: window.connection_label.text() == "Connected: Dept", timeout=10_000)
    dialog = open_dialog(window)
    asked: list[tuple[str, bool]] = []
    answers = iter([(False, True), (True, True), (True, True)])

    def ask(_parent: object, name: str, workspace_open: bool) -> tuple[bool, bool]:
        asked.append((name, workspace_open))
        return next(answers)

    dialog.ask_remove = ask
    dialog.list.setCurrentRow(1)
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)  # cancelled
    assert "Events" in accounts.book
    assert (SERVICE, "Events") in memory_keyring.entries
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)  # with its workspace
    assert "Events" not in accounts.book
    assert (SERVICE, "Events") not in memory_keyring.entries
    assert not events_workspace.exists()
    # The open profile: its workspace stays even when asked, and the window goes offline.
    dialog.list.setCurrentRow(0)
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    assert asked == [("Events", False), ("Events", False), ("Dept", True)]
    assert memory_keyring.entries == {}
    assert len(accounts.book) == 0
    assert app_paths.workspace_file("Dept").exists()
    assert window.connection_label.text() == OFFLINE_TEXT
    assert dialog.list.count() == 0


def test_connection_label_is_honest(
    qtbot: QtBot,
    make_window: MakeWindow,
    app_paths: AppPaths,
    practice: Practice,
    memory_keyring: MemoryKeyring,
) -> None:
    accounts = accounts_for(app_paths, practice.url)
    _two_profiles(accounts, practice)
    practice.sandbox.faults.set("drop", path="/user")
    window = make_window(accounts, "Dept")
    qtbot.waitUntil(lambda: window.connection_label.text().startswith("Offline"), timeout=10_000)
    assert window.connection_label.text() == "Offline: Mailjet not reachable"
    assert not window.connection.connected
    window.connection.refresh()
    qtbot.waitUntil(lambda: window.connection_label.text() == "Connected: Dept", timeout=10_000)
    memory_keyring.entries.clear()  # the keys vanished from the keyring
    window.connection.refresh()
    qtbot.waitUntil(lambda: window.connection_label.text() == "Offline: no keys", timeout=10_000)


def test_no_keyring_is_said_plainly(
    qtbot: QtBot, make_window: MakeWindow, app_paths: AppPaths, tmp_path: Path
) -> None:
    from keyring.backends import fail

    accounts = Accounts(
        ProfileBook(app_paths.config / "profiles.json"),
        CredentialStore(fail.Keyring()),  # type: ignore[no-untyped-call]
    )
    dialog = open_dialog(make_window(accounts, "Dept"))
    assert "no password store" in dialog.keyring_label.text()
    assert "only until mjdesk closes" in dialog.keyring_label.text()
