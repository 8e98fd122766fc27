"""People on the local list whom no pull has seen in Mailjet (not on its list yet), but whom
Mailjet has excluded from campaigns, seen bounce for good or complain of spam, through
another list: found before a plan adds them, and blocked with the reason. Against the
sandbox through the real client, reading only with the filters Mailjet documents (the
sandbox refuses the others)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from mjdesk.core.contacts import ConsentRecord, NewContact, add_contacts
from mjdesk.core.edits import add_to_list as add_here
from mjdesk.core.flags import Flag
from mjdesk.core.sync.plan import Action, Reason, make_plan
from mjdesk.core.workspace import Workspace
from mjdesk.mailjet import suppression
from mjdesk.mailjet.client import MailjetClient
from mjdesk.mailjet.contacts import (
    add_to_list,
    create_list,
    list_contacts,
    list_lists,
    update_contact,
)
from mjdesk.mailjet.pushing import Pace, push_list
from mjdesk.mailjet.retry import RetryPolicy
from mjdesk.mailjet.statistics import counters
from mjdesk.mailjet.syncing import pull_list
from mjdesk.sandbox.store import Event, rfc3339

from support.sandbox_fixtures import Practice

GIVEN = ConsentRecord("granted", "2026-06-01T00:00:00Z", "open-day.csv", wording="Yes to news")
FAST = Pace(poll_interval=0.01, settle_seconds=0, sleep=lambda _s: None)
EXCLUDED, BOUNCED, SPAM = "exc@york.ac.uk", "bounce@york.ac.uk", "spam@york.ac.uk"
PLAIN, NEW = "plain@york.ac.uk", "new@york.ac.uk"
PEOPLE = (EXCLUDED, BOUNCED, SPAM, PLAIN, NEW)


@pytest.fixture
def client(practice: Practice) -> Iterator[MailjetClient]:
    retry = RetryPolicy(retries=2, base=0.001, cap=0.002)
    with MailjetClient(practice.key, practice.secret, api_url=practice.url, retry=retry) as made:
        yield made


@pytest.fixture
def mailjet(practice: Practice, client: MailjetClient) -> int:
    """An empty list News; on another list, Alumni: one person excluded from campaigns, one
    whose mail bounced for good, one who complained of spam, one with nothing against
    them. (``new@`` is not in Mailjet at all.) The id of News."""
    news = create_list(client, "News").id
    alumni = create_list(client, "Alumni").id
    for email in (EXCLUDED, BOUNCED, SPAM, PLAIN):
        add_to_list(client, alumni, email)
    update_contact(client, EXCLUDED, excluded=True)
    account = practice.sandbox.account(practice.key)
    account.find_contact(SPAM).is_spam_complaining = True  # type: ignore[union-attr]
    bounced = account.find_contact(BOUNCED)
    assert bounced is not None
    when = rfc3339(practice.sandbox.store.now() - timedelta(days=3))
    account.events.append(Event(account.new_id(), "bounce", 0, bounced.id, 0, when, permanent=True))
    return news


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    """All five consented here."""
    with Workspace.open(tmp_path / "ws.sqlite3") as workspace:
        with workspace.transaction() as con:
            add_contacts(con, [NewContact(e, consent=GIVEN) for e in PEOPLE], actor="seeder")
        yield workspace


def _plan(ws: Workspace) -> dict[str, tuple[Action, str]]:
    with ws.reading() as con:
        return {r.email: (r.action, r.reason) for r in make_plan(con, "News").rows}


def _on_news(client: MailjetClient, news: int) -> set[str]:
    return {c.email for c in list_contacts(client, list_id=news)}


def _flags(ws: Workspace) -> set[tuple[str, str]]:
    return set(
        ws.fetch(
            "SELECT c.email, f.flag FROM contact_flags f JOIN contacts c ON c.id = f.contact_id "
            "WHERE f.flag IN (?, ?, ?)",
            (Flag.EXCLUDED.stored, Flag.BOUNCED.stored, Flag.SPAM.stored),
        )
    )


BLOCKED_ELSEWHERE = {
    EXCLUDED: (Action.BLOCKED, Reason.EXCLUDED),
    BOUNCED: (Action.BLOCKED, Reason.BOUNCED),
    SPAM: (Action.BLOCKED, Reason.SPAM),
}


def test_a_pull_finds_who_mailjet_blocks_elsewhere_and_the_push_leaves_them_out(
    practice: Practice, client: MailjetClient, mailjet: int, ws: Workspace
) -> None:
    add_here(ws, range(1, 6), "News")
    pulled = pull_list(client, ws, "News")
    assert pulled.blocked_elsewhere == 3
    assert pulled.message.endswith(
        " 3 members not on the Mailjet list yet are excluded, bounced or complained of spam "
        "in Mailjet: blocked in the plan."
    )
    assert _plan(ws) == {
        **BLOCKED_ELSEWHERE,
        PLAIN: (Action.ADD, Reason.NEW_THERE),
        NEW: (Action.ADD, Reason.NEW_THERE),
    }
    assert _flags(ws) == {
        (EXCLUDED, Flag.EXCLUDED.stored),
        (BOUNCED, Flag.BOUNCED.stored),
        (SPAM, Flag.SPAM.stored),
    }
    result = push_list(client, ws, "News", pace=FAST)
    assert result.message == "Pushed “News” to Mailjet: 2 added."
    assert _on_news(client, mailjet) == {PLAIN, NEW}
    # Known now: neither the next pull nor the next push asks Mailjet about them again.
    before = len(practice.sandbox.requests)
    pull_list(client, ws, "News")
    assert not [p for _m, p in practice.sandbox.requests[before:] if "IsExcluded" in p]
    assert _plan(ws) == {
        **BLOCKED_ELSEWHERE,
        PLAIN: (Action.NONE, Reason.IN_STEP),
        NEW: (Action.NONE, Reason.IN_STEP),
    }


def test_people_added_here_after_the_pull_are_checked_before_the_push(
    practice: Practice, client: MailjetClient, mailjet: int, ws: Workspace
) -> None:
    add_here(ws, [5], "News")  # (new@ only)
    pull_list(client, ws, "News")
    add_here(ws, [1, 2, 3], "News")  # (then the three Mailjet blocks, without a pull)
    result = push_list(client, ws, "News", pace=FAST)
    assert result.message == "Pushed “News” to Mailjet: 1 added."
    assert _on_news(client, mailjet) == {NEW}
    assert {e: _plan(ws)[e] for e in BLOCKED_ELSEWHERE} == BLOCKED_ELSEWHERE


def test_many_unknown_people_are_read_in_batches_only(
    practice: Practice,
    client: MailjetClient,
    mailjet: int,
    ws: Workspace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Above `ONE_BY_ONE` unknown people, only the exclusion list and the bounces are read
    (and each bounced contact not known by its ID): a spam complaint of someone neither
    excluded nor bounced is not seen before the push (Mailjet blocks their mail)."""
    monkeypatch.setattr(suppression, "ONE_BY_ONE", 2)
    add_here(ws, range(1, 6), "News")
    before = len(practice.sandbox.requests)
    pulled = pull_list(client, ws, "News")
    looked_up = [p for m, p in practice.sandbox.requests[before:] if "/contact/" in p]
    assert pulled.blocked_elsewhere == 2
    assert _plan(ws)[EXCLUDED] == BLOCKED_ELSEWHERE[EXCLUDED]
    assert _plan(ws)[BOUNCED] == BLOCKED_ELSEWHERE[BOUNCED]
    assert _plan(ws)[SPAM] == (Action.ADD, Reason.NEW_THERE)
    assert len(looked_up) == 1  # (the bounced contact, by its ID)
    assert looked_up[0].rsplit("/", 1)[1].isdigit()


