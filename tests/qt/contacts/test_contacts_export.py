"""Export… on the Contacts page: the dialog opened for a query, its column tick boxes, the file
written off the GUI thread where the user chose, and the dialog saying where it went."""

from __future__ import annotations

import csv
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from mjdesk.core import export_contacts as core_export
from mjdesk.core.contacts import ConsentRecord, ContactQuery, NewContact, add_contacts
from mjdesk.core.filters import ContactFilter, stale_before
from mjdesk.core.flags import refresh_flags
from mjdesk.ui.common import dialogs
from mjdesk.ui.contacts.export import ExportDialog, export_contacts
from mjdesk.ui.shell.main_window import MainWindow

OpenWindow = Callable[..., MainWindow]


def _fill(window: MainWindow) -> None:
    recent = stale_before(1)
    people = [
        NewContact("ann@x.org", "Ann", "Archer", consent=ConsentRecord("granted", recent, "f.csv")),
        NewContact("gone@x.org", "=Gil", "Gone", consent=ConsentRecord("withdrawn", recent)),
        NewContact("info@x.org", consent=ConsentRecord("withdrawn", recent)),
    ]
    with window.workspace.transaction() as con:
        add_contacts(con, people, actor="t")
        refresh_flags(con)


def _tick(qtbot: QtBot, dialog: ExportDialog, key: str) -> None:
    """Click the tick box itself (a wide box's middle may lie past its label)."""
    box = dialog.boxes[key]
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(6, box.height() // 2))


def test_the_shown_contacts_are_exported_with_the_ticked_columns(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window()
    _fill(window)
    query = ContactQuery(
        filter=ContactFilter(consent=frozenset({"withdrawn"})), cutoff=stale_before(24)
    )
    dialog = export_contacts(window.host, query, window)
    assert dialog.isVisible()
    ticked = [key for key, box in dialog.boxes.items() if box.isChecked()]
    assert ticked == ["email", "first_name", "last_name", "consent", "consent_date"]
    _tick(qtbot, dialog, "last_name")
    _tick(qtbot, dialog, "consent_date")
    _tick(qtbot, dialog, "flags")
    asked: list[tuple[str, str]] = []

    def ask(_parent: object, _title: str, suggested: str, _filters: str, **kw: str) -> Path:
        asked.append((suggested, kw["kind"]))
        return tmp_path / "withdrawn.csv"

    threads: list[str] = []
    real = core_export.export_contacts

    def spy(*args: object, **kw: object) -> core_export.ExportResult:
        threads.append(threading.current_thread().name)
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(dialogs, "ask_save_file", ask)
    monkeypatch.setattr("mjdesk.ui.contacts.export.write_export", spy)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Exported" in dialog.outcome.text(), timeout=10_000)
    assert dialog.outcome.text() == f"Exported 2 contacts to withdrawn.csv in {tmp_path}."
    assert asked[0][1] == "exports"
    assert asked[0][0].endswith(".xlsx")
    assert threads
    assert threads[0] != threading.main_thread().name
    with (tmp_path / "withdrawn.csv").open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows == [
        ["Email", "First name", "Consent", "Flags"],
        ["gone@x.org", "'=Gil", "Withdrawn", ""],
        ["info@x.org", "", "Withdrawn", "Role address"],
    ]
    assert window.workspace.fetch("SELECT action, count FROM activity") == [("export", 2)]
    assert dialog.export_button.isEnabled()
    dialog.reject()


def test_no_column_no_export_and_a_refusal_is_said(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window()
    _fill(window)
    dialog = export_contacts(window.host, ContactQuery(cutoff=stale_before(24)), window)
    for key in ("email", "first_name", "last_name", "consent", "consent_date"):
        _tick(qtbot, dialog, key)
    assert not dialog.export_button.isEnabled()
    _tick(qtbot, dialog, "email")
    monkeypatch.setattr(dialogs, "ask_save_file", lambda *_a, **_k: tmp_path / "no" / "x")
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "does not exist" in dialog.outcome.text(), timeout=10_000)
    assert not (tmp_path / "no").exists()
    dialog.reject()
