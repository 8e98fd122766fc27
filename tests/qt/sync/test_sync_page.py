"""The Lists and Sync pages, driven as a user would, against the sandbox through the real
client: pull a list, read the plan, filter it by reason, save it; the Lists page counts;
a list Mailjet lacks and a profile without keys are said plainly."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from mjdesk.core.contacts import ConsentRecord, NewContact, add_contacts
from mjdesk.mailjet.client import MailjetClient
from mjdesk.mailjet.contacts import (
    add_to_list,
    create_list,
    get_contact,
    list_memberships,
    unsubscribe_membership,
    update_contact,
)
from mjdesk.ui.common import dialogs
from mjdesk.ui.shell.main_window import MainWindow
from mjdesk.ui.sync.models import ListsModel, PlanModel
from mjdesk.ui.sync.page import NO_ACCOUNT, SyncPage

from support.sandbox_fixtures import Practice

OpenWindow = Callable[..., MainWindow]
PROOF = ConsentRecord("granted", "2026-06-01T00:00:00Z", "form.csv", wording="Yes")


def news_in_mailjet(practice: Practice) -> None:
    """News: Ann subscribed, Bob unsubscribed there, Fay (unknown here) excluded."""
    with MailjetClient(practice.key, practice.secret, api_url=practice.url) as client:
        news = create_list(client, "News").id
        for email in ("ann@york.ac.uk", "bob@york.ac.uk", "fay@york.ac.uk"):
            add_to_list(client, news, email)
        update_contact(client, "fay@york.ac.uk", excluded=True)
        bob_id = get_contact(client, "bob@york.ac.uk").id
        bob = next(m for m in list_memberships(client, list_id=news) if m.contact_id == bob_id)
        unsubscribe_membership(client, bob.id)


def sync_page(qtbot: QtBot, window: MainWindow, practice: Practice | None) -> SyncPage:
    with window.workspace.transaction() as con:
        add_contacts(
            con,
            [
                NewContact("ann@york.ac.uk", "Ann", consent=PROOF),
                NewContact("bob@york.ac.uk", "Bob", consent=PROOF),
            ],
            actor="t",
        )
    page = window.sync_page
    page.client_for = (
        (lambda: MailjetClient(practice.key, practice.secret, api_url=practice.url))
        if practice is not None
        else (lambda: None)
    )
    window.nav.setCurrentRow(window.pages.indexOf(page))
    assert window.pages.currentWidget() is page
    return page


def pull(qtbot: QtBot, page: SyncPage, name: str) -> None:
    page.list_choice.setEditText(name)
    qtbot.mouseClick(page.pull_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.strip.busy and bool(page.status.text()), timeout=10_000)


def rows(model: PlanModel) -> list[tuple[str, ...]]:
    return [
        tuple(str(model.data(model.index(r, c))) for c in range(3)) for r in range(model.rowCount())
    ]


def test_pull_then_review_the_plan_by_reason_and_save_it(
    qtbot: QtBot,
    qtmodeltester: object,
    open_window: OpenWindow,
    practice: Practice,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    news_in_mailjet(practice)
    window = open_window()
    page = sync_page(qtbot, window, practice)
    with qtbot.waitSignal(page.planned, timeout=10_000) as planned:
        pull(qtbot, page, "news")
    assert planned.args == ["News", 2]
    assert "Pulled “News” from Mailjet: 3 members" in page.status.text()
    assert "“News”: 1 to update, 2 blocked." in page.status.text()
    qtmodeltester.check(page.model)  # type: ignore[attr-defined]
    choices = [page.filter.itemText(i) for i in range(page.filter.count())]
    assert choices == [
        "Everyone (3)",
        "Update properties (1)",
        "Blocked: Excluded in Mailjet (1)",
        "Blocked: Unsubscribed in Mailjet (1)",
    ]
    page.filter.setCurrentIndex(3)
    assert rows(page.model) == [
        ("bob@york.ac.uk", "Blocked", "Unsubscribed in Mailjet"),
    ]

    saved = tmp_path / "plan.csv"
    monkeypatch.setattr(dialogs, "ask_save_file", lambda *a, **k: saved)
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    with saved.open(encoding="utf-8-sig") as text:
        assert len(list(csv.DictReader(text))) == 3  # (every row, whatever is shown)
    assert "Plan saved" in page.status.text()

    # A page opened later starts on the list last pulled, with that pull's summary.
    again = SyncPage(window.host, lambda: None)
    qtbot.addWidget(again)
    again.show()
    qtbot.waitUntil(lambda: again.status.text().startswith("Last: Pulled “News”"), timeout=5_000)
    assert again.list_choice.currentText() == "News"

    lists = window.lists_page
    window.nav.setCurrentRow(window.pages.indexOf(lists))
    qtbot.waitUntil(lambda: lists.model.rowCount() == 1, timeout=5_000)
    qtmodeltester.check(lists.model)  # type: ignore[attr-defined]
    model: ListsModel = lists.model
    shown = [model.data(model.index(0, c)) for c in range(5)]
    # (Fay is subscribed there: excluded and without consent here, the plan blocks her)
    assert shown == ["News", "#1", "3", "2", "1"]


def test_a_list_mailjet_lacks_and_a_profile_without_keys_are_said_plainly(
    qtbot: QtBot, open_window: OpenWindow, practice: Practice
) -> None:
    window = open_window()
    page = sync_page(qtbot, window, practice)
    pull(qtbot, page, "Alumni")
    assert "Mailjet has no list “Alumni”" in page.status.text()
    page.client_for = lambda: None
    pull(qtbot, page, "News")
    assert page.status.text() == NO_ACCOUNT
    qtbot.mouseClick(page.plan_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "There is no list “News”" in page.status.text(), timeout=5_000)
    assert page.model.rowCount() == 0


def test_push_after_confirming_then_nothing_is_left_to_send(
    qtbot: QtBot, open_window: OpenWindow, practice: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    news_in_mailjet(practice)
    window = open_window()
    page = sync_page(qtbot, window, practice)
    with qtbot.waitSignal(page.planned, timeout=10_000):
        pull(qtbot, page, "News")
    assert page.push_button.isEnabled()  # (Ann's consent is not in Mailjet yet)

    asked: list[str] = []

    def confirm(_parent: object, _title: str, text: str, _action: str) -> bool:
        asked.append(text)
        return True

    monkeypatch.setattr(dialogs, "ask_confirm", confirm)
    qtbot.mouseClick(page.push_button, Qt.MouseButton.LeftButton)
    # (then the plan is made again, from what the push recorded)
    qtbot.waitUntil(lambda: "\n“News”: 2 blocked." in page.status.text(), timeout=20_000)
    assert "1 to update (their consent properties)" in asked[0]
    assert "2 blocked contacts are not sent" in asked[0]
    assert page.status.text().startswith("Pushed “News” to Mailjet: 1 updated.\n“News”: 2 blocked.")
    assert not page.push_button.isEnabled()
    with MailjetClient(practice.key, practice.secret, api_url=practice.url) as client:
        from mjdesk.core.sync import consent_properties as props
        from mjdesk.mailjet.contacts import get_contact_data

        assert get_contact_data(client, "ann@york.ac.uk")[props.SOURCE] == "form.csv"


def test_a_push_stopped_while_mailjet_works_is_resumed_and_sends_nothing_twice(
    qtbot: QtBot, open_window: OpenWindow, practice: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    news_in_mailjet(practice)
    window = open_window()
    page = sync_page(qtbot, window, practice)
    with qtbot.waitSignal(page.planned, timeout=10_000):
        pull(qtbot, page, "News")
    monkeypatch.setattr(dialogs, "ask_confirm", lambda *_a: True)
    options = practice.sandbox.store.options
    options.job_seconds = 600  # (Mailjet busy: the job does not finish while we wait)
    qtbot.mouseClick(page.push_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: practice.sandbox.count("POST", "managemanycontacts") == 1, timeout=10_000
    )
    qtbot.mouseClick(page.strip.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.push_button.text() == "Resume the Pus&h…", timeout=10_000)
    assert page.status.text().startswith("Push of “News” cancelled. Done so far:")

    practice.sandbox.store.advance(600)  # (the job Mailjet had finished meanwhile)
    qtbot.mouseClick(page.push_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.status.text().startswith("Pushed “News”"), timeout=20_000)
    assert practice.sandbox.count("POST", "managemanycontacts") == 1  # (not sent again)
    qtbot.waitUntil(lambda: page.push_button.text() == "Pus&h to Mailjet…", timeout=5_000)


def test_a_push_shows_each_phase_with_its_counts_and_the_time_left(
    qtbot: QtBot, open_window: OpenWindow, practice: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    """20 people to add, in a job Mailjet takes 100 s over (on the sandbox's clock, moved
    on by hand): half-way, the strip says how many of them are done and how long is left."""
    from mjdesk.core.edits import add_to_list as add_here

    news_in_mailjet(practice)
    window = open_window()
    page = sync_page(qtbot, window, practice)
    with window.workspace.transaction() as con:
        add_contacts(
            con,
            [NewContact(f"new{n}@york.ac.uk", consent=PROOF) for n in range(20)],
            actor="t",
        )
    add_here(window.workspace, range(3, 23), "News")
    with qtbot.waitSignal(page.planned, timeout=10_000):
        pull(qtbot, page, "News")
    monkeypatch.setattr(dialogs, "ask_confirm", lambda *_a: True)
    store = practice.sandbox.store
    store.options.job_seconds = 100
    qtbot.mouseClick(page.push_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: practice.sandbox.count("POST", "managemanycontacts") == 1, timeout=10_000
    )
    store.advance(60)  # (queued for 20 s, then half of its contacts done)
    qtbot.waitUntil(
        lambda: page.strip.label.text().startswith("Adding and updating contacts: 10 of 21 ("),
        timeout=10_000,
    )
    said = page.strip.label.text()
    assert said.endswith(" s left)"), said
    assert page.strip.bar.maximum() == 1000
    assert page.strip.bar.value() == 10 * 1000 // 21

    store.advance(60)
    qtbot.waitUntil(lambda: page.status.text().startswith("Pushed “News”"), timeout=20_000)
    assert page.status.text().startswith("Pushed “News” to Mailjet: 20 added; 1 updated.")
    assert not page.strip.isVisible()
