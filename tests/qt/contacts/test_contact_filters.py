"""The Contacts page's filter panel: ticking choices narrows the table, counts follow, a
search narrows further, "select all N matching" takes the whole result, and columns can
be chosen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from mjdesk.core.changes import Changes
from mjdesk.core.contacts import ConsentRecord, NewContact, add_contacts
from mjdesk.core.filters import Facet
from mjdesk.core.flags import refresh_flags
from mjdesk.core.journal import record_activity
from mjdesk.core.workspace import Workspace
from mjdesk.ui.contacts.filters import FilterPanel
from mjdesk.ui.contacts.model import COLUMNS
from mjdesk.ui.shell.main_window import MainWindow

OpenWindow = Callable[..., MainWindow]


def _granted(at: str) -> ConsentRecord:
    return ConsentRecord("granted", at, "form.csv", wording="Yes please")


def _workspace(path: Path) -> Path:
    people = [
        NewContact("fay.fresh@york.ac.uk", "Fay", "Fresh", consent=_granted("2026-06-01")),
        NewContact("otto.old@york.ac.uk", "Otto", "Old", consent=_granted("2020-01-01")),
        NewContact("info@york.ac.uk", consent=_granted("2026-02-01")),
        NewContact("gone@york.ac.uk", consent=ConsentRecord("withdrawn", "2026-01-01")),
        NewContact("never@gmial.com", "Nev", "Er"),
    ] + [NewContact(f"member{n}@york.ac.uk", consent=_granted("2026-05-01")) for n in range(20)]
    with Workspace.open(path) as ws, ws.transaction() as con:
        add_contacts(con, people, actor="t")
        con.execute("INSERT INTO lists (name, created_at) VALUES ('News', 'n')")
        con.execute(
            "INSERT INTO memberships (contact_id, list_id, added_at) "
            "SELECT id, 1, 'n' FROM contacts WHERE email LIKE 'member%' OR id = 2"
        )
        refresh_flags(con)
    return path


def _emails(window: MainWindow) -> set[str]:
    model = window.contacts_model
    return {model.index(r, 0).data() for r in range(model.rowCount())}


def _counted(qtbot: QtBot, panel: FilterPanel, facet: Facet, value: object) -> int:
    qtbot.waitUntil(lambda: panel.note.text() == "", timeout=5_000)
    choice = panel.choice(facet, value)
    assert choice is not None
    return choice.contacts


def test_ticking_filters_narrows_the_table_and_counts_follow(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, qtmodeltester: ModelTester
) -> None:
    window = open_window(_workspace(tmp_path / "w.sqlite3"))
    page = window.contacts_page
    panel = page.filters
    assert panel is not None
    assert panel.tree.accessibleName() == "Filters"
    qtmodeltester.check(panel.tree.model())
    assert _counted(qtbot, panel, Facet.CONSENT, "current") == 22
    assert _counted(qtbot, panel, Facet.CONSENT, "stale") == 1
    assert _counted(qtbot, panel, Facet.FLAG, "role") == 1
    assert _counted(qtbot, panel, Facet.FLAG, "typo") == 1
    assert _counted(qtbot, panel, Facet.LIST, 1) == 21

    with qtbot.waitSignal(page.model.viewChanged, timeout=5_000):
        panel.pick(Facet.CONSENT, "stale")
    assert _emails(window) == {"otto.old@york.ac.uk"}
    assert page.summary.text() == "1 found"
    consent = [t for t, _k, _s in COLUMNS].index("Consent")
    assert page.model.index(0, consent).data() == "Too old"
    assert panel.clear_button.isEnabled()

    # A second consent state widens; a list narrows; the list's own count ignores it.
    panel.pick(Facet.CONSENT, "current")
    panel.pick(Facet.LIST, 1)
    qtbot.waitUntil(lambda: len(_emails(window)) == 21, timeout=5_000)
    assert "info@york.ac.uk" not in _emails(window)
    assert _counted(qtbot, panel, Facet.LIST, 1) == 21
    assert _counted(qtbot, panel, Facet.CONSENT, "withdrawn") == 0  # none of them in News

    # The search narrows the filter's result, and the counts with it.
    qtbot.keyClicks(page.search, "otto")
    qtbot.waitUntil(lambda: _emails(window) == {"otto.old@york.ac.uk"}, timeout=5_000)
    qtbot.waitUntil(lambda: _counted(qtbot, panel, Facet.LIST, 1) == 1, timeout=5_000)
    page.search.clear()
    qtbot.waitUntil(lambda: len(_emails(window)) == 21, timeout=5_000)

    # "Select all N matching" takes every contact of the result.
    assert page.select_all.isVisible()
    assert page.select_all.text() == "Select all 21 matching"
    qtbot.mouseClick(page.select_all, Qt.MouseButton.LeftButton)
    assert page.everything_selected()
    assert page.selected_note.text() == "· 21 selected"
    ids = page.selected_ids()
    assert len(ids) == 21

    qtbot.mouseClick(panel.clear_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.model.rowCount() == 25, timeout=5_000)
    assert not panel.clear_button.isEnabled()
    assert page.summary.text() == "25 contacts"


def test_a_flag_filter_shows_the_flagged_and_their_labels(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    window = open_window(_workspace(tmp_path / "w.sqlite3"))
    panel = window.contacts_page.filters
    assert panel is not None
    _counted(qtbot, panel, Facet.FLAG, "typo")
    with qtbot.waitSignal(window.contacts_model.viewChanged, timeout=5_000):
        panel.pick(Facet.FLAG, "typo")
    assert _emails(window) == {"never@gmial.com"}
    flags_column = [t for t, _k, _s in COLUMNS].index("Flags")
    assert window.contacts_model.index(0, flags_column).data() == "Possible typo"


def test_the_column_menu_hides_and_shows_columns(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    window = open_window(_workspace(tmp_path / "w.sqlite3"))
    page = window.contacts_page
    table = page.table
    subscription = [t for t, _k, _s in COLUMNS].index("Subscription")
    assert table.isColumnHidden(subscription)  # until lists are synced
    menu = page.column_menu()
    actions = {a.text(): a for a in menu.actions()}
    assert not actions["Subscription"].isChecked()
    actions["Subscription"].trigger()
    assert not table.isColumnHidden(subscription)
    page.column_menu().actions()[1].trigger()  # Name
    assert table.isColumnHidden(1)
    # The last column shown cannot be hidden.
    for column in range(len(COLUMNS)):
        table.setColumnHidden(column, column != 0)
    assert not page.column_menu().actions()[0].isEnabled()


def test_counts_and_table_follow_a_workspace_change(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    window = open_window(_workspace(tmp_path / "w.sqlite3"))
    panel = window.contacts_page.filters
    assert panel is not None
    assert _counted(qtbot, panel, Facet.CONSENT, "none") == 1
    with window.workspace.transaction() as con:
        record_activity(con, actor="t", action="edit", summary="Two contacts added", count=2)
        add_contacts(
            con, [NewContact("new.one@york.ac.uk"), NewContact("office@york.ac.uk")], actor="t"
        )
    window.events.announce(Changes(contacts_added_or_removed=True, activity=True))
    qtbot.waitUntil(lambda: _counted(qtbot, panel, Facet.CONSENT, "none") == 3, timeout=5_000)
    # The flags of the new contacts are computed in the background, then counted.
    qtbot.waitUntil(lambda: _counted(qtbot, panel, Facet.FLAG, "role") == 2, timeout=10_000)


def test_export_takes_the_filter_shown_and_repermission_takes_the_stale(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    from mjdesk.ui.contacts.export import ExportDialog

    window = open_window(_workspace(tmp_path / "w.sqlite3"))
    page = window.contacts_page
    panel = page.filters
    assert panel is not None
    _counted(qtbot, panel, Facet.FLAG, "role")
    with qtbot.waitSignal(page.model.viewChanged, timeout=5_000):
        panel.pick(Facet.FLAG, "role")
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    dialog = window.findChild(ExportDialog) or page.findChild(ExportDialog)
    assert dialog is not None
    assert dialog.query.filter.flags == frozenset({"role"})
    dialog.reject()
    assert page.actions_button.isEnabled()
    page.repermission_action.trigger()
    dialogs = [d for d in page.findChildren(ExportDialog) if d.isVisible()]
    assert [d.query.filter.consent for d in dialogs] == [frozenset({"stale"})]
    assert dialogs[0].query.cutoff
    dialogs[0].reject()
