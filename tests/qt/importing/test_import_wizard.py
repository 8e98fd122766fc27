"""The import wizard driven as a user would: file, mapping, consent, dry run, import, undo."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from data.make_import_corpus import Sheet, write_text, write_xlsx
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWizard
from pytestqt.qtbot import QtBot

from mjdesk.core.importing import Outcome
from mjdesk.core.importing.remembered import org_domains, parse_domains
from mjdesk.core.paths import AppPaths
from mjdesk.core.settings import Settings
from mjdesk.core.tombstones import add_tombstone
from mjdesk.ui.common import dialogs
from mjdesk.ui.importing import wizard as import_wizard
from mjdesk.ui.importing.history import ImportsDialog
from mjdesk.ui.importing.wizard import (
    CONSENT_PAGE,
    DONE_PAGE,
    FILE_PAGE,
    MAPPING_PAGE,
    REVIEW_PAGE,
    ImportWizard,
)
from mjdesk.ui.shell.main_window import MainWindow

from support.encrypted import encrypted_xlsx

OpenWindow = Callable[..., MainWindow]

ROWS = [
    ["Email", "First name", "Last name", "Consent", "Consent date", "Team"],
    ["ann@example.org", "Ann", "Lee", "yes", "25/03/2024", "History"],
    ["bob@example.org", "Bob", "Ray", "yes", "26/03/2024", "Music"],
    ["cat@gmial.com", "Cat", "Day", "yes", "27/03/2024", "Physics"],
    ["not an address", "Dan", "Fox", "yes", "28/03/2024", "History"],
    ["ann@example.org", "Ann", "Lee", "yes", "25/03/2024", "History"],
    ["eve@example.org", "Eve", "Kim", "no", "", "Music"],
]


@pytest.fixture
def people_csv(tmp_path: Path) -> Path:
    return write_text(tmp_path / "people.csv", ROWS)


@pytest.fixture
def confirm(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every confirmation is answered yes; the questions are kept."""
    asked: list[str] = []

    def ask(_parent: object, title: str, text: str, _action: str) -> bool:
        asked.append(f"{title}: {text}")
        return True

    monkeypatch.setattr(dialogs, "ask_confirm", ask)
    problems: list[str] = []
    monkeypatch.setattr(dialogs, "tell_problem", lambda _p, _t, text: problems.append(text))
    return asked


def open_wizard(qtbot: QtBot, window: MainWindow) -> ImportWizard:
    window.activateWindow()  # as the window manager does when a wizard closes
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    wizard = window.imports.wizard
    assert wizard is not None
    qtbot.waitExposed(wizard)
    return wizard


