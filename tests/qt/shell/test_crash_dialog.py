"""An unexpected error shows a dialog with the message and "Copy details", and is logged."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from mjdesk.core.logs import register_secret
from mjdesk.ui.shell.crash_dialog import CrashDialog
from mjdesk.ui.shell.crash_handler import CrashHandler


def make_handler(qtbot: QtBot, answer: QDialog.DialogCode) -> tuple[CrashHandler, list[object]]:
    seen: list[object] = []
    handler = CrashHandler(Path("/tmp/mjdesk.log"), lambda: None, lambda: seen.append("quit"))

    def ask(dialog: CrashDialog) -> int:
        qtbot.addWidget(dialog)
        seen.append(dialog)
        dialog.show()
        qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
        return answer

    handler.ask = ask
    return handler, seen


def test_the_dialog_shows_redacted_details_and_copies_them(qtbot: QtBot) -> None:
    register_secret("crash-secret-4242")
    handler, seen = make_handler(qtbot, QDialog.DialogCode.Accepted)
    try:
        raise RuntimeError("request failed with crash-secret-4242")
    except RuntimeError:
        handler.handle(*sys.exc_info())
    qtbot.waitUntil(lambda: len(seen) == 1)
    dialog = seen[0]
    assert isinstance(dialog, CrashDialog)
    assert "RuntimeError" in dialog.details
    assert "crash-secret-4242" not in dialog.details
    assert QGuiApplication.clipboard().text() == dialog.details
    assert dialog.copy_button.text() == "Copied"
    assert "quit" not in seen


def test_quit_from_the_dialog_and_errors_from_threads(qtbot: QtBot) -> None:
    handler, seen = make_handler(qtbot, QDialog.DialogCode.Rejected)
    handler.install()
    try:
        worker = threading.Thread(target=lambda: 1 / 0)
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: "quit" in seen)
    finally:
        handler.uninstall()
    dialog = seen[0]
    assert isinstance(dialog, CrashDialog)
    assert "ZeroDivisionError" in dialog.details
    assert sys.excepthook is not handler.handle


def test_a_damaged_workspace_is_said_plainly_and_once(qtbot: QtBot) -> None:
    import sqlite3

    from mjdesk.ui.shell.crash_handler import DAMAGED_SUMMARY

    handler, seen = make_handler(qtbot, QDialog.DialogCode.Accepted)
    for _ in range(3):  # every page that reads a damaged page meets the same error
        try:
            raise sqlite3.DatabaseError("database disk image is malformed")
        except sqlite3.DatabaseError as exc:
            handler.handle(type(exc), exc, exc.__traceback__)
    qtbot.waitUntil(lambda: len(seen) >= 1)
    qtbot.wait(50)
    dialogs = [d for d in seen if isinstance(d, CrashDialog)]
    assert len(dialogs) == 1
    assert DAMAGED_SUMMARY in dialogs[0].message.text()
