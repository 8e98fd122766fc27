"""Help > About mjdesk: what it says, and its Open buttons."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from pytestqt.qtbot import QtBot

from mjdesk import __version__
from mjdesk.core.about import FROM_SOURCE
from mjdesk.core.paths import AppPaths
from mjdesk.ui.shell.about import AboutDialog
from mjdesk.ui.shell.main_window import MainWindow


def test_the_about_box_names_the_version_build_and_folders(
    qtbot: QtBot, app_paths: AppPaths
) -> None:
    dialog = AboutDialog(app_paths)
    qtbot.addWidget(dialog)
    details = dialog.details.text()
    assert f"Version: {__version__}" in details
    assert f"Build: {FROM_SOURCE}" in details  # the tests run from a checkout
    assert "Qt: 6." in details
    assert "Python: 3." in details
    shown = {name: label.text() for name, label in dialog.folders.items()}
    assert shown == {
        "Data": str(app_paths.data),
        "Settings": str(app_paths.config),
        "Logs": str(app_paths.logs),
    }
    notices = dialog.notices.toPlainText()
    assert "(LGPL-3.0-only)" in notices
    assert "mailjet-rest" in notices


def test_an_open_button_opens_its_folder(
    qtbot: QtBot, app_paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", opened.append)
    dialog = AboutDialog(app_paths)
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.open_buttons["Logs"], Qt.MouseButton.LeftButton)
    assert [url.toLocalFile() for url in opened] == [str(app_paths.logs)]
    assert app_paths.logs.is_dir()  # made if a new install had none yet
    qtbot.mouseClick(dialog.open_buttons["Settings"], Qt.MouseButton.LeftButton)
    assert opened[-1].toLocalFile() == str(app_paths.config)


def test_help_about_opens_the_about_box(
    qtbot: QtBot, open_window: Callable[..., MainWindow]
) -> None:
    window = open_window(None)
    window.about_action.trigger()
    dialog = window.findChild(AboutDialog)
    assert isinstance(dialog, AboutDialog)
    qtbot.waitUntil(dialog.isVisible)
    assert str(window.paths.data) == dialog.folders["Data"].text()
    dialog.reject()
    qtbot.waitUntil(lambda: window.findChild(AboutDialog) is None)
