"""The small modal dialogs every feature asks through."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from mjdesk.ui.common import dialogs

LONG = (
    "Your organisation's e-mail domains, separated by commas. Addresses at a misspelling of "
    "one of them (yrok.ac.uk for york.ac.uk) are held back in an import, with the fix offered."
)


def _answer(qtbot: QtBot, seen: list[int], text: str | None) -> None:
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, QDialog)
    seen.append(dialog.width())
    if text is None:
        dialog.reject()
        return
    field = dialog.findChild(QLineEdit)
    assert field is not None
    field.setText(text)
    dialog.accept()


def test_ask_text_wraps_a_long_explanation_and_returns_the_text(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    widths: list[int] = []
    QTimer.singleShot(0, lambda: _answer(qtbot, widths, "york.ac.uk"))
    assert dialogs.ask_text(parent, "Organisation domains", LONG, "") == "york.ac.uk"
    assert widths
    assert widths[0] <= 600  # not a thousand pixels for one field
    QTimer.singleShot(0, lambda: _answer(qtbot, widths, None))
    assert dialogs.ask_text(parent, "Organisation domains", LONG, "x") is None


def test_a_missing_file_is_said_in_words(tmp_path: Path) -> None:
    from mjdesk.ui.common.errors import error_text

    missing = tmp_path / "nosuchfile.csv"
    try:
        missing.open()
    except FileNotFoundError as exc:
        text = error_text(exc, missing)
    assert text == "nosuchfile.csv: there is no such file. Check the name and the folder."
    assert "Errno" not in text


def test_dialogs_start_in_a_folder_that_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import QStandardPaths

    from mjdesk.core.settings import Settings

    monkeypatch.setattr(QStandardPaths, "writableLocation", lambda _w: str(tmp_path / "gone"))
    settings = Settings()
    assert dialogs.start_folder(settings, "sources") == Path.home()  # not a missing folder
    assert dialogs.start_folder(settings, "reports", near=tmp_path) == tmp_path
    settings.remember_folder("reports", tmp_path)
    assert dialogs.start_folder(settings, "reports", near=Path.home()) == tmp_path
