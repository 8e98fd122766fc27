"""A GDPR access export says what Mailjet holds about the person: read now when Mailjet
answers (sandbox, real client), else what the last pull saw, and why; nothing at all is
said plainly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mjdesk.core.contacts import ConsentRecord, NewContact, add_contacts
from mjdesk.core.details import access_export, contact_details
from mjdesk.core.workspace import Workspace
from mjdesk.mailjet.client import MailjetClient
from mjdesk.mailjet.contacts import add_to_list, create_list, create_property
from mjdesk.mailjet.held import NOT_CONNECTED, mailjet_held
from mjdesk.mailjet.syncing import pull_list

from support.sandbox_fixtures import Practice

PROOF = ConsentRecord("granted", "2026-01-01T00:00:00Z", "form.csv", wording="Yes")


@pytest.fixture
def client(practice: Practice) -> Iterator[MailjetClient]:
    with MailjetClient(practice.key, practice.secret, api_url=practice.url) as made:
        yield made


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(tmp_path / "ws.sqlite3") as workspace:
        with workspace.transaction() as con:
            add_contacts(con, [NewContact("ann@york.ac.uk", "Ann", consent=PROOF)], actor="t")
        yield workspace


def test_read_now_from_mailjet_then_from_the_last_pull_when_it_is_out_of_reach(
    client: MailjetClient, ws: Workspace, practice: Practice, tmp_path: Path
) -> None:
    create_property(client, "department")
    news = create_list(client, "News").id
    add_to_list(client, news, "ann@york.ac.uk", properties={"department": "History"})

    held, _note = mailjet_held(client, ws, "ANN@york.ac.uk")
    assert held is not None
    assert held.source == "Mailjet, read now"
    assert held.contact["Email"] == "ann@york.ac.uk"
    assert held.properties == {"department": "History"}
    assert held.lists == [{"list": "News", "status": "subscribed", "since": held.lists[0]["since"]}]

    with ws.reading() as con:
        details = contact_details(con, 1)
    assert details is not None
    data, page = access_export(details, tmp_path / "out", held)
    assert json.loads(data.read_text("utf-8"))["mailjet"]["properties"] == {"department": "History"}
    assert "In Mailjet" in page.read_text("utf-8")

    pull_list(client, ws, "News")
    practice.sandbox.stop()  # (Mailjet out of reach: what the last pull saw, and why)
    offline = MailjetClient(practice.key, practice.secret, api_url=practice.url)
    with offline:
        held, _note = mailjet_held(offline, ws, "ann@york.ac.uk")
    assert held is not None
    assert held.source.startswith("the last pull (")
    assert "Mailjet could not be reached" in held.source
    assert held.lists == [{"list": "News", "status": "subscribed", "since": held.lists[0]["since"]}]


def test_without_an_account_or_a_pull_the_export_says_so(ws: Workspace, tmp_path: Path) -> None:
    held, note = mailjet_held(None, ws, "ann@york.ac.uk")
    assert held is None
    assert NOT_CONNECTED in note
    with ws.reading() as con:
        details = contact_details(con, 1)
    assert details is not None
    data, page = access_export(details, tmp_path / "out", held, note)
    assert json.loads(data.read_text("utf-8"))["mailjet"] == {"note": note}
    assert NOT_CONNECTED in page.read_text("utf-8")
