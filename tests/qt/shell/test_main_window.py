"""The main window driven as a user would: search, sort, scroll, shortcuts, layout memory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QHeaderView, QLabel
from pytestqt.qtbot import QtBot

from mjdesk.core.contacts import FIRST_MATCHES
from mjdesk.core.paths import AppPaths
from mjdesk.core.settings import Settings
from mjdesk.ui.shell.main_window import MainWindow

OpenWindow = Callable[..., MainWindow]


def shown_rows(window: MainWindow, column: int, first: int = 20) -> list[str]:
    table = window.contacts_page.table
    model = table.model()
    return [model.index(r, column).data() for r in range(min(first, model.rowCount()))]


def test_column_titles_reach_the_header_and_screen_readers(
    qtbot: QtBot, open_window: OpenWindow, samples: Callable[[int], Path]
) -> None:
    window = open_window(samples(50))
    table = window.contacts_page.table
    titles = [table.model().headerData(c, Qt.Orientation.Horizontal) for c in range(8)]
    assert titles == [
        "Email",
        "Name",
        "Consent",
        "Consent date",
        "Source",
        "Lists",
        "Subscription",
        "Flags",
    ]
    header = table.horizontalHeader()
    assert header.model().headerData(2, Qt.Orientation.Horizontal) == "Consent"
    assert header.count() == 8
    # What a screen reader is told for a column header: asked of the table's model.
    assert (
        table.model().headerData(0, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
        == "Email"
    )
    # The arrow shows the workspace's order once the window is up.
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (
        0,
        Qt.SortOrder.AscendingOrder,
    )


def test_the_first_paint_builds_no_qt_enum(tmp_path: Path, samples: Callable[[int], Path]) -> None:
    """PySide builds every enum of the Qt namespace at the first touch (~20 ms): nothing on
    the way to the first page of contacts may touch one (see mjdesk.ui.common.qt_numbers)."""
    import subprocess
    import sys

    target = AppPaths.under(tmp_path).workspace_file("Default")
    target.parent.mkdir(parents=True)
    target.write_bytes(samples(50).read_bytes())
    code = (
        "import sys\n"
        "import mjdesk.ui.shell.main_window as mw\n"
        "seen = []\n"
        "orig = mw.MainWindow._announce_when_ready\n"
        "def hook(self):\n"
        "    if self._first_page and self.isVisible() and not seen:\n"
        "        seen.append('Qt' in sys.modules['PySide6.QtCore'].__dict__)\n"
        "        print('Qt enums built before the first page:', seen[0], flush=True)\n"
        "    return orig(self)\n"
        "mw.MainWindow._announce_when_ready = hook\n"
        "from mjdesk.app import main\n"
        f"sys.argv = ['mjdesk', '--data-dir', {str(tmp_path)!r}, '--exit-when-ready']\n"
        "sys.exit(main())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert "Qt enums built before the first page: False" in done.stdout, done.stderr
    assert "main window ready (50 contacts)" in done.stdout


def click_header(qtbot: QtBot, header: QHeaderView, section: int) -> None:
    x = header.sectionViewportPosition(section) + header.sectionSize(section) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))


def test_search_and_sort_10000_contacts(
    qtbot: QtBot, open_window: OpenWindow, samples: Callable[[int], Path]
) -> None:
    window = open_window(samples(10_000))
    page = window.contacts_page
    assert page.stack.currentWidget() is page.table
    assert page.table.model().rowCount() == 10_000
    assert page.summary.text() == "10,000 contacts"
    emails = shown_rows(window, 0)
    assert emails == sorted(emails, key=str.casefold)

    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert page.search.hasFocus()
    with qtbot.waitSignal(window.contacts_model.viewChanged, timeout=5_000):
        qtbot.keyClicks(page.search, "taylor")
    # (more than a first page of them: the rest are collected in the background)
    qtbot.waitUntil(lambda: window.contacts_model.view.complete, timeout=5_000)
    found = page.table.model().rowCount()
    assert 0 < found < 10_000
    assert page.summary.text() == f"{found:,} found"
    for row in range(found):
        email = page.table.model().index(row, 0).data()
        name = page.table.model().index(row, 1).data()
        assert "taylor" in f"{email} {name}".casefold()

    header = page.table.horizontalHeader()
    click_header(qtbot, header, 1)  # Name: ascending
    click_header(qtbot, header, 1)  # Name: descending
    qtbot.waitUntil(lambda: window.contacts_model.query.descending, timeout=5_000)
    qtbot.waitUntil(lambda: page.summary.text() == f"{found:,} found", timeout=5_000)
    assert header.sortIndicatorSection() == 1
    names = [window.contacts_model.row_at(r) for r in range(found)]
    keys = [(r.last_name.casefold(), r.first_name.casefold()) for r in names if r]
    ascii_keys = [k for k in keys if all(part.isascii() for part in k)]
    assert ascii_keys == sorted(ascii_keys, reverse=True)
    assert page.table.model().rowCount() == found  # the search still applies

    page.focus_search()  # Esc clears the search from the search box
    qtbot.keyClick(page.search, Qt.Key.Key_Escape)
    # (other views may come first: the flags computed in the background refresh the table)
    qtbot.waitUntil(lambda: page.table.model().rowCount() == 10_000, timeout=5_000)


def test_scrolling_to_the_end_shows_the_last_rows(
    qtbot: QtBot, open_window: OpenWindow, samples: Callable[[int], Path]
) -> None:
    window = open_window(samples(10_000))
    table = window.contacts_page.table
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    last = table.model().index(9_999, 0)
    qtbot.waitUntil(lambda: table.visualRect(last).isValid() and table.rowAt(0) > 9_000)
    rows = [table.model().index(r, 0).data() for r in range(9_990, 10_000)]
    assert rows == sorted(rows, key=str.casefold)
    assert all("@" in r for r in rows)


def test_empty_workspace_shows_the_welcome(open_window: OpenWindow) -> None:
    window = open_window(None)
    page = window.contacts_page
    assert page.stack.currentWidget() is page.welcome
    assert not page.search.isEnabled()
    text = page.welcome.findChild(QLabel, "welcomeText")
    assert isinstance(text, QLabel)
    assert "Welcome to mjdesk" in text.text()
    assert text.height() >= text.heightForWidth(text.width())  # no paragraph cut off
    assert window.profile_label.text() == "Profile: Test"


def test_status_bar_counts(
    qtbot: QtBot, open_window: OpenWindow, samples: Callable[[int], Path]
) -> None:
    window = open_window(samples(10_000))
    qtbot.waitUntil(lambda: window.counts_label.text().startswith("10,000 contacts"))
    assert "consented" in window.counts_label.text()


def test_window_layout_is_remembered(
    qtbot: QtBot, open_window: OpenWindow, app_paths: AppPaths
) -> None:
    window = open_window(None, profile="Layout")
    window.resize(700, 500)  # the offscreen screen is 800 x 600
    window.contacts_page.table.setColumnWidth(0, 333)
    window.close()
    saved = Settings.load(app_paths.settings_file)
    assert saved.last_profile == "Layout"
    assert saved.window_geometry
    window.workspace.close()
    again = open_window(None, profile="Layout2")
    assert again.contacts_page.table.columnWidth(0) == 333
    assert (again.width(), again.height()) == (700, 500)


def test_the_contacts_order_is_remembered(
    qtbot: QtBot, open_window: OpenWindow, app_paths: AppPaths, samples: Callable[[int], Path]
) -> None:
    window = open_window(samples(200))
    header = window.contacts_page.table.horizontalHeader()
    click_header(qtbot, header, 1)  # Name: ascending
    click_header(qtbot, header, 1)  # Name: descending
    qtbot.waitUntil(lambda: window.contacts_model.query.descending, timeout=5_000)
    window.close()
    assert Settings.load(app_paths.settings_file).extra["contacts_sort"] == "NAME desc"
    window.workspace.close()
    again = open_window(samples(200))
    query = again.contacts_model.query
    assert (query.sort.name, query.descending) == ("NAME", True)
    header = again.contacts_page.table.horizontalHeader()
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (
        1,
        Qt.SortOrder.DescendingOrder,
    )
    names = [again.contacts_model.row_at(r) for r in range(again.contacts_model.rowCount())]
    keys = [(r.last_name.casefold(), r.first_name.casefold()) for r in names if r]
    ascii_keys = [k for k in keys if all(part.isascii() for part in k)]
    assert ascii_keys == sorted(ascii_keys, reverse=True)


def test_qt_numbers_are_the_qt_values() -> None:
    from mjdesk.ui.common import qt_numbers

    assert Qt.ItemDataRole.DisplayRole.value == qt_numbers.DISPLAY_ROLE
    assert Qt.ItemDataRole.ToolTipRole.value == qt_numbers.TOOLTIP_ROLE
    assert Qt.ItemDataRole.ForegroundRole.value == qt_numbers.FOREGROUND_ROLE
    assert Qt.ItemDataRole.AccessibleTextRole.value == qt_numbers.ACCESSIBLE_TEXT_ROLE
    assert Qt.Orientation.Horizontal.value == qt_numbers.HORIZONTAL
    assert Qt.SortOrder.AscendingOrder.value == qt_numbers.ASCENDING
    assert Qt.SortOrder.DescendingOrder.value == qt_numbers.DESCENDING


def test_refresh_and_about_do_not_fail(qtbot: QtBot, open_window: OpenWindow) -> None:
    window = open_window(None)
    window.refresh()
    assert QApplication.activeModalWidget() is None


def test_a_broad_search_shows_its_first_page_then_the_rest(
    qtbot: QtBot,
    open_window: OpenWindow,
    samples: Callable[[int], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = open_window(samples(10_000))
    page, model = window.contacts_page, window.contacts_model
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    with qtbot.waitSignal(model.viewChanged, timeout=5_000):
        qtbot.keyClicks(page.search, "york")
    assert model.rowCount() == FIRST_MATCHES
    assert not model.view.complete
    assert page.summary.text() == f"{FIRST_MATCHES}+ found, still searching…"
    first_rows = [page.table.model().index(r, 0).data() for r in range(20)]
    qtbot.waitUntil(lambda: model.view.complete, timeout=10_000)
    total = model.rowCount()
    assert inserted == [(FIRST_MATCHES, total - 1)]
    assert total > FIRST_MATCHES
    assert page.summary.text() == f"{total:,} found"
    assert [page.table.model().index(r, 0).data() for r in range(20)] == first_rows
    last = page.table.model().index(total - 1, 0).data()
    assert "york" in last


def test_menus_hold_the_import_actions_in_order(open_window: OpenWindow) -> None:
    window = open_window(None)
    file_items = [a.text() for a in window.file_menu.actions()]
    assert file_items == [
        "&Import…",
        "Import &History…",
        "",
        "&Back Up Workspace…",
        "",
        "&Quit",
    ]
    edit_items = [a.text() for a in window.edit_menu.actions()]
    assert edit_items == ["&Undo", "&Redo", "", "&Find Contacts…"]


def test_the_window_title_names_the_profile_once(open_window: OpenWindow) -> None:
    window = open_window(None)
    assert window.windowTitle() == window.profile  # Qt adds " — mjdesk" itself


def test_every_contacts_column_shows_at_the_default_size(
    open_window: OpenWindow, samples: Callable[[int], Path]
) -> None:
    window = open_window(samples(50))
    assert (window.width(), window.height()) == (1200, 760)
    table = window.contacts_page.table
    last = table.model().columnCount() - 1
    right = table.columnViewportPosition(last) + table.columnWidth(last)
    assert right <= table.viewport().width() + 1, "Flags is cut off"
    assert table.columnWidth(last) >= 60


def test_a_damaged_workspace_shows_a_banner_and_refuses_writes(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    from mjdesk.core.changes import IMPORTED
    from mjdesk.core.workspace import WorkspaceCorrupt

    from support.damage import damaged_workspace

    window = open_window(damaged_workspace(tmp_path / "source.sqlite3"))
    qtbot.waitUntil(lambda: hasattr(window, "damage_banner"), timeout=10_000)
    # (a widget put into a shown window is shown by a queued call)
    qtbot.waitUntil(window.damage_banner.isVisible, timeout=2_000)
    assert "is damaged" in window.damage_banner.text()
    assert window.workspace.damage
    with pytest.raises(WorkspaceCorrupt), window.workspace.transaction():
        pass
    window.events.announce(IMPORTED)  # the pages still read what they can
