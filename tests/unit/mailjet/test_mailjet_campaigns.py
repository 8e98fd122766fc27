"""Drafts, templates, sending and statistics through our client, against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from mjdesk.mailjet import campaigns as mc
from mjdesk.mailjet import contacts as mj
from mjdesk.mailjet import statistics as ms
from mjdesk.mailjet.client import MailjetClient
from mjdesk.mailjet.errors import InvalidRequest
from mjdesk.mailjet.retry import RetryPolicy
from mjdesk.sandbox.seed import seeded_store
from mjdesk.sandbox.server import Sandbox
from mjdesk.sandbox.store import practice_key

from support.sandbox_fixtures import Practice


@pytest.fixture(scope="module")
def seeded() -> Iterator[MailjetClient]:
    with Sandbox(seeded_store()) as sandbox:
        key, secret = practice_key("department")
        with MailjetClient(key, secret, api_url=sandbox.url, retry=RetryPolicy(retries=0)) as made:
            yield made


@pytest.fixture
def client(practice: Practice) -> Iterator[MailjetClient]:
    with MailjetClient(practice.key, practice.secret, api_url=practice.url) as made:
        yield made


def test_seed_shape(seeded: MailjetClient) -> None:
    lists = mj.list_lists(seeded)
    assert len(lists) == 3
    assert mj.count_contacts(seeded) == 5000
    unsubscribed = list(mj.list_memberships(seeded, unsubscribed=True))
    assert unsubscribed
    assert len(list(mj.list_contacts(seeded, excluded=True))) > 0
    drafts = mc.list_drafts(seeded)
    assert len([d for d in drafts if d.status == 0]) == 7
    assert len([d for d in drafts if d.status == 2]) == 12
    assert len(mc.list_templates(seeded)) == 6
    contents = [mc.draft_content(seeded, d.id).html for d in drafts if d.status == 0]
    assert sum("[[UNSUB_LINK_EN]]" not in html for html in contents) == 1
    assert any("{{data:department" in html for html in contents)
    template = mc.list_templates(seeded)[0]
    assert "[[UNSUB_LINK_EN]]" in mc.template_content(seeded, template.id).html


def test_seed_statistics_add_up(seeded: MailjetClient) -> None:
    campaigns = mc.list_campaigns(seeded)
    assert len(campaigns) == 12
    campaign = campaigns[-1]
    lifetime = ms.counters(seeded, "Campaign", source_id=campaign.id)
    assert len(lifetime) == 1
    days = ms.counters(
        seeded, "Campaign", source_id=campaign.id, timing="Event", resolution="Day", from_ts=0
    )
    assert len(days) > 3  # opens spread over the days after sending
    assert sum(d.opened for d in days) == lifetime[0].opened
    total = lifetime[0]
    assert total.total == total.sent + total.hard_bounced + total.soft_bounced + total.blocked
    providers = ms.mailbox_providers(seeded, campaign.id)
    assert sum(p["DeliveredMessagesCount"] for p in providers) == total.sent
    assert sum(p["OpenedMessagesCount"] for p in providers) == total.opened
    links = ms.link_clicks(seeded, campaign.id)
    assert sum(link["ClickedMessagesCount"] for link in links) >= total.clicked
    assert len(ms.opens(seeded, campaign_id=campaign.id)) == total.opened
    assert (
        len(ms.bounces(seeded, campaign_id=campaign.id)) == total.hard_bounced + total.soft_bounced
    )
    assert ms.clicks(seeded, campaign_id=campaign.id)
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    # Today's events only, by default (the newest campaign's opens are still coming in).
    assert {row["OpenedAt"][:10] for row in ms.opens(seeded)} <= {today}
    overview = ms.campaign_overview(seeded, sent_only=True)
    assert len(overview) == 12
    with pytest.raises(ValueError, match="Lifetime"):
        ms.counters(seeded, "APIKey", from_ts=1)


def test_draft_lifecycle(client: MailjetClient) -> None:
    newsletter = mj.create_list(client, "Newsletter")
    mj.add_to_list(client, newsletter.id, "one@example.org")
    draft = mc.create_draft(
        client, subject="Hi", sender="Dept", sender_email="news@example.org", list_id=newsletter.id
    )
    with pytest.raises(InvalidRequest, match="Text-part or Html-part"):
        mc.send_draft(client, draft.id)
    mc.set_draft_content(client, draft.id, html="<p>Hi [[UNSUB_LINK_EN]]</p>", text="Hi")
    assert mc.draft_content(client, draft.id).text == "Hi"
    with pytest.raises(InvalidRequest, match="more than one"):
        mc.send_test(client, draft.id, [("me@example.org", "Me")])
    mj.add_to_list(client, newsletter.id, "two@example.org")
    mc.send_test(client, draft.id, [("me@example.org", "Me")])
    with pytest.raises(InvalidRequest, match="future"):
        mc.schedule_draft(client, draft.id, "2001-01-01T00:00:00Z")
    mc.schedule_draft(client, draft.id, "2999-01-01T09:00:00+01:00")
    assert mc.draft_status(client, draft.id) == "Programmed"
    mc.unschedule_draft(client, draft.id)
    assert mc.draft_status(client, draft.id) == "Draft"
    mc.send_draft(client, draft.id)
    sent = mc.get_draft(client, draft.id)
    assert mc.draft_status(client, draft.id) == "Sent"
    campaign = mc.get_campaign(client, sent.campaign_id)
    assert campaign.newsletter_id == draft.id


def test_inactive_sender_is_refused(client: MailjetClient) -> None:
    newsletter = mj.create_list(client, "Newsletter")
    draft = mc.create_draft(
        client, subject="Hi", sender="X", sender_email="x@elsewhere.test", list_id=newsletter.id
    )
    with pytest.raises(InvalidRequest, match="active sender"):
        mc.send_draft(client, draft.id)


def test_templates(client: MailjetClient) -> None:
    template_id = mc.create_template(client, "Welcome", description="For sign-ups")
    mc.set_template_content(client, template_id, html='<p>{{var:name:"you"}}</p>', text="Hi")
    assert mc.template_content(client, template_id).html == '<p>{{var:name:"you"}}</p>'
    assert [t.name for t in mc.list_templates(client)] == ["Welcome"]


def test_send_sandbox_mode_and_mixed_results(client: MailjetClient, practice: Practice) -> None:
    good = {
        "From": {"Email": "news@example.org"},
        "To": [{"Email": "a@example.org"}],
        "Subject": "Hi",
        "TextPart": "Hi",
    }
    previews = mc.send_messages(client, [good], sandbox_mode=True)
    assert previews[0]["Status"] == "success"
    assert previews[0]["To"][0]["MessageID"] == 0
    assert previews[0]["To"][0]["MessageUUID"] == ""
    bad = {**good, "To": [{"Email": "not-an-address"}]}
    with pytest.raises(InvalidRequest) as caught:
        mc.send_messages(client, [good, bad])
    assert "invalid email address" in caught.value.message
    results = caught.value.details
    assert [m["Status"] for m in results] == ["success", "error"]
    assert results[1]["Errors"][0]["ErrorCode"] == "mj-0013"
    assert practice.sandbox.count("POST", "/v3.1/send") == 2
    assert mj.get_contact(client, "a@example.org").email == "a@example.org"
