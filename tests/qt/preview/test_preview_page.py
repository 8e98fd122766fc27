"""The Preview page driven as a user would, against the seeded sandbox through the real client:
fetch the drafts, open one, preview it as a worst-case recipient at both widths, read its
checklist with who gets an empty field, send a test (and see a refusal explained), export."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from pytestqt.qtbot import QtBot

from mjdesk.core.contacts import NewContact, add_contacts
from mjdesk.core.preview.checks import Status
from mjdesk.core.preview.mail import MailKind
from mjdesk.core.preview.preflight import PHONE_WIDTH
from mjdesk.mailjet.client import MailjetClient
from mjdesk.sandbox.seed import seeded_store
from mjdesk.sandbox.server import Sandbox
from mjdesk.sandbox.store import practice_key
from mjdesk.ui.common import dialogs
from mjdesk.ui.preview.page import TEST_ADDRESS_SETTING, PreviewPage
from mjdesk.ui.shell.main_window import MainWindow

OpenWindow = Callable[..., MainWindow]
SEMINAR = "Seminar series: this term"
PARTNER = "Partner event (sender not validated)"
ME = "me@dept.example.ac.uk"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seeded_store(contacts=200)) as running:
        yield running


def preview_page(qtbot: QtBot, window: MainWindow, sandbox: Sandbox) -> PreviewPage:
    key, secret = practice_key("department")
    page = window.preview_page
    page.client_for = lambda: MailjetClient(key, secret, api_url=sandbox.url)
    window.nav.setCurrentRow(window.pages.indexOf(page))
    assert window.pages.currentWidget() is page
    qtbot.mouseClick(page.fetch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.strip.busy and page.mailings.rowCount() > 20, timeout=20_000)
    return page


def link_seminar_list(window: MainWindow, page: PreviewPage) -> None:
    """Three contacts on the workspace list linked to the seminar draft's Mailjet list: one
    with a department, one with a surname only, one with nothing (the worst case)."""
    row = page.mailings.find(MailKind.DRAFT, _source(page, SEMINAR))
    assert row is not None
    with window.workspace.reading() as con:
        mailjet_list = con.execute(
            "SELECT list_id FROM mailings WHERE title = ?", (SEMINAR,)
        ).fetchone()[0]
    with window.workspace.transaction() as con:
        add_contacts(
            con,
            [
                NewContact("ann@york.ac.uk", "Ann", "Lee", {"department": "History"}),
                NewContact("bob@york.ac.uk", "", "Brown"),
                NewContact("nobody@york.ac.uk"),
            ],
            actor="t",
        )
        con.execute(
            "INSERT INTO lists (name, mailjet_id, created_at) VALUES ('Seminars', ?, '2026-01-01')",
            (mailjet_list,),
        )
        con.execute(
            "INSERT INTO memberships (contact_id, list_id, added_at) "
            "SELECT c.id, l.id, '2026-01-01' FROM contacts c, lists l"
        )


def _source(page: PreviewPage, title: str) -> str:
    return next(r.source_id for r in page.mailings.rows if r.title == title)


def open_mailing(qtbot: QtBot, page: PreviewPage, title: str) -> None:
    row = next(n for n, r in enumerate(page.mailings.rows) if r.title == title)
    signals = [page.previewShown, page.checked, page.worstCasesFound]
    with qtbot.waitSignals(signals, timeout=30_000):
        page.list.selectRow(row)


def test_preview_a_draft_as_its_worst_case_and_send_a_test(
    qtbot: QtBot,
    open_window: OpenWindow,
    sandbox: Sandbox,
    qtmodeltester: object,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    window = open_window()
    page = preview_page(qtbot, window, sandbox)
    qtmodeltester.check(page.mailings)  # type: ignore[attr-defined]
    assert "fetched" in page.source_note.text()
    link_seminar_list(window, page)
    open_mailing(qtbot, page, SEMINAR)

    assert page.view is not None
    assert page.subject_label.text() not in ("", "(no subject)")
    assert page.reply_to_label.text() == "office@dept.example.ac.uk"
    labels = [page.recipients.itemText(i) for i in range(page.recipients.count())]
    assert all(text.startswith("Worst case: ") for text in labels[:-1])
    assert "has the longest name" in labels[labels.index(next(t for t in labels if "ann@" in t))]
    worst = next(n for n, text in enumerate(labels) if "nobody@york.ac.uk" in text)
    assert "has no value for data:" in labels[worst]

    # the worst case: no department and no surname, so the {% else %} branch
    with qtbot.waitSignals([page.previewShown, page.checked], timeout=30_000):
        page.recipients.setCurrentIndex(worst)
        page.recipients.activated.emit(worst)
    assert page.rendered is not None
    assert "Talks for everyone." in page.rendered.html
    assert page.recipient is not None
    assert page.recipient.email == "nobody@york.ac.uk"

    # the checklist: coverage names who gets nothing
    qtmodeltester.check(page.checks)  # type: ignore[attr-defined]
    assert page.checklist is not None
    coverage = next(r for r in page.checklist.results if r.key == "coverage")
    cases = page.checklist.cases(coverage)
    assert any("nobody@york.ac.uk" in line for line in cases), cases
    assert next(r for r in page.checklist.results if r.key == "sender").status is Status.PASS
    page.check_table.selectRow(page.checks.results.index(coverage))
    shown = [page.cases.item(i).text() for i in range(page.cases.count())]
    assert shown == cases

    # widths
    with qtbot.waitSignal(page.previewShown, timeout=30_000):
        qtbot.mouseClick(page.phone, Qt.MouseButton.LeftButton)
    assert page.view.width() == PHONE_WIDTH
    with qtbot.waitSignal(page.previewShown, timeout=30_000):
        qtbot.mouseClick(page.desktop, Qt.MouseButton.LeftButton)
    assert page.view.width() == 700

    # run the checklist again
    with qtbot.waitSignal(page.checked, timeout=10_000):
        qtbot.mouseClick(page.check_button, Qt.MouseButton.LeftButton)

    # send a test to one's own address, confirmed, remembered
    asked: list[str] = []
    monkeypatch.setattr(dialogs, "ask_text", lambda *a: ME)

    def confirm(_parent: object, _title: str, text: str, _action: str) -> bool:
        asked.append(text)
        return True

    monkeypatch.setattr(dialogs, "ask_confirm", confirm)
    account = next(iter(sandbox.store.accounts.values()))
    before = len(account.test_sends)
    with qtbot.waitSignal(page.testSent, timeout=20_000):
        qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    assert ME in asked[0]
    assert SEMINAR in asked[0]
    sent = account.test_sends[before:]
    assert [(t.draft_id, t.recipients) for t in sent] == [(int(_source(page, SEMINAR)), [ME])]
    assert window.settings.extra[TEST_ADDRESS_SETTING] == ME

    # the checklist as a report
    report = tmp_path / "seminar.md"
    monkeypatch.setattr(dialogs, "ask_save_file", lambda *a, **k: report)
    shift_control = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(page.list, Qt.Key.Key_E, shift_control)
    text = report.read_text(encoding="utf-8")
    assert text.startswith(f"# Pre-flight checklist: {SEMINAR}")
    # (the seminar draft loops over var:talks, which no campaign fills: no copy lists a talk)
    assert "| Merge-field coverage | FAIL |" in text
    assert "var:talks: empty for all 3 recipients: a campaign never fills var:" in text
    assert "nobody@york.ac.uk" in text


def test_a_refused_test_is_explained(
    qtbot: QtBot, open_window: OpenWindow, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window()
    page = preview_page(qtbot, window, sandbox)
    open_mailing(qtbot, page, PARTNER)
    assert page.checklist is not None
    sender = next(n for n, r in enumerate(page.checklist.results) if r.key == "sender")
    assert page.checklist.results[sender].status is Status.FAIL
    # the failure, not an earlier warning, is the row selected and in sight
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    page._show_checks()
    assert [i.row() for i in page.check_table.selectionModel().selectedRows()] == [sender]
    seen = page.check_table.viewport().rect()
    assert seen.contains(page.check_table.visualRect(page.checks.index(sender, 2)))
    problems: list[str] = []
    monkeypatch.setattr(dialogs, "ask_text", lambda *a: ME)
    monkeypatch.setattr(dialogs, "ask_confirm", lambda *a: True)
    monkeypatch.setattr(dialogs, "tell_problem", lambda _p, _t, text: problems.append(text))
    qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(problems), timeout=20_000)
    assert problems[0].startswith("Mailjet will not send this test:")
    assert "sender" in problems[0].lower()


def test_export_png_at_both_widths(
    qtbot: QtBot,
    open_window: OpenWindow,
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    window = open_window()
    page = preview_page(qtbot, window, sandbox)
    open_mailing(qtbot, page, "Spring open day")
    monkeypatch.setattr(dialogs, "ask_save_file", lambda *a, **k: tmp_path / "open day.png")
    qtbot.keyClick(page.list, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    desktop = QImage(str(tmp_path / "open day-desktop.png"))
    phone = QImage(str(tmp_path / "open day-phone.png"))
    assert (desktop.width(), phone.width()) == (700, PHONE_WIDTH)
    assert desktop.height() > 50


def test_a_local_file_is_previewed_offline(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    mail = tmp_path / "letter.html"
    mail.write_text(
        '<html><head><title>Hello there</title></head><body><p>Dear [[data:firstname:"friend"]],'
        "</p><p>news.</p></body></html>",
        encoding="utf-8",
    )
    window = open_window()
    page = window.preview_page
    window.nav.setCurrentRow(window.pages.indexOf(page))
    qtbot.waitUntil(lambda: "No drafts or templates fetched yet" in page.source_note.text())
    with qtbot.waitSignals([page.previewShown, page.checked], timeout=30_000):
        page.open_file(mail)
    assert page.subject_label.text() == "Hello there"
    assert page.preheader_label.text() == "Dear friend, news."
    assert not page.test_button.isEnabled()


def test_an_html_file_dropped_on_the_page_is_previewed(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    mail = tmp_path / "dropped.html"
    mail.write_text("<title>Dropped</title><p>Hi</p>", encoding="utf-8")
    sheet = tmp_path / "people.csv"
    sheet.write_text("email\n", encoding="utf-8")
    window = open_window()
    page = window.preview_page
    window.nav.setCurrentRow(window.pages.indexOf(page))

    def dragged(path: Path) -> QMimeData:
        data = QMimeData()
        data.setUrls([QUrl.fromLocalFile(str(path))])
        return data

    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    sheet_data = dragged(sheet)  # (kept: an event does not own its data)
    refused = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, sheet_data, buttons, keys)
    refused.ignore()
    page.dragEnterEvent(refused)
    assert not refused.isAccepted()  # (a spreadsheet is for the import, not the preview)
    mail_data = dragged(mail)
    entered = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mail_data, buttons, keys)
    entered.ignore()
    page.dragEnterEvent(entered)
    assert entered.isAccepted()
    drop = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mail_data, buttons, keys)
    with qtbot.waitSignal(page.previewShown, timeout=30_000):
        page.dropEvent(drop)
    assert page.subject_label.text() == "Dropped"
    assert page.mailings.rows[0].kind == MailKind.FILE


def test_a_file_that_cannot_be_opened_leaves_the_shown_mail_marked(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = tmp_path / "good.html"
    good.write_text("<title>Good</title><p>Hi</p>", encoding="utf-8")
    binary = tmp_path / "fake.html"
    binary.write_bytes(b"\x00\x01\x02\xff" * 64)
    problems: list[str] = []
    monkeypatch.setattr(dialogs, "tell_problem", lambda _p, _t, text: problems.append(text))
    window = open_window()
    page = window.preview_page
    window.nav.setCurrentRow(window.pages.indexOf(page))
    with qtbot.waitSignals([page.previewShown, page.checked], timeout=30_000):
        page.open_file(good)

    for told, bad in enumerate((binary, tmp_path / "missing.html"), start=1):
        page.open_file(bad)
        qtbot.waitUntil(lambda: len(problems) == told, timeout=10_000)  # noqa: B023
        assert [r.title for r in page.mailings.rows] == ["good.html"]
        assert [i.row() for i in page.list.selectionModel().selectedRows()] == [0]
        assert page.opened is not None
        assert page.opened.mail.source_id == str(good)
        assert page.status.text() == ""
    assert "not a text file" in problems[0]
    assert "There is no file" in problems[1]


def test_a_search_matching_nobody_keeps_the_shown_recipient_chosen(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    mail = tmp_path / "letter.html"
    mail.write_text("<p>Dear [[data:firstname]]</p>", encoding="utf-8")
    window = open_window()
    with window.workspace.transaction() as con:
        add_contacts(con, [NewContact("ann@york.ac.uk", "Ann", "Lee")], actor="t")
    page = window.preview_page
    window.nav.setCurrentRow(window.pages.indexOf(page))
    with qtbot.waitSignals([page.previewShown, page.checked], timeout=30_000):
        page.open_file(mail)
    assert "Dear Ann" in (page.rendered.html if page.rendered else "")
    chosen = page.recipients.currentText()
    assert "ann@york.ac.uk" in chosen

    page.search.setText("zzz-nobody-by-this-name")
    qtbot.waitUntil(lambda: "No contact matches" in page.status.text(), timeout=10_000)
    assert page.recipients.currentText() == chosen
    assert page.recipient is not None
    assert page.recipient.email == "ann@york.ac.uk"
