"""The sandbox's drafts as preview depends on them: content writes that are refused change
nothing, ``/sender``, and test, schedule and send as Mailjet documents them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from mjdesk.mailjet import contacts as mj
from mjdesk.mailjet.client import MailjetClient
from mjdesk.sandbox.seed import UNVALIDATED_SENDER, seeded_store
from mjdesk.sandbox.server import Sandbox
from mjdesk.sandbox.store import Store

from support.sandbox_fixtures import Practice


@pytest.fixture
def ready_draft(practice: Practice) -> int:
    """A draft that passes every readiness check (a list of two, content, an active sender)."""
    with MailjetClient(practice.key, practice.secret, api_url=practice.url) as client:
        newsletter = mj.create_list(client, "Newsletter")
        mj.add_to_list(client, newsletter.id, "one@example.org")
        mj.add_to_list(client, newsletter.id, "two@example.org")
    draft = practice.rest(
        "POST",
        "campaigndraft",
        json={
            "Locale": "en_GB",
            "Sender": "Dept",
            "SenderEmail": "news@dept.example.ac.uk",
            "Subject": "Hello",
            "ContactsListID": newsletter.id,
        },
    ).json()["Data"][0]
    content = {"Html-part": "<p>Hi [[UNSUB_LINK_EN]]</p>", "Text-part": "Hi"}
    assert practice.rest("POST", f"campaigndraft/{draft['ID']}/detailcontent", json=content).ok
    return int(draft["ID"])


def _content(practice: Practice, draft_id: int) -> dict[str, object]:
    return dict(practice.rest("GET", f"campaigndraft/{draft_id}/detailcontent").json()["Data"][0])


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_a_refused_content_write_changes_nothing(
    practice: Practice, ready_draft: int, method: str
) -> None:
    before = _content(practice, ready_draft)
    bad = {"Html-part": "<p>new</p>", "Text-part": "new", "Headers": ["not", "an", "object"]}
    answer = practice.rest(method, f"campaigndraft/{ready_draft}/detailcontent", json=bad)
    assert answer.status_code == 400
    assert _content(practice, ready_draft) == before


def test_senders_list_their_validation_and_documented_filters_only() -> None:
    with Sandbox(seeded_store()) as sandbox:
        account = next(iter(sandbox.store.accounts.values()))

        def get(params: dict[str, str]) -> requests.Response:
            return requests.get(
                sandbox.url + "v3/REST/sender",
                params={"Limit": "100", **params},
                auth=(account.api_key, account.secret_key),
                timeout=5,
            )

        shown = {row["Email"]: row["Status"] for row in get({}).json()["Data"]}
        assert shown[UNVALIDATED_SENDER] == "Inactive"
        assert shown["newsletter@dept.example.ac.uk"] == "Active"
        assert "old-news@archive.example.net" not in shown  # deleted: only with ShowDeleted
        with_deleted = get({"ShowDeleted": "true"}).json()["Data"]
        assert any(row["Status"] == "Deleted" for row in with_deleted)
        inactive = get({"Status": "Inactive"}).json()["Data"]
        assert [row["Email"] for row in inactive] == [UNVALIDATED_SENDER]
        domains = get({"IsDomainSender": "true"}).json()["Data"]
        assert {row["Email"] for row in domains} == {"*@dept.example.ac.uk", "*@example.org"}
        assert get({"Domain": "partner.example.net"}).json()["Count"] == 1
        assert get({"SenderEmail": "x"}).status_code == 400  # not a /sender filter
        assert get({"DnsID": "1"}).status_code == 400  # documented, not modelled
        one = requests.get(
            sandbox.url + f"v3/REST/sender/{UNVALIDATED_SENDER}",
            auth=(account.api_key, account.secret_key),
            timeout=5,
        )
        assert one.json()["Data"][0]["Status"] == "Inactive"


def test_a_new_sender_waits_inactive(practice: Practice) -> None:
    made = practice.rest("POST", "sender", json={"Email": "me@elsewhere.test", "Name": "Me"})
    assert made.status_code == 201
    assert made.json()["Data"][0]["Status"] == "Inactive"
    again = practice.rest("POST", "sender", json={"Email": "ME@elsewhere.test"})
    assert again.status_code == 400
    assert "MJ18" in again.json()["ErrorMessage"]


def test_a_test_is_recorded_and_changes_no_status(practice: Practice, ready_draft: int) -> None:
    answer = practice.rest(
        "POST",
        f"campaigndraft/{ready_draft}/test",
        json={"Recipients": [{"Email": "me@example.org", "Name": "Me"}]},
    )
    assert answer.status_code == 201
    sent = practice.sandbox.account(practice.key).test_sends
    assert [(t.draft_id, t.recipients, t.subject) for t in sent] == [
        (ready_draft, ["me@example.org"], "Hello")
    ]
    assert sent[0].html == "<p>Hi [[UNSUB_LINK_EN]]</p>"
    status = practice.rest("GET", f"campaigndraft/{ready_draft}/status").json()["Data"][0]
    assert status["Status"] == "Draft"


def test_an_unvalidated_sender_or_no_content_is_refused(
    practice: Practice, ready_draft: int
) -> None:
    practice.rest("POST", "sender", json={"Email": "me@elsewhere.test"})
    practice.rest("PUT", f"campaigndraft/{ready_draft}", json={"SenderEmail": "me@elsewhere.test"})
    recipients = {"Recipients": [{"Email": "me@example.org"}]}
    for action, body in (("test", recipients), ("send", {}), ("schedule", {"Date": "NOW"})):
        refused = practice.rest("POST", f"campaigndraft/{ready_draft}/{action}", json=body)
        assert refused.status_code == 400
        assert "active sender" in refused.json()["ErrorMessage"]
    practice.rest(
        "PUT", f"campaigndraft/{ready_draft}", json={"SenderEmail": "news@dept.example.ac.uk"}
    )
    practice.rest("POST", f"campaigndraft/{ready_draft}/detailcontent", json={"Html-part": ""})
    empty = practice.rest("POST", f"campaigndraft/{ready_draft}/test", json=recipients)
    assert empty.status_code == 400
    assert "Text-part or Html-part" in empty.json()["ErrorMessage"]
    assert practice.sandbox.account(practice.key).test_sends == []


def _status(practice: Practice, draft_id: int) -> str:
    return str(practice.rest("GET", f"campaigndraft/{draft_id}/status").json()["Data"][0]["Status"])


def test_a_scheduled_draft_is_sent_at_its_time(practice: Practice, ready_draft: int) -> None:
    store: Store = practice.sandbox.store
    date = (store.now().replace(microsecond=0) + timedelta(hours=1)).isoformat()
    answer = practice.rest("POST", f"campaigndraft/{ready_draft}/schedule", json={"Date": date})
    assert answer.status_code == 201
    assert answer.json()["Data"][0]["Status"] == "Programmed"
    assert _status(practice, ready_draft) == "Programmed"
    store.advance(3599)
    assert _status(practice, ready_draft) == "Programmed"
    store.advance(2)
    assert _status(practice, ready_draft) == "Sent"
    draft = practice.rest("GET", f"campaigndraft/{ready_draft}").json()["Data"][0]
    campaign = practice.rest("GET", f"campaign/{draft['CampaignID']}").json()["Data"][0]
    assert campaign["NewsLetterID"] == ready_draft
    assert campaign["SendStartAt"] == draft["DeliveredAt"]


def test_now_and_send_go_at_once(practice: Practice, ready_draft: int) -> None:
    now = practice.rest("POST", f"campaigndraft/{ready_draft}/schedule", json={"Date": "NOW"})
    assert now.json()["Data"][0]["Status"] == "Programmed"
    assert _status(practice, ready_draft) == "Sent"
    again = practice.rest("POST", f"campaigndraft/{ready_draft}/send", json={})
    assert again.status_code == 400  # a sent draft is neither a draft nor programmed


def test_send_answers_programmed_then_reads_sent(practice: Practice, ready_draft: int) -> None:
    sent = practice.rest("POST", f"campaigndraft/{ready_draft}/send", json={})
    assert sent.status_code == 201
    assert sent.json()["Data"][0]["Status"] == "Programmed"
    assert _status(practice, ready_draft) == "Sent"


def test_a_date_without_offset_is_read_as_utc(practice: Practice, ready_draft: int) -> None:
    past = practice.rest(
        "POST", f"campaigndraft/{ready_draft}/schedule", json={"Date": "2018-01-01T00:00:00"}
    )
    assert past.status_code == 400
    assert "future" in past.json()["ErrorMessage"]


def test_an_old_state_file_gets_the_default_senders() -> None:
    store = Store()
    store.add_account("Old", "k" * 32, "s" * 32)
    raw = store.to_json()
    for account in raw["accounts"]:
        del account["senders"]
    again = Store()
    again.load_json(raw)
    assert again.accounts["k" * 32].sender_is_active("anyone@example.org")
    assert not again.accounts["k" * 32].sender_is_active("anyone@elsewhere.test")