def choose_file(
    qtbot: QtBot, wizard: ImportWizard, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dialogs, "ask_open_file", lambda *_a, **_k: path)
    qtbot.mouseClick(wizard.file_page.browse, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(wizard.file_page.isComplete, timeout=10_000)


def press(qtbot: QtBot, wizard: ImportWizard, button: QWizard.WizardButton) -> None:
    widget = wizard.button(button)
    assert widget.isVisible()
    qtbot.waitUntil(widget.isEnabled)
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def go_to(qtbot: QtBot, wizard: ImportWizard, page: int) -> None:
    qtbot.waitUntil(lambda: wizard.currentId() == page, timeout=15_000)


def contacts_shown(window: MainWindow) -> list[str]:
    model = window.contacts_model
    return sorted(model.index(r, 0).data() for r in range(model.rowCount()))


def wait_contacts(qtbot: QtBot, window: MainWindow, count: int) -> None:
    qtbot.waitUntil(lambda: window.contacts_model.rowCount() == count, timeout=10_000)


def to_review(
    qtbot: QtBot, wizard: ImportWizard, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    choose_file(qtbot, wizard, path, monkeypatch)
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    go_to(qtbot, wizard, MAPPING_PAGE)
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    go_to(qtbot, wizard, CONSENT_PAGE)
    qtbot.waitUntil(wizard.consent_page.isComplete)
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    go_to(qtbot, wizard, REVIEW_PAGE)


def test_import_review_commit_and_undo(
    qtbot: QtBot,
    open_window: OpenWindow,
    people_csv: Path,
    monkeypatch: pytest.MonkeyPatch,
    confirm: list[str],
) -> None:
    window = open_window()
    assert window.contacts_model.rowCount() == 0
    wizard = open_wizard(qtbot, window)
    assert wizard.currentId() == FILE_PAGE
    choose_file(qtbot, wizard, people_csv, monkeypatch)
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    go_to(qtbot, wizard, MAPPING_PAGE)

    from mjdesk.core.importing import Role

    mapping = wizard.mapping_page.mapping
    assert mapping is not None
    assert mapping.header_for(Role.EMAIL) == "Email"
    assert mapping.header_for(Role.FIRST_NAME) == "First name"
    assert mapping.header_for(Role.CONSENT) == "Consent"
    assert [c.role for c in mapping.columns][-1] is Role.PROPERTY
    # Editing a column: the team is not wanted.
    box = wizard.mapping_page.role_box(5)
    box.setCurrentIndex(box.findData(Role.SKIP))
    mapping = wizard.mapping_page.mapping
    assert mapping is not None
    assert mapping.columns[5].role is Role.SKIP
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    go_to(qtbot, wizard, CONSENT_PAGE)
    page = wizard.consent_page
    assert page.column_radio.isChecked()
    assert page.date_from_column.isChecked()
    qtbot.waitUntil(lambda: page.values_table.rowCount() == 2)  # "yes" and "no"
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    go_to(qtbot, wizard, REVIEW_PAGE)

    review = wizard.review_page
    plan = wizard.session.plan
    assert plan is not None
    assert plan.counts[Outcome.NEW] == 2
    assert plan.counts[Outcome.TYPO_SUGGESTION] == 1
    assert plan.counts[Outcome.INVALID] == 1
    assert plan.counts[Outcome.DUPLICATE] == 1
    assert plan.counts[Outcome.SKIPPED_NO_CONSENT] == 1
    assert review.model.rowCount() == 6
    assert review.filter_buttons["New"].text() == "New  2"
    review.filter_buttons["Invalid"].click()
    assert review.model.rowCount() == 1
    assert review.model.index(0, 1).data() == "not an address"
    review.filter_buttons["Duplicate"].click()
    assert review.model.index(0, 2).data() == "Duplicate of row 2"

    # Accept the typo suggestion: the row is checked again and becomes new.
    review.show_only(Outcome.TYPO_SUGGESTION)
    review.view.selectRow(0)
    assert review.accept_button.isEnabled()
    review.accept_button.click()
    qtbot.waitUntil(lambda: wizard.session.plan is not plan and not review.strip.busy)
    plan = wizard.session.plan
    assert plan is not None
    assert plan.counts[Outcome.NEW] == 3
    assert plan.counts[Outcome.TYPO_SUGGESTION] == 0
    # Fix the invalid address by editing the cell.
    review.show_only(Outcome.INVALID)
    review.model.setData(review.model.index(0, 1), "dan@example.org")
    qtbot.waitUntil(lambda: wizard.session.plan is not plan and not review.strip.busy)
    assert wizard.session.plan is not None
    assert wizard.session.plan.counts[Outcome.NEW] == 4
    assert wizard.button(QWizard.WizardButton.CommitButton).text() == "&Import 4 contacts"

    press(qtbot, wizard, QWizard.WizardButton.CommitButton)
    go_to(qtbot, wizard, DONE_PAGE)
    assert "4 new contacts" in wizard.done_page.summary.text()
    wait_contacts(qtbot, window, 4)
    assert contacts_shown(window) == [
        "ann@example.org",
        "bob@example.org",
        "cat@gmail.com",
        "dan@example.org",
    ]
    press(qtbot, wizard, QWizard.WizardButton.FinishButton)
    qtbot.waitUntil(lambda: not wizard.isVisible())

    undo, redo = window.history.undo_action, window.history.redo_action
    qtbot.waitUntil(undo.isEnabled)
    assert undo.text() == "&Undo Import of people.csv"
    assert undo in window.edit_menu.actions()
    assert redo in window.edit_menu.actions()
    window.activateWindow()  # as the window manager does when the wizard closes
    qtbot.waitUntil(window.isActiveWindow)
    search = window.contacts_page.search
    window.contacts_page.focus_search()
    qtbot.keyClicks(search, "zz")
    qtbot.keyClick(search, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(search.text()) < 2  # in a text field, Ctrl+Z undoes the typing there...
    assert undo.isEnabled()  # ...not the import
    assert not confirm
    search.clear()
    window.contacts_page.table.setFocus()
    qtbot.keyClick(window.contacts_page.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    wait_contacts(qtbot, window, 0)
    assert confirm
    assert "people.csv" in confirm[0]
    assert window.workspace.fetch("SELECT count(*) FROM consent_ledger") == [(0,)]
    qtbot.waitUntil(redo.isEnabled)
    assert not undo.isEnabled()

    # Redo (Ctrl+Shift+Z) puts the import back as it was, consent records and all.
    qtbot.keyClick(
        window.contacts_page.table,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    wait_contacts(qtbot, window, 4)
    qtbot.waitUntil(undo.isEnabled)
    assert not redo.isEnabled()
    assert window.workspace.fetch("SELECT count(*) FROM consent_ledger") == [(4,)]


def test_every_row_consented_needs_wording_and_source(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_text(tmp_path / "form.csv", [["Email"], ["a@example.org"], ["b@example.org"]])
    window = open_window()
    wizard = open_wizard(qtbot, window)
    choose_file(qtbot, wizard, path, monkeypatch)
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    go_to(qtbot, wizard, MAPPING_PAGE)
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    go_to(qtbot, wizard, CONSENT_PAGE)
    page = wizard.consent_page
    assert page.none_radio.isChecked()  # nothing in the file says so: nobody new by default
    page.all_radio.click()
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    assert wizard.currentId() == CONSENT_PAGE
    assert "wording" in page.message.text()
    assert "where consent was collected" in page.message.text()
    assert page.wording.hasFocus() or not wizard.isActiveWindow()
    qtbot.keyClicks(page.wording, "I would like the newsletter.")
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    assert wizard.currentId() == CONSENT_PAGE
    assert "where consent was collected" in page.message.text()
    qtbot.keyClicks(page.source, "Open day form 2025")
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    go_to(qtbot, wizard, REVIEW_PAGE)
    assert wizard.session.plan is not None
    assert wizard.session.plan.counts[Outcome.NEW] == 2
    press(qtbot, wizard, QWizard.WizardButton.CommitButton)
    go_to(qtbot, wizard, DONE_PAGE)
    rows = window.workspace.fetch("SELECT wording, source_file FROM consent_ledger")
    assert rows == [("I would like the newsletter.", "form.csv")] * 2


def test_stopping_the_read_changes_nothing(
    qtbot: QtBot, open_window: OpenWindow, people_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mjdesk.ui.importing.pages import file as import_file_page

    started: list[bool] = []

    def slow_read(
        path: Path, sheet: str | None, progress: object, cancel: object, password: object = None
    ) -> object:
        started.append(True)
        while True:  # a read that only ends when stopped
            cancel.check()  # type: ignore[attr-defined]
            time.sleep(0.01)

    monkeypatch.setattr(import_file_page, "read_file", slow_read)
    window = open_window()
    wizard = open_wizard(qtbot, window)
    choose_file(qtbot, wizard, people_csv, monkeypatch)
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    strip = wizard.file_page.strip
    qtbot.waitUntil(lambda: bool(started) and strip.isVisible())
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    qtbot.mouseClick(strip.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not strip.busy)
    assert wizard.currentId() == FILE_PAGE
    assert "Stopped" in wizard.file_page.error_label.text()
    assert wizard.session.table is None
    assert window.workspace.fetch("SELECT count(*) FROM import_batches") == [(0,)]


def test_stop_takes_effect_in_the_middle_of_a_workbook_parse(
    qtbot: QtBot,
    open_window: OpenWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The real reader on a workbook whose parse (by calamine, one call) is held: the
    strip shows the step reached, Stop ends the read at once, and the held parse ends
    later without a trace."""
    import threading

    from mjdesk.core.importing import sheets

    release = threading.Event()
    parsing = threading.Event()
    real = sheets._Parser._parse

    def held(self: sheets._Parser, index: int, name: str) -> object:
        parsing.set()
        release.wait(30)
        return real(self, index, name)

    monkeypatch.setattr(sheets._Parser, "_parse", held)
    book = write_xlsx(tmp_path / "big.xlsx", ROWS)
    window = open_window()
    wizard = open_wizard(qtbot, window)
    choose_file(qtbot, wizard, book, monkeypatch)
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    strip = wizard.file_page.strip
    qtbot.waitUntil(lambda: parsing.is_set() and strip.isVisible())
    qtbot.waitUntil(lambda: strip.bar.value() > strip.bar.minimum())  # a step, not a spinner
    began = time.monotonic()
    qtbot.mouseClick(strip.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not strip.busy)
    assert time.monotonic() - began < 5  # the parse is still held: it was not waited for
    assert wizard.currentId() == FILE_PAGE
    assert wizard.file_page.sheet_note.text() == "One sheet."
    assert "Stopped" in wizard.file_page.error_label.text()
    assert wizard.session.table is None
    release.set()
    # The same file reads normally straight after.
    monkeypatch.setattr(sheets._Parser, "_parse", real)
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    qtbot.waitUntil(lambda: wizard.currentId() == MAPPING_PAGE)
    assert wizard.session.table is not None


def test_stopping_the_import_changes_nothing(
    qtbot: QtBot, open_window: OpenWindow, people_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mjdesk.core.importing import session as import_jobs

    real = import_jobs.commit_rows

    def commit_then_stop(workspace, plan, progress, cancel):  # type: ignore[no-untyped-def]
        cancel.cancel()  # the user pressed Stop while the transaction was under way
        return real(workspace, plan, progress, cancel)

    monkeypatch.setattr(import_wizard, "commit_rows", commit_then_stop)
    window = open_window()
    wizard = open_wizard(qtbot, window)
    to_review(qtbot, wizard, people_csv, monkeypatch)
    press(qtbot, wizard, QWizard.WizardButton.CommitButton)
    qtbot.waitUntil(lambda: "Stopped" in wizard.review_page.message.text())
    assert wizard.currentId() == REVIEW_PAGE
    assert window.workspace.fetch("SELECT count(*) FROM contacts") == [(0,)]
    assert window.workspace.fetch("SELECT count(*) FROM import_batches") == [(0,)]


def test_a_bad_file_is_explained_and_nothing_is_lost(
    qtbot: QtBot,
    open_window: OpenWindow,
    tmp_path: Path,
    people_csv: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bad = tmp_path / "list.xlsx"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    window = open_window()
    wizard = open_wizard(qtbot, window)
    monkeypatch.setattr(dialogs, "ask_open_file", lambda *_a, **_k: bad)
    wizard.file_page.browse.click()
    label = wizard.file_page.error_label
    qtbot.waitUntil(label.isVisible, timeout=10_000)
    assert "list.xlsx" in label.text()
    assert wizard.currentId() == FILE_PAGE
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    # The next file works as if nothing had happened.
    choose_file(qtbot, wizard, people_csv, monkeypatch)
    assert not label.isVisible()
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    go_to(qtbot, wizard, MAPPING_PAGE)
    assert window.workspace.fetch("SELECT count(*) FROM contacts") == [(0,)]


def test_workbook_sheets_are_offered_with_the_first_with_data_chosen(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_xlsx(
        tmp_path / "book.xlsx",
        sheets=[
            Sheet("Notes", []),
            Sheet("Old", [["Email"], ["old@example.org"]], state="hidden"),
            Sheet("People", ROWS),
        ],
    )
    window = open_window()
    wizard = open_wizard(qtbot, window)
    choose_file(qtbot, wizard, path, monkeypatch)
    combo = wizard.file_page.sheet_combo
    texts = [combo.itemText(i) for i in range(combo.count())]
    assert texts[0].startswith("Notes (")
    assert "empty" in texts[0]
    assert "hidden" in texts[1]
    assert combo.currentText().startswith("People")
    note = wizard.file_page.sheet_note.text()
    assert note == "3 sheets, 1 hidden. The first sheet with data is chosen."
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    go_to(qtbot, wizard, MAPPING_PAGE)
    assert wizard.session.table is not None
    assert wizard.session.table.source.sheet == "People"
    assert len(wizard.session.table) == 6


def test_a_remembered_mapping_comes_back(
    qtbot: QtBot,
    open_window: OpenWindow,
    people_csv: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mjdesk.core.importing import Role

    window = open_window()
    wizard = open_wizard(qtbot, window)
    choose_file(qtbot, wizard, people_csv, monkeypatch)
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    go_to(qtbot, wizard, MAPPING_PAGE)
    wizard.mapping_page.set_role("Team", Role.SKIP)
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    go_to(qtbot, wizard, CONSENT_PAGE)
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    go_to(qtbot, wizard, REVIEW_PAGE)
    press(qtbot, wizard, QWizard.WizardButton.CommitButton)
    go_to(qtbot, wizard, DONE_PAGE)
    press(qtbot, wizard, QWizard.WizardButton.FinishButton)

    again = open_wizard(qtbot, window)
    assert again is not wizard
    choose_file(qtbot, again, people_csv, monkeypatch)
    press(qtbot, again, QWizard.WizardButton.NextButton)
    go_to(qtbot, again, MAPPING_PAGE)
    assert again.mapping_page.remembered_note.isVisible()
    assert again.mapping_page.mapping is not None
    assert again.mapping_page.mapping.columns[5].role is Role.SKIP


def drag_events(path: Path) -> tuple[QMimeData, QDragEnterEvent, QDropEvent]:
    """A drag of ``path`` entering the window, and its drop (the data must outlive them)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    buttons = Qt.MouseButton.LeftButton
    none = Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, mime, buttons, none)
    drop = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, buttons, none)
    return mime, enter, drop


def test_dropping_a_file_on_the_window_opens_the_wizard(
    qtbot: QtBot, open_window: OpenWindow, people_csv: Path
) -> None:
    window = open_window()
    _mime, enter, drop = drag_events(people_csv)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(window, drop)
    assert drop.isAccepted()
    wizard = window.imports.wizard
    assert wizard is not None
    qtbot.waitExposed(wizard)
    qtbot.waitUntil(wizard.file_page.isComplete, timeout=10_000)
    assert wizard.file_page.path_edit.text() == str(people_csv)


def test_a_dragged_picture_is_not_taken(open_window: OpenWindow, tmp_path: Path) -> None:
    window = open_window()
    picture = tmp_path / "photo.png"
    picture.write_bytes(b"\x89PNG")
    _mime, enter, _drop = drag_events(picture)
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()
    assert window.imports.wizard is None


def test_the_welcome_panel_opens_the_wizard(qtbot: QtBot, open_window: OpenWindow) -> None:
    window = open_window()
    welcome = window.contacts_page.welcome
    assert welcome.isVisible()
    qtbot.mouseClick(welcome.import_button, Qt.MouseButton.LeftButton)
    assert window.imports.wizard is not None
    qtbot.waitExposed(window.imports.wizard)


def cell(dialog: ImportsDialog, column: int) -> str:
    item = dialog.table.item(0, column)
    return item.text() if item is not None else ""


def test_import_history_lists_imports_and_undoes_after_a_restart(
    qtbot: QtBot,
    open_window: OpenWindow,
    people_csv: Path,
    monkeypatch: pytest.MonkeyPatch,
    confirm: list[str],
) -> None:
    window = open_window()
    wizard = open_wizard(qtbot, window)
    to_review(qtbot, wizard, people_csv, monkeypatch)
    press(qtbot, wizard, QWizard.WizardButton.CommitButton)
    go_to(qtbot, wizard, DONE_PAGE)
    wait_contacts(qtbot, window, 2)
    # A new window on the same workspace: the undo is still there, from the history.
    window.close()
    window.workspace.close()
    reopened = open_window()
    qtbot.waitUntil(reopened.history.undo_action.isEnabled)  # Edit › Undo survives a restart
    assert reopened.history.undo_action.text() == "&Undo Import of people.csv"
    dialog = reopened.imports.open_history()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1)
    assert cell(dialog, 0) == "people.csv"
    assert cell(dialog, 4) == "2"
    assert cell(dialog, 6) == "Imported"
    assert dialog.undo_button.isEnabled()
    qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
    wait_contacts(qtbot, reopened, 0)
    qtbot.waitUntil(lambda: cell(dialog, 6).startswith("Undone"))
    assert not dialog.undo_button.isEnabled()
    qtbot.waitUntil(reopened.history.redo_action.isEnabled)  # the history mirrors it
    assert not reopened.history.undo_action.isEnabled()


def test_the_report_and_the_annotated_copy_are_saved(
    qtbot: QtBot,
    open_window: OpenWindow,
    people_csv: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = open_window()
    wizard = open_wizard(qtbot, window)
    to_review(qtbot, wizard, people_csv, monkeypatch)
    press(qtbot, wizard, QWizard.WizardButton.CommitButton)
    go_to(qtbot, wizard, DONE_PAGE)
    done = wizard.done_page
    assert done.report_button.isEnabled()
    report = tmp_path / "out" / "report.csv"
    report.parent.mkdir()
    monkeypatch.setattr(dialogs, "ask_save_file", lambda *_a, **_k: report)
    qtbot.mouseClick(done.report_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Saved report.csv" in done.report_note.text(), timeout=10_000)
    text = report.read_text(encoding="utf-8-sig")
    assert "not an address" in text
    copy = tmp_path / "out" / "marked"  # no suffix given: an .xlsx is written
    monkeypatch.setattr(dialogs, "ask_save_file", lambda *_a, **_k: copy)
    qtbot.mouseClick(done.annotated_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Saved marked.xlsx" in done.report_note.text(), timeout=10_000)
    assert copy.with_suffix(".xlsx").read_bytes()[:2] == b"PK"


def test_organisation_domains_are_kept_and_their_misspellings_held_back(
    qtbot: QtBot,
    open_window: OpenWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    app_paths: AppPaths,
    confirm: list[str],
) -> None:
    window = open_window()
    problems: list[str] = []
    monkeypatch.setattr(dialogs, "tell_problem", lambda _p, _t, text: problems.append(text))
    monkeypatch.setattr(dialogs, "ask_text", lambda *_a: "York.ac.uk, @cs.york.ac.uk; not a domain")
    assert window.imports.domains_action in window.settings_menu.actions()
    window.imports.domains_action.trigger()
    assert problems == ["These are not domain names, so they were left out: not a domain."]
    saved = Settings.load(app_paths.settings_file)
    assert org_domains(saved) == ("york.ac.uk", "cs.york.ac.uk")

    rows = [["Email", "Consent"], ["ann@yrok.ac.uk", "yes"], ["bob@york.ac.uk", "yes"]]
    wizard = open_wizard(qtbot, window)
    assert wizard.session.org_domains == ("york.ac.uk", "cs.york.ac.uk")
    to_review(qtbot, wizard, write_text(tmp_path / "staff.csv", rows), monkeypatch)
    plan = wizard.session.plan
    assert plan is not None
    assert plan.counts[Outcome.TYPO_SUGGESTION] == 1
    assert plan.counts[Outcome.NEW] == 1


@pytest.mark.parametrize(
    ("text", "usable", "refused"),
    [
        ("york.ac.uk", ("york.ac.uk",), ()),
        (" @York.AC.uk.,cs.york.ac.uk ;york.ac.uk", ("york.ac.uk", "cs.york.ac.uk"), ()),
        ("", (), ()),
        ("localhost, -bad-.org, x.y", (), ("localhost", "-bad-.org", "x.y")),
        ("https://www.york.ac.uk/news, ann@hull.ac.uk", ("york.ac.uk", "hull.ac.uk"), ()),
        ("york.ac.uk cs.york.ac.uk", ("york.ac.uk", "cs.york.ac.uk"), ()),
    ],
)
def test_domains_are_read_in_any_form(
    text: str, usable: tuple[str, ...], refused: tuple[str, ...]
) -> None:
    assert parse_domains(text) == (usable, refused)


def test_an_erased_person_comes_back_only_on_a_confirmed_dated_consent(
    qtbot: QtBot,
    open_window: OpenWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    confirm: list[str],
) -> None:
    window = open_window()
    with window.workspace.transaction() as con:
        for email in ("ann@example.org", "bob@example.org"):
            add_tombstone(con, email, actor="admin", reason="asked to be erased")
    rows = [
        ["Email", "Consent", "Consent date"],
        ["ann@example.org", "yes", "01/06/2026"],
        ["bob@example.org", "yes", ""],
        ["cat@example.org", "yes", "01/06/2026"],
    ]
    wizard = open_wizard(qtbot, window)
    to_review(qtbot, wizard, write_text(tmp_path / "again.csv", rows), monkeypatch)
    plan = wizard.session.plan
    assert plan is not None
    assert plan.counts[Outcome.BLOCKED_ERASED] == 2
    review = wizard.review_page
    assert not review.readmit_button.isEnabled()
    review.show_only(Outcome.BLOCKED_ERASED)
    review.view.selectAll()
    assert review.readmit_button.isEnabled()
    qtbot.mouseClick(review.readmit_button, Qt.MouseButton.LeftButton)
    assert confirm
    assert confirm[-1].startswith("Erased on request: These 2 people asked")
    qtbot.waitUntil(
        lambda: wizard.session.plan is not None and wizard.session.plan.counts[Outcome.NEW] == 2,
        timeout=10_000,
    )
    plan = wizard.session.plan
    assert plan is not None
    assert plan.counts[Outcome.BLOCKED_ERASED] == 1  # bob: no consent date, no proof
    assert plan.outcomes[0] is Outcome.NEW


def test_review_sorts_by_a_click_on_a_column_title(
    qtbot: QtBot,
    open_window: OpenWindow,
    people_csv: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = open_window()
    wizard = open_wizard(qtbot, window)
    to_review(qtbot, wizard, people_csv, monkeypatch)
    review = wizard.review_page
    view, model = review.view, review.model

    def rows(column: int) -> list[str]:
        return [model.index(r, column).data() for r in range(model.rowCount())]

    assert rows(0) == ["2", "3", "4", "5", "6", "7"]  # the file's order to start with
    in_file_order = rows(2)
    header = view.horizontalHeader()
    x = header.sectionViewportPosition(2) + header.sectionSize(2) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    outcomes = rows(2)
    assert outcomes == sorted(in_file_order) != in_file_order
    assert header.sortIndicatorSection() == 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    assert rows(2) == sorted(outcomes, reverse=True)
    # Filters keep the order, and a fix keeps it too.
    review.filter_buttons["New"].click()
    assert rows(2) == ["New", "New"]
    review.filter_buttons["All"].click()
    assert rows(2) == sorted(outcomes, reverse=True)


def test_no_page_has_two_controls_on_one_alt_key(qtbot: QtBot, open_window: OpenWindow) -> None:
    """Alt+N is Next (Alt+I Import) and Alt+B Back: no control of a page may take them,
    and no two controls share a letter (Qt would then only move the focus between them)."""
    import re

    from PySide6.QtWidgets import QAbstractButton, QLabel

    window = open_window()
    wizard = open_wizard(qtbot, window)
    for page_id in wizard.pageIds():
        page = wizard.page(page_id)
        texts = [b.text() for b in page.findChildren(QAbstractButton)]
        texts += [label.text() for label in page.findChildren(QLabel) if label.buddy()]
        keys = [m.group(1).lower() for t in texts if (m := re.search(r"&(\w)", t))]
        # the wizard's own: Back, and Next or, on the page that commits, Import
        taken = {"b", "i"} if page.isCommitPage() else {"b", "n"}
        assert not taken & set(keys), (page_id, texts)
        assert len(keys) == len(set(keys)), (page_id, sorted(keys))


@pytest.mark.parametrize(
    "rows",
    [
        [["id", "address", "First Name", "Consent"], ["1", "a@example.org", "Ann", "yes"]],
        # named like a date column, but what it holds is not dates
        [["Email", "Consent", "Consent date"], ["a@example.org", "yes", "at the open day"]],
    ],
    ids=["no date column", "not dates"],
)
def test_the_date_column_is_prefilled_only_with_dates(
    qtbot: QtBot,
    open_window: OpenWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rows: list[list[str]],
) -> None:
    path = write_text(tmp_path / "sheet.csv", rows)
    window = open_window()
    wizard = open_wizard(qtbot, window)
    choose_file(qtbot, wizard, path, monkeypatch)
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    go_to(qtbot, wizard, MAPPING_PAGE)
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    go_to(qtbot, wizard, CONSENT_PAGE)
    page = wizard.consent_page
    qtbot.waitUntil(page.isComplete)
    assert page.date_column.currentData() is None  # nothing pre-filled
    assert page.date_given.isChecked()
    page.date_from_column.click()  # asked for the column, but none chosen
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    assert wizard.currentId() == CONSENT_PAGE
    assert "column that holds the consent dates" in page.message.text()


def test_esc_asks_before_throwing_away_work(
    qtbot: QtBot, open_window: OpenWindow, people_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window()
    wizard = open_wizard(qtbot, window)
    asked: list[str] = []
    answer = [False]

    def ask(_parent: object, _title: str, text: str, _action: str) -> bool:
        asked.append(text)
        return answer[0]

    monkeypatch.setattr(dialogs, "ask_confirm", ask)
    choose_file(qtbot, wizard, people_csv, monkeypatch)
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    go_to(qtbot, wizard, MAPPING_PAGE)
    qtbot.keyClick(wizard, Qt.Key.Key_Escape)
    assert asked
    assert "people.csv" in asked[0]
    assert wizard.isVisible()  # "no": the choices stay
    answer[0] = True
    qtbot.keyClick(wizard, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not wizard.isVisible())
    # Nothing chosen yet: Esc closes at once.
    asked.clear()
    wizard = open_wizard(qtbot, window)
    qtbot.keyClick(wizard, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not wizard.isVisible())
    assert not asked


def test_a_typed_or_pasted_path_is_opened_without_enter(
    qtbot: QtBot, open_window: OpenWindow, people_csv: Path
) -> None:
    window = open_window()
    wizard = open_wizard(qtbot, window)
    page = wizard.file_page
    page.path_edit.setFocus()
    qtbot.keyClicks(page.path_edit, str(people_csv))  # no Enter, no Tab
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    qtbot.waitUntil(next_button.isEnabled, timeout=5_000)
    # Editing the path again greys Next until the new path is read.
    page.path_edit.setFocus()
    qtbot.keyClicks(page.path_edit, "x")
    assert not next_button.isEnabled()


def test_file_dialogs_open_in_documents_then_where_the_user_went(
    qtbot: QtBot,
    open_window: OpenWindow,
    people_csv: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from PySide6.QtCore import QStandardPaths
    from PySide6.QtWidgets import QFileDialog

    documents = tmp_path / "Documents"
    documents.mkdir()
    monkeypatch.setattr(QStandardPaths, "writableLocation", lambda _where: str(documents))
    opened_in: list[str] = []

    def get_open(_parent: object, _title: str, folder: str, _filters: str) -> tuple[str, str]:
        opened_in.append(folder)
        return str(people_csv), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", get_open)
    window = open_window()
    wizard = open_wizard(qtbot, window)
    qtbot.mouseClick(wizard.file_page.browse, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(wizard.file_page.isComplete, timeout=10_000)
    qtbot.mouseClick(wizard.file_page.browse, Qt.MouseButton.LeftButton)
    assert opened_in == [str(documents), str(people_csv.parent)]  # not the working folder
    assert window.settings.folder_for("sources") == people_csv.parent
    assert window.settings.folder_for("reports") is None  # each kind its own folder


def test_a_report_aimed_at_the_source_file_is_refused(
    qtbot: QtBot, open_window: OpenWindow, people_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window()
    wizard = open_wizard(qtbot, window)
    to_review(qtbot, wizard, people_csv, monkeypatch)
    press(qtbot, wizard, QWizard.WizardButton.CommitButton)
    go_to(qtbot, wizard, DONE_PAGE)
    original = people_csv.read_bytes()
    monkeypatch.setattr(dialogs, "ask_save_file", lambda *_a, **_k: people_csv)
    done = wizard.done_page
    qtbot.mouseClick(done.report_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "is the file being imported" in done.report_note.text())
    assert people_csv.read_bytes() == original


def test_an_encrypted_workbook_asks_for_its_password_until_it_opens(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = encrypted_xlsx(tmp_path / "locked.xlsx", ROWS, "Right-Pa55")
    answers = ["wrong", "Right-Pa55"]
    asked: list[str] = []

    def ask(_parent: object, _title: str, label: str) -> str | None:
        asked.append(label)
        return answers.pop(0)

    monkeypatch.setattr(dialogs, "ask_password", ask)
    window = open_window()
    wizard = open_wizard(qtbot, window)
    choose_file(qtbot, wizard, path, monkeypatch)
    assert len(asked) == 2
    assert "locked.xlsx is protected with a password" in asked[0]
    assert asked[1].startswith("The password does not open locked.xlsx")
    assert wizard.file_page.sheet_combo.currentText().startswith("Members")
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    go_to(qtbot, wizard, MAPPING_PAGE)
    table = wizard.session.table
    assert table is not None
    assert len(table) == 6
    assert "Right-Pa55" not in repr(wizard.session)


def test_cancelling_the_password_leaves_the_file_unopened(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = encrypted_xlsx(tmp_path / "locked.xlsx", ROWS, "Right-Pa55")
    monkeypatch.setattr(dialogs, "ask_password", lambda *_a: None)
    window = open_window()
    wizard = open_wizard(qtbot, window)
    monkeypatch.setattr(dialogs, "ask_open_file", lambda *_a, **_k: path)
    wizard.file_page.browse.click()
    label = wizard.file_page.error_label
    qtbot.waitUntil(label.isVisible, timeout=10_000)
    assert "locked.xlsx is protected with a password and was not opened" in label.text()
    assert wizard.currentId() == FILE_PAGE
    assert not wizard.file_page.isComplete()
    assert wizard.file_page.sheet_combo.count() == 0


def test_a_typed_path_to_an_encrypted_workbook_asks_for_its_password_once(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Typing the path, the pause, Enter and the field losing its focus to the question
    each say "open this file": the question about one file is asked once."""
    path = encrypted_xlsx(tmp_path / "locked.xlsx", ROWS, "Right-Pa55")
    window = open_window()
    wizard = open_wizard(qtbot, window)
    page = wizard.file_page
    asked: list[str] = []

    def ask(_parent: object, _title: str, label: str) -> str | None:
        asked.append(label)
        page.path_edit.editingFinished.emit()  # the focus went to the question
        return "Right-Pa55"

    monkeypatch.setattr(dialogs, "ask_password", ask)
    page.path_edit.setFocus()
    qtbot.keyClicks(page.path_edit, str(path))
    qtbot.keyClick(page.path_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(page.isComplete, timeout=10_000)
    qtbot.wait(500)  # the typing pause has passed too
    assert len(asked) == 1
    assert page.sheet_combo.currentText().startswith("Members")
    assert page.isComplete()


def test_the_imported_people_are_put_on_a_list_in_one_undoable_step(
    qtbot: QtBot, open_window: OpenWindow, people_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window()
    wizard = open_wizard(qtbot, window)
    to_review(qtbot, wizard, people_csv, monkeypatch)
    press(qtbot, wizard, QWizard.WizardButton.CommitButton)
    go_to(qtbot, wizard, DONE_PAGE)
    done = wizard.done_page
    qtbot.mouseClick(done.list_button, Qt.MouseButton.LeftButton)  # (no name yet)
    assert "Type the name of a list" in done.report_note.text()
    done.list_choice.setEditText("Open day")
    qtbot.mouseClick(done.list_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Ctrl+Z" in done.report_note.text(), timeout=10_000)
    # (Ann and Bob: the misspelt, invalid, repeated and unconsented rows were held back)
    assert done.report_note.text().startswith("2 contacts added to Open day (a new list).")
    assert not done.list_button.isEnabled()
    on_list = "SELECT count(*) FROM memberships m JOIN lists l ON l.id = m.list_id "
    assert window.workspace.fetch(on_list + "WHERE l.name = 'Open day'") == [(2,)]
    assert window.workspace.fetch("SELECT action FROM activity ORDER BY id DESC LIMIT 1") == [
        ("add_to_list",)
    ]
