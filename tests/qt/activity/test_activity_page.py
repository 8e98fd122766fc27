"""The Activity page, driven as a user would: View › Activity (Ctrl+4), filters by kind and
words, the export to CSV, and undoing a step from here (or being told why not)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from mjdesk.core.changes import IMPORTED, Changes
from mjdesk.core.workspace import Workspace
from mjdesk.ui.activity.model import ActivityModel
from mjdesk.ui.activity.page import ActivityPage
from mjdesk.ui.common import dialogs
from mjdesk.ui.shell.main_window import MainWindow

from support.importing import MIXED, run_import, seed

OpenWindow = Callable[..., MainWindow]


def fill(ws: Workspace, count: int) -> None:
    """``count`` entries: every third an export by ben, the rest imports by ana."""
    with ws.transaction() as con:
        con.executemany(
            "INSERT INTO activity (at, actor, action, summary, count) VALUES (?, ?, ?, ?, ?)",
            [
                (
                    f"2025-01-{1 + i % 28:02d}T10:00:00Z",
                    "ben" if i % 3 == 0 else "ana",
                    "export" if i % 3 == 0 else "import",
                    f"{'Export' if i % 3 == 0 else 'Import'} of file{i}.csv",
                    i,
                )
                for i in range(count)
            ],
        )


def shown(qtbot: QtBot, window: MainWindow) -> ActivityPage:
    """View › Activity by its shortcut; the page once its entries are read."""
    page = window.activity_page
    with qtbot.waitSignal(page.model.loaded, timeout=5_000):
        qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    assert window.pages.currentWidget() is page
    # The kinds for the filter are read beside the entries.
    qtbot.waitUntil(lambda: page.kind.count() > 1 or not page.model.total, timeout=5_000)
    return page


def column(page: ActivityPage, col: int) -> list[str]:
    model = page.model
    return [model.data(model.index(row, col)) for row in range(model.rowCount())]


def test_the_model_passes_qt_checks_and_pages_on(
    qtbot: QtBot, qtmodeltester: object, open_window: OpenWindow
) -> None:
    window = open_window()
    fill(window.workspace, 450)
    model = ActivityModel(window.workspace.reading, window.runner)
    with qtbot.waitSignal(model.loaded, timeout=5_000) as loaded:
        model.refresh()
    assert loaded.args == [450]
    assert model.rowCount() == 200
    assert model.data(model.index(0, 3)) == "Import of file449.csv"
    assert model.headerData(0, Qt.Orientation.Horizontal) == "When (UTC)"
    qtmodeltester.check(model)  # type: ignore[attr-defined]

    def scrolled_to_the_end() -> bool:
        model.fetchMore()  # as the view asks when scrolled down (none while one is read)
        return model.rowCount() == 450

    qtbot.waitUntil(scrolled_to_the_end, timeout=5_000)
    assert not model.canFetchMore()
    ids = [model.entry(row).id for row in range(450)]  # type: ignore[union-attr]
    assert ids == sorted(set(ids), reverse=True)
    qtmodeltester.check(model)  # type: ignore[attr-defined]


def test_typing_and_the_kind_filter_narrow_the_list(qtbot: QtBot, open_window: OpenWindow) -> None:
    window = open_window()
    fill(window.workspace, 30)
    window.events.announce(Changes(activity=True))
    page = shown(qtbot, window)
    assert page.summary.text() == "30 entries, newest first"
    assert column(page, 3)[0] == "Import of file29.csv"
    with qtbot.waitSignal(page.model.loaded, timeout=5_000):
        qtbot.keyClicks(page.search, "FILE2")
    assert page.summary.text() == "11 entries match"  # file2, file20..file29
    assert all("file2" in text for text in column(page, 3))
    exports = page.kind.findText("Export")
    assert exports > 0
    with qtbot.waitSignal(page.model.loaded, timeout=5_000):
        page.kind.setCurrentIndex(exports)
    assert column(page, 3) == [
        "Export of file27.csv",
        "Export of file24.csv",
        "Export of file21.csv",
    ]
    assert set(column(page, 1)) == {"ben"}
    with qtbot.waitSignal(page.model.loaded, timeout=5_000):
        page.search.clear()
    assert page.summary.text() == "10 entries match"


def test_the_export_writes_what_the_filter_shows(
    qtbot: QtBot, open_window: OpenWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    window = open_window(profile="Dept news")
    fill(window.workspace, 450)
    page = shown(qtbot, window)
    with qtbot.waitSignal(page.model.loaded, timeout=5_000):
        page.kind.setCurrentIndex(page.kind.findText("Import"))
    out = tmp_path / "activity"  # the suffix is added
    monkeypatch.setattr(dialogs, "ask_save_file", lambda *_a, **_k: out)
    with qtbot.waitSignal(page.exported, timeout=5_000) as exported:
        qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    target = tmp_path / "activity.csv"
    assert exported.args == [300, target]
    with target.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == 300  # all of them, not only the pages read so far
    assert {(r["kind"], r["profile"], r["who"]) for r in rows} == {("import", "Dept news", "ana")}
    assert rows[0]["what"] == "Import of file449.csv"
    assert "300 activity entries" in window.statusBar().currentMessage()


def test_an_import_is_undone_from_the_page(
    qtbot: QtBot, open_window: OpenWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window()
    run_import(window.workspace, MIXED)
    window.events.announce(IMPORTED)
    qtbot.waitUntil(lambda: window.contacts_model.view.total == 5, timeout=5_000)
    page = shown(qtbot, window)
    assert column(page, 2) == ["Import"]
    qtbot.waitUntil(page.undo_button.isEnabled, timeout=5_000)
    assert page.note.text() == "This step can be undone."
    asked: list[str] = []

    def ask(_parent: object, _title: str, text: str, _action: str) -> bool:
        asked.append(text)
        return True

    monkeypatch.setattr(dialogs, "ask_confirm", ask)
    with qtbot.waitSignal(page.model.loaded, timeout=10_000):
        qtbot.mouseClick(page.undo_button, Qt.MouseButton.LeftButton)
    assert "Import of people.csv" in asked[0]
    qtbot.waitUntil(lambda: window.contacts_model.view.total == 0, timeout=5_000)
    assert window.workspace.fetch("SELECT count(*) FROM contacts") == [(0,)]
    assert column(page, 2) == ["Undo", "Import"]
    assert column(page, 5)[1].startswith("Undone ")
    page.table.selectRow(1)
    qtbot.waitUntil(lambda: "already undone" in page.note.text(), timeout=5_000)
    assert not page.undo_button.isEnabled()
    assert window.history.redo_action.isEnabled()  # Edit › Redo heard of it too


def test_later_work_keeps_the_button_off_and_says_why(
    qtbot: QtBot, open_window: OpenWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window()
    seed(window.workspace)
    run_import(window.workspace, MIXED)
    run_import(window.workspace, [["new@example.org", "Nina", "New", "yes", "2025-02-01", "B"]])
    page = shown(qtbot, window)
    assert column(page, 2) == ["Import", "Import"]
    page.table.selectRow(1)  # the first import: the second changed one of its contacts
    qtbot.waitUntil(lambda: "Undo that first" in page.note.text(), timeout=5_000)
    assert "1 contact it changed were changed again later" in page.note.text()
    assert not page.undo_button.isEnabled()

    # What only the undo itself finds (a contact it added is now on a list) is told.
    with window.workspace.transaction() as con:
        con.execute("DELETE FROM activity_changes WHERE activity_id = 2")
        con.execute(
            "INSERT INTO memberships (contact_id, list_id, added_at) "
            "SELECT id, 1, '2025-01-01T00:00:00Z' FROM contacts WHERE email_key = ?",
            ("new@example.org",),
        )
    with qtbot.waitSignal(page.undoChecked, timeout=5_000) as checked:
        page.table.selectRow(0)
        page.table.selectRow(1)
    assert checked.args == [True]
    problems: list[str] = []
    monkeypatch.setattr(dialogs, "ask_confirm", lambda *_a: True)
    monkeypatch.setattr(dialogs, "tell_problem", lambda _p, _t, text: problems.append(text))
    before = window.workspace.fetch("SELECT count(*) FROM contacts")
    qtbot.mouseClick(page.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(problems), timeout=5_000)
    assert "put on a list" in problems[0]
    assert window.workspace.fetch("SELECT count(*) FROM contacts") == before
    qtbot.waitUntil(page.undo_button.isEnabled, timeout=5_000)  # checked again, still possible