def test_a_campaign_is_blocked_for_whoever_complained_or_bounced_and_not_sent_to_the_excluded(
    practice: Practice, client: MailjetClient, mailjet: int
) -> None:
    """What the plan blocks, Mailjet blocks too when a campaign goes to their list: the
    sandbox counts their messages "blocked" (the excluded get none)."""
    alumni = next(lst.id for lst in list_lists(client) if lst.name == "Alumni")
    draft = practice.rest(
        "POST",
        "campaigndraft",
        json={
            "Locale": "en_GB",
            "Sender": "Dept",
            "SenderEmail": "news@dept.example.ac.uk",
            "Subject": "Hello",
            "ContactsListID": alumni,
        },
    ).json()["Data"][0]["ID"]
    content = {"Html-part": "<p>Hi [[UNSUB_LINK_EN]]</p>", "Text-part": "Hi"}
    assert practice.rest("POST", f"campaigndraft/{draft}/detailcontent", json=content).ok
    assert practice.rest("POST", f"campaigndraft/{draft}/send", json={}).status_code == 201
    account = practice.sandbox.account(practice.key)
    campaign = next(c.id for c in account.campaigns.values() if c.list_id == alumni)
    (figures,) = counters(client, "Campaign", source_id=campaign)
    assert (figures.total, figures.blocked) == (3, 2)  # (spam@ and bounce@; plain@ mailed)
