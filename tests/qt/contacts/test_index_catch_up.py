"""The index catch-up in the window: a backlog left by a big import (before a restart, or
just now from the wizard) is built in the background while search keeps working."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

import mjdesk.core.indexing as indexing
from mjdesk.core.importing import commit as commit_module
from mjdesk.core.workspace import Workspace
from mjdesk.ui.shell.main_window import MainWindow

from support.importing import run_import

OpenWindow = Callable[..., MainWindow]

PEOPLE = [
    [f"p{i:04d}@example.org", f"Ann{i}", ["Okafor", "Smith"][i % 2], "yes", "", "History"]
    for i in range(400)
]


def own_indexes(ws: Workspace) -> int:
    """The indexes of contacts, their consent summaries and the ledger that a big import
    into them leaves for later (all but the unique ones, which it builds again before it
    commits)."""
    rows = ws.fetch(
        "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('contacts', 'consent_summaries', 'consent_ledger') "
        "AND sql NOT LIKE 'CREATE UNIQUE %'"
    )
    return int(rows[0][0])


def pending(window: MainWindow) -> tuple[int, int]:
    indexes = window.workspace.fetch("SELECT count(*) FROM index_backlog")[0][0]
    ranges = window.workspace.fetch("SELECT count(*) FROM search_backlog")[0][0]
    return indexes, ranges


def test_a_backlog_from_before_a_restart_is_built_in_the_background(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "source.sqlite3"
    with Workspace.open(source) as ws:
        indexes = own_indexes(ws)
        run_import(ws, PEOPLE, bulk=True)
        assert ws.fetch("SELECT count(*) FROM search_backlog") == [(1,)]
        # every index of contacts and of the ledger, built once after the import
        assert ws.fetch("SELECT count(*) FROM index_backlog") == [(indexes,)]
    monkeypatch.setattr(indexing, "SEARCH_CHUNK", 50)  # several steps
    window = open_window(source)
    catch_up = window.indexing
    qtbot.waitUntil(lambda: not catch_up.running, timeout=15_000)
    assert pending(window) == (0, 0)
    # The status bar followed it to the end, and hides when done.
    total = indexes * indexing.index_weight(400) + 400
    assert (catch_up.bar.maximum(), catch_up.bar.value()) == (total, total)
    assert not catch_up.bar.isVisible()
    assert not catch_up.label.isVisible()
    assert catch_up.bar.accessibleName() == "Indexing progress"
    assert window.workspace.fetch(
        "SELECT count(*) FROM contacts_search WHERE contacts_search MATCH '\"okafor\"'"
    ) == [(200,)]


def test_an_import_from_the_wizard_is_searchable_at_once_and_indexed_after(
    qtbot: QtBot, open_window: OpenWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(commit_module, "BULK_ROWS", 100)
    monkeypatch.setattr(indexing, "SEARCH_CHUNK", 50)
    window = open_window()
    indexes = own_indexes(window.workspace)
    started: list[bool] = []
    window.indexing.finished.connect(lambda: started.append(True))
    # As the wizard's commit ends: the controller hears of the import and starts the catch-up.
    result, _plan = run_import(window.workspace, PEOPLE, bulk=None)
    assert pending(window)[1] == 1  # the bulk path left the search index for later
    shown: list[int] = []
    window.indexing.bar.valueChanged.connect(shown.append)
    window.imports._committed(result)
    assert window.indexing.running
    window.contacts_page.search.setText("okafor")  # searched while indexing
    qtbot.waitUntil(lambda: window.contacts_model.rowCount() == 200, timeout=10_000)
    qtbot.waitUntil(lambda: bool(started), timeout=15_000)
    assert pending(window) == (0, 0)
    assert shown == sorted(shown)
    assert len(shown) > 5
    assert shown[-1] == indexes * indexing.index_weight(400) + 400
    window.contacts_page.search.setText("smith ann1")
    qtbot.waitUntil(lambda: window.contacts_model.rowCount() == 56, timeout=10_000)
