"""Practice mode: the Practice profile on an in-process sandbox, marked in the window; the
welcome panel's offer; ``mjdesk --sandbox``; switching profiles reopens the window."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from mjdesk.core.paths import AppPaths
from mjdesk.core.profiles import PRACTICE_PROFILE, ProfileBook
from mjdesk.core.settings import Settings
from mjdesk.core.workspace import Workspace
from mjdesk.mailjet.accounts import Accounts
from mjdesk.mailjet.credentials import CredentialStore
from mjdesk.ui.shell.main_window import MainWindow
from mjdesk.ui.shell.practice import BANNER_TEXT, PracticeSession


def sandbox_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "mjdesk-sandbox"]


@pytest.fixture
def session() -> Iterator[PracticeSession]:
    running = PracticeSession(seeded=False).start()
    try:
        yield running
    finally:
        running.stop()
    assert not sandbox_threads()


@pytest.fixture
def accounts(app_paths: AppPaths) -> Accounts:
    return Accounts(ProfileBook(app_paths.config / "profiles.json"), CredentialStore())


def run_driven(drive: Callable[[], None], args: argparse.Namespace, paths: AppPaths) -> int:
    """The app's loop (`run_gui`), with ``drive`` called every 50 ms to act as the user, and
    a guard that ends it after 30 s."""
    from mjdesk.app import run_gui

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    driver = QTimer()
    driver.timeout.connect(drive)
    driver.start(50)
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(app.quit)
    guard.start(30_000)
    try:
        return run_gui(args, paths)
    finally:
        driver.stop()
        guard.stop()


def window_on(qtbot: QtBot, paths: AppPaths, accounts: Accounts, profile: str) -> MainWindow:
    workspace = Workspace.open(paths.workspace_file(profile))
    window = MainWindow(
        workspace, paths, Settings.load(paths.settings_file), profile, accounts=accounts
    )
    qtbot.addWidget(window)
    window.destroyed.connect(workspace.close)
    return window


def test_practice_window_is_marked_and_connected(
    qtbot: QtBot, app_paths: AppPaths, accounts: Accounts, session: PracticeSession
) -> None:
    window = window_on(qtbot, app_paths, accounts.practising(session), PRACTICE_PROFILE)
    with qtbot.waitSignal(window.ready, timeout=10_000):
        window.show()
    try:
        assert window.practice
        assert "Practice" in window.windowTitle()
        assert "nothing is sent" in window.windowTitle()
        assert window.practice_banner.isVisible()
        assert window.practice_banner.text() == BANNER_TEXT
        assert window.practice_banner.accessibleName() == "Practice mode"
        qtbot.waitUntil(
            lambda: window.connection_label.text() == "Connected: Practice", timeout=10_000
        )
        assert "nothing is sent" in window.connection_label.toolTip()
        assert not window.offers_practice()
        client = window.accounts.client_for(PRACTICE_PROFILE)
        assert client is not None
        with client:
            assert client.api_url == session.url
            assert client.count("contactslist") == 0
        window.save_layout()
        assert Settings.load(app_paths.settings_file).last_profile != PRACTICE_PROFILE
    finally:
        window.close()
        window.workspace.close()


def test_the_seeded_sandbox_has_the_department(app_paths: AppPaths, accounts: Accounts) -> None:
    seeded = PracticeSession().start()
    try:
        client = accounts.practising(seeded).client_for(PRACTICE_PROFILE)
        assert client is not None
        with client:
            assert client.count("contactslist") == 3
            assert client.count("contact") > 4_000
    finally:
        seeded.stop()
    assert not seeded.running
    assert not sandbox_threads()


def test_the_welcome_offers_practice_to_a_user_without_an_account(
    qtbot: QtBot, app_paths: AppPaths, accounts: Accounts
) -> None:
    window = window_on(qtbot, app_paths, accounts, "Default")
    with qtbot.waitSignal(window.ready, timeout=10_000):
        window.show()
    try:
        welcome = window.contacts_page.welcome
        assert welcome.isVisible()
        assert welcome.practice_button.isVisible()
        with qtbot.waitSignal(window.switchProfileRequested, timeout=2_000) as asked:
            qtbot.mouseClick(welcome.practice_button, Qt.MouseButton.LeftButton)
        assert asked.args == [PRACTICE_PROFILE]
    finally:
        window.close()
        window.workspace.close()

    accounts.book.add("Dept")
    second = window_on(qtbot, app_paths, accounts, "Other")
    with qtbot.waitSignal(second.ready, timeout=10_000):
        second.show()
    try:
        assert second.contacts_page.welcome.isVisible()
        assert not second.contacts_page.welcome.practice_button.isVisible()
    finally:
        second.close()
        second.workspace.close()


# run_gui sets the rounding policy for a QApplication it would create; here pytest-qt's exists.
@pytest.mark.qt_log_ignore("setHighDpiScaleFactorRoundingPolicy must be called before")
def test_switching_reopens_the_window_on_the_other_profile(app_paths: AppPaths) -> None:
    """The app's loop: Default → (welcome's offer) Practice with its sandbox → quit."""
    from mjdesk.app import build_parser

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    args: argparse.Namespace = build_parser().parse_args([])  # paths are passed to run_gui
    seen: list[tuple[str, bool, str]] = []

    def drive() -> None:
        shown = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if len(shown) != 1:
            return
        window = shown[0]
        if window.profile == "Default" and not seen:
            seen.append((window.profile, window.practice, window.windowTitle()))
            window.start_practice()
        elif window.profile == PRACTICE_PROFILE and window.connection.connected and len(seen) == 1:
            seen.append((window.profile, window.practice, window.windowTitle()))
            window.close()

    assert run_driven(drive, args, app_paths) == 0
    assert [(p, practising) for p, practising, _title in seen] == [
        ("Default", False),
        (PRACTICE_PROFILE, True),
    ]
    assert "nothing is sent" in seen[1][2]
    assert not sandbox_threads()
    assert Settings.load(app_paths.settings_file).last_profile == "Default"


def test_mjdesk_sandbox_opens_practice_and_stops_it(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mjdesk",
            "--data-dir",
            str(tmp_path),
            "--sandbox",
            "--exit-when-ready",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "main window ready" in done.stdout
    assert (tmp_path / "data" / "workspaces" / "Practice.sqlite3").exists()
    log = (tmp_path / "logs" / "mjdesk.log").read_text(encoding="utf-8")
    assert "Practice sandbox started at http://127.0.0.1:" in log
    assert "Practice sandbox stopped" in log


def test_practice_shows_in_accounts_and_can_be_left(
    qtbot: QtBot, app_paths: AppPaths, accounts: Accounts, session: PracticeSession
) -> None:
    settings = Settings(last_profile="Dept")
    settings.save(app_paths.settings_file)
    window = window_on(qtbot, app_paths, accounts.practising(session), PRACTICE_PROFILE)
    with qtbot.waitSignal(window.ready, timeout=10_000):
        window.show()
    try:
        file_items = [a.text() for a in window.file_menu.actions()]
        assert "&Leave Practice" in file_items
        dialog = window.open_accounts()
        texts = [dialog.list.item(i).text() for i in range(dialog.list.count())]
        assert texts == ["Practice — the practice sandbox on this computer (open now)"]
        assert dialog.selected == PRACTICE_PROFILE
        assert not dialog.edit_button.isEnabled()
        assert not dialog.remove_button.isEnabled()
        assert dialog.leave_button.isVisible()
        with qtbot.waitSignal(window.switchProfileRequested, timeout=2_000) as switch:
            qtbot.mouseClick(dialog.leave_button, Qt.MouseButton.LeftButton)
        assert switch.args == ["Dept"]  # back to the user's own profile
        with qtbot.waitSignal(window.switchProfileRequested, timeout=2_000) as again:
            window.leave_action.trigger()
        assert again.args == ["Dept"]
    finally:
        window.close()
        window.workspace.close()


def test_leaving_practice_for_a_profile_open_elsewhere_stays_in_practice(
    app_paths: AppPaths,
) -> None:
    """The other profile's workspace is held by another mjdesk: leaving practice says so and
    the practice window comes back, instead of the app closing."""
    from PySide6.QtWidgets import QMessageBox

    from mjdesk.app import build_parser

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    args: argparse.Namespace = build_parser().parse_args(["--sandbox"])
    held = Workspace.open(app_paths.workspace_file("Default"))  # "another mjdesk"
    seen: list[str] = []

    def drive() -> None:
        modal = QApplication.activeModalWidget()
        if isinstance(modal, QMessageBox):
            seen.append(modal.text())
            modal.accept()
            return
        shown = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if len(shown) != 1 or not shown[0].connection.connected:
            return
        window = shown[0]
        if window.profile == PRACTICE_PROFILE and not seen:
            seen.append("practice")
            window.leave_practice()
        elif window.profile == PRACTICE_PROFILE and len(seen) == 2:
            seen.append("practice again")
            window.close()

    try:
        assert run_driven(drive, args, app_paths) == 0
    finally:
        held.close()
    assert seen[0] == "practice"
    assert "open in another mjdesk" in seen[1]
    assert seen[2] == "practice again"
    assert not sandbox_threads()


def test_the_practice_lists_are_pulled_from_its_sandbox(
    qtbot: QtBot, app_paths: AppPaths, accounts: Accounts
) -> None:
    from mjdesk.sandbox.practice_workspace import fill_practice_workspace

    seeded = PracticeSession().start()
    try:
        with Workspace.open(app_paths.workspace_file(PRACTICE_PROFILE)) as workspace:
            fill_practice_workspace(workspace)
        window = window_on(qtbot, app_paths, accounts.practising(seeded), PRACTICE_PROFILE)
        with qtbot.waitSignal(window.ready, timeout=10_000):
            window.show()
        page = window.sync_page
        qtbot.waitUntil(lambda: page.status.text() != "", timeout=30_000)
        assert page.status.text() == "Pulled 3 lists from Mailjet."
        linked = window.workspace.fetch(
            "SELECT count(*) FROM lists WHERE mailjet_id IS NOT NULL AND pulled_at IS NOT NULL"
        )
        assert linked == [(3,)]
        unsubscribed = window.workspace.fetch(
            "SELECT count(*) FROM memberships WHERE mailjet_status = 'unsubscribed'"
        )
        assert unsubscribed[0][0] > 0
        window.close()
    finally:
        seeded.stop()


def test_the_pretend_mailjet_is_kept_between_runs(
    app_paths: AppPaths, accounts: Accounts, tmp_path: Path
) -> None:
    kept = tmp_path / "practice-mailjet.json"
    first = PracticeSession(state_file=kept).start()
    try:
        client = accounts.practising(first).client_for(PRACTICE_PROFILE)
        assert client is not None
        with client:
            client.create("contactslist", {"Name": "Pushed in practice"})
    finally:
        first.stop()
    again = PracticeSession(state_file=kept).start()
    try:
        client = accounts.practising(again).client_for(PRACTICE_PROFILE)
        assert client is not None
        with client:
            assert client.count("contactslist") == 4  # (the three seeded, and ours)
    finally:
        again.stop()
