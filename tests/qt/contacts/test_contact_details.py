"""The details panel: double-click or Enter on a contact shows the proof of its consent."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from mjdesk.core.changes import IMPORTED
from mjdesk.ui.shell.main_window import MainWindow

from support.importing import MIXED, run_import

OpenWindow = Callable[..., MainWindow]


def test_enter_on_a_contact_shows_the_proof_of_its_consent(
    qtbot: QtBot, open_window: OpenWindow
) -> None:
    window = open_window()
    run_import(window.workspace, MIXED)
    window.events.announce(IMPORTED)
    page = window.contacts_page
    qtbot.waitUntil(lambda: page.model.rowCount() > 1)
    table = page.table
    count = page.model.rowCount()
    row = next(r for r in range(count) if page.model.index(r, 0).data() == "new@example.org")
    table.setFocus()
    table.setCurrentIndex(page.model.index(row, 0))
    qtbot.keyClick(table, Qt.Key.Key_Return)
    details = page.details
    assert details is not None
    qtbot.waitUntil(lambda: "people.csv" in details.text.toPlainText(), timeout=5_000)
    text = details.text.toPlainText()
    assert details.isVisible()
    assert "Consent: Granted" in text
    assert "SHA-256" in text
    assert "Import of people.csv" in text  # its history
    assert "team" in text  # an imported property
    qtbot.keyClick(details.text, Qt.Key.Key_Escape)
    assert not details.isVisible()
    # A double-click on another contact opens it again, on that one.
    other = next(r for r in range(count) if r != row)
    rect = table.visualRect(page.model.index(other, 0))
    # A real double-click: press and release, then the double-click event.
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(details.isVisible)
    shown = page.model.index(other, 0).data()
    qtbot.waitUntil(lambda: shown in details.text.toPlainText(), timeout=5_000)
