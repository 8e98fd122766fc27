"""The secret key leaks nowhere: add an account with a known secret, verify it, make calls fail,
crash, then search every file mjdesk wrote (data, config, logs) and everything it printed."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from mjdesk.core.logs import setup_logging
from mjdesk.core.paths import AppPaths
from mjdesk.core.profiles import ProfileBook
from mjdesk.core.settings import Settings
from mjdesk.core.workspace import Workspace
from mjdesk.mailjet import errors
from mjdesk.mailjet.accounts import Accounts
from mjdesk.mailjet.credentials import SERVICE, Credentials, CredentialStore
from mjdesk.sandbox.server import Sandbox
from mjdesk.ui.accounts.dialog import AccountsDialog
from mjdesk.ui.shell.crash_dialog import CrashDialog
from mjdesk.ui.shell.crash_handler import CrashHandler
from mjdesk.ui.shell.main_window import MainWindow

from support.memory_keyring import MemoryKeyring

API_KEY = "c0ffee00c0ffee00c0ffee00c0ffee00"
SECRET = "LeakCanary9f8e7d6c5b4a3928171605"
KEYS = Credentials(API_KEY, SECRET)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    running = Sandbox().start()
    running.store.add_account("Leak test", API_KEY, SECRET)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def app_logging(app_paths: AppPaths, capfd: pytest.CaptureFixture[str]) -> Iterator[None]:
    """The app's own logging: file and console (DEBUG, so request lines are written too)."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    setup_logging(app_paths.log_file, level=logging.DEBUG, console=True)
    for handler in root.handlers:
        if type(handler) is logging.StreamHandler:
            # The process's real stderr (file descriptor 2), which capfd captures.
            handler.setStream(sys.__stderr__)
    try:
        yield
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(level)
        logging.captureWarnings(False)


def leaks(data: bytes) -> list[str]:
    token = KEYS.basic_token()
    found = []
    for name, form in (("secret", SECRET), ("base64", token), ("base64-unpadded", token[:-2])):
        if form.encode() in data or form.encode("utf-16-le") in data:
            found.append(name)
    return found


@pytest.mark.usefixtures("app_logging")
def test_the_secret_is_in_no_file_log_dialog_or_output(
    qtbot: QtBot,
    app_paths: AppPaths,
    sandbox: Sandbox,
    memory_keyring: MemoryKeyring,
    capfd: pytest.CaptureFixture[str],
) -> None:
    accounts = Accounts(
        ProfileBook(app_paths.config / "profiles.json"), CredentialStore(), api_url=sandbox.url
    )
    settings = Settings.load(app_paths.settings_file)
    workspace = Workspace.open(app_paths.workspace_file("Leak"))
    window = MainWindow(workspace, app_paths, settings, "Leak", accounts=accounts)
    qtbot.addWidget(window)
    window.show()
    shown: list[CrashDialog] = []
    crash = CrashHandler(app_paths.log_file, lambda: window, lambda: None)

    def ask(dialog: CrashDialog) -> int:
        shown.append(dialog)
        return 1  # "Continue"

    crash.ask = ask
    try:
        # 1. Add the account and verify it, as a user would.
        dialog = window.open_accounts()
        assert isinstance(dialog, AccountsDialog)
        qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
        editor = dialog.editor
        assert editor is not None
        qtbot.keyClicks(editor.key_edit, API_KEY)
        qtbot.keyClicks(editor.secret_edit, SECRET)
        with qtbot.waitSignal(editor.saved, timeout=10_000):
            qtbot.mouseClick(editor.verify_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.connection.connected, timeout=10_000)
        assert (SERVICE, "Leak") in memory_keyring.entries  # the keyring is where it lives

        # 2. Make calls fail: refused keys, a server error, a dropped connection.
        logger = logging.getLogger("mjdesk.test")
        client = accounts.client_for("Leak")
        assert client is not None
        with client:
            sandbox.faults.set("500", method="POST")
            with pytest.raises(errors.ServerError) as failed:
                client.create("contactslist", {"Name": "Leak list"})
            logger.exception("Call failed: %r", failed.value)
            with pytest.raises(errors.InvalidRequest) as invalid:
                client.create("contact", {"Email": ""})
            logger.error("Call failed: %s %r", invalid.value, invalid.value)
        sandbox.faults.set("drop", path="/user")
        window.connection.refresh()
        qtbot.waitUntil(
            lambda: window.connection_label.text().startswith("Offline"), timeout=10_000
        )
        assert dialog.editor is None
        qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
        assert dialog.editor is not None
        qtbot.keyClicks(dialog.editor.name_edit, "Leak again")
        qtbot.keyClicks(dialog.editor.key_edit, API_KEY)
        qtbot.keyClicks(dialog.editor.secret_edit, SECRET + "x")  # refused
        qtbot.mouseClick(dialog.editor.verify_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: dialog.editor is not None and not dialog.editor.busy, timeout=10_000
        )
        assert "did not accept" in dialog.editor.message.text()

        # 3. Something breaks with the secret in the exception's text.
        token = KEYS.basic_token()
        try:
            raise RuntimeError(f"request failed: auth {API_KEY}:{SECRET} Authorization: {token}")
        except RuntimeError:
            crash.handle(*sys.exc_info())
        qtbot.waitUntil(lambda: bool(shown), timeout=5_000)
        crash_dialog = shown[0]
        on_screen = [crash_dialog.details, crash_dialog.windowTitle()]
        for widget in QApplication.topLevelWidgets():
            on_screen.append(widget.windowTitle())
            for label in widget.findChildren(QLabel):
                on_screen.append(label.text())
                on_screen.append(label.toolTip())
            on_screen.append(widget.toolTip())
        for text in on_screen:
            assert not leaks(text.encode()), text
        assert "[redacted]" in crash_dialog.details
        crash_dialog.close()
        dialog.reject()
    finally:
        window.close()
        workspace.close()
        for handler in logging.getLogger().handlers:
            handler.flush()

    # 4. Every file under the data, config and log folders, and all that was printed.
    files = [p for root in app_paths for p in Path(root).rglob("*") if p.is_file()]
    assert app_paths.log_file in files
    assert app_paths.config / "profiles.json" in files
    assert any(p.suffix == ".sqlite3" for p in files)
    log_text = app_paths.log_file.read_text(encoding="utf-8")
    assert "Unexpected error" in log_text
    assert "[redacted]" in log_text
    assert "GET " in log_text  # DEBUG request lines were written
    for path in files:
        assert not leaks(path.read_bytes()), path
    printed = capfd.readouterr()
    assert "Unexpected error" in printed.err  # the console log was on
    assert not leaks(printed.out.encode()), printed.out
    assert not leaks(printed.err.encode()), printed.err
