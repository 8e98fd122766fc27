"""The contacts model under Qt's model tester, on a plain listing and on a search."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from mjdesk.core.contacts import ContactQuery, SortKey
from mjdesk.core.workspace import Workspace
from mjdesk.ui.common.tasks import TaskRunner
from mjdesk.ui.contacts.model import COLUMNS, ContactsModel


@pytest.fixture
def model(qtbot: QtBot, tmp_path: Path, samples: Callable[[int], Path]) -> Iterator[ContactsModel]:
    source = samples(2_000)
    target = tmp_path / "w.sqlite3"
    target.write_bytes(source.read_bytes())
    ws = Workspace.open(target)
    runner = TaskRunner()
    contacts = ContactsModel(ws.reader, ws.reading, runner)
    yield contacts
    assert runner.shutdown()
    contacts.close()
    ws.close()


def test_model_passes_qt_model_tester(model: ContactsModel, qtmodeltester: ModelTester) -> None:
    model.set_query(ContactQuery())
    assert model.rowCount() == 2_000
    qtmodeltester.check(model, force_py=True)


def test_model_passes_qt_model_tester_on_a_search(
    qtbot: QtBot, model: ContactsModel, qtmodeltester: ModelTester
) -> None:
    with qtbot.waitSignal(model.viewChanged, timeout=5_000) as blocker:
        model.set_query(ContactQuery("york", SortKey.NAME, descending=True))
    total = blocker.args[0]
    assert 0 < total < 2_000
    assert model.rowCount() == total
    qtmodeltester.check(model, force_py=True)


def test_sort_through_the_model_orders_rows(qtbot: QtBot, model: ContactsModel) -> None:
    model.set_query(ContactQuery())
    name_column = [c[0] for c in COLUMNS].index("Name")
    model.sort(name_column, Qt.SortOrder.DescendingOrder)
    assert model.query.sort is SortKey.NAME
    assert model.query.descending
    rows = [model.row_at(i) for i in range(model.rowCount())]
    keys = [(r.last_name.lower(), r.first_name.lower()) for r in rows if r is not None]
    assert len(keys) == 2_000
    ascii_keys = [k for k in keys if k[0].isascii() and k[1].isascii()]
    assert ascii_keys == sorted(ascii_keys, reverse=True)


def test_last_row_and_display_texts(model: ContactsModel) -> None:
    model.set_query(ContactQuery())
    last = model.index(model.rowCount() - 1, 0)
    assert "@" in model.data(last)
    consent = model.index(0, 2)
    assert model.data(consent) in {"Granted", "Withdrawn", "No consent"}
    assert model.data(model.index(0, 0), Qt.ItemDataRole.DecorationRole) is None
    colours = {
        model.data(model.index(r, 2)): model.data(model.index(r, 2), Qt.ItemDataRole.ForegroundRole)
        for r in range(300)
    }
    assert colours["Granted"].name() == "#1b7f3b"
    assert colours["Withdrawn"].name() == "#b3261e"
    assert colours["No consent"] is None
    assert model.data(model.index(0, 0), Qt.ItemDataRole.ForegroundRole) is None
    assert model.data(QModelIndex()) is None
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Email"


def test_edited_contacts_are_read_again_in_place(
    qtbot: QtBot, tmp_path: Path, samples: Callable[[int], Path], qtmodeltester: ModelTester
) -> None:
    """A change broadcast naming edited contacts refreshes just their rows: no reset, the
    view keeps its place, and the new values show."""
    from mjdesk.core.changes import Changes
    from mjdesk.ui.common.changes import WorkspaceEvents
    from mjdesk.ui.contacts.page import ContactsPage

    target = tmp_path / "w.sqlite3"
    target.write_bytes(samples(500).read_bytes())
    ws = Workspace.open(target)
    runner = TaskRunner()
    events = WorkspaceEvents()
    model = ContactsModel(ws.reader, ws.reading, runner)
    page = ContactsPage(model, events)
    qtbot.addWidget(page)
    model.set_query(ContactQuery())
    row = model.row_at(3)
    assert row is not None
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    with ws.transaction() as con:
        con.execute("UPDATE contacts SET first_name = 'Zebedee' WHERE id = ?", (row.id,))
    assert model.row_at(3) == row  # cached until told
    with qtbot.waitSignal(model.dataChanged, timeout=2_000):
        events.announce(Changes.edited([row.id]))
    refreshed = model.row_at(3)
    assert refreshed is not None
    assert refreshed.id == row.id
    assert refreshed.first_name == "Zebedee"
    assert not resets
    qtmodeltester.check(model, force_py=True)
    assert runner.shutdown()
    model.close()
    ws.close()
