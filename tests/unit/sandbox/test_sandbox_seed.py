"""The practice data holds together the way Mailjet's would (issue #14 part 9): unsubscribe
states with their dates, links to things that exist, and list counts that are live."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from mjdesk.mailjet import contacts as mj
from mjdesk.mailjet.client import MailjetClient
from mjdesk.mailjet.retry import RetryPolicy
from mjdesk.sandbox.seed import seeded_store
from mjdesk.sandbox.server import Sandbox
from mjdesk.sandbox.store import Account


@pytest.fixture(scope="module")
def seeded() -> Iterator[Sandbox]:
    with Sandbox(seeded_store()) as sandbox:
        yield sandbox


def _department(sandbox: Sandbox) -> Account:
    return next(iter(sandbox.store.accounts.values()))


def test_unsubscribe_fields_go_together(seeded: Sandbox) -> None:
    account = _department(seeded)
    left: dict[int, list[str]] = {}
    for link in account.memberships.values():
        assert link.is_unsubscribed == bool(link.unsubscribed_at)
        contact = account.contacts[link.contact_id]
        assert contact.created_at <= link.subscribed_at
        if link.is_unsubscribed:
            assert link.subscribed_at < link.unsubscribed_at
            left.setdefault(contact.id, []).append(link.unsubscribed_at)
    assert left  # the practice data has people who left a list
    for contact in account.contacts.values():
        assert bool(contact.unsubscribed_by) == bool(contact.unsubscribed_at)
        assert contact.unsubscribed_at == max(left.get(contact.id, [""]))
        assert contact.is_excluded == bool(contact.excluded_updated_at)


def test_links_point_at_things_that_exist(seeded: Sandbox) -> None:
    account = _department(seeded)
    pairs = Counter((m.contact_id, m.list_id) for m in account.memberships.values())
    assert max(pairs.values()) == 1
    for contact_id, list_id in pairs:
        assert contact_id in account.contacts
        assert list_id in account.lists
    emails = Counter(c.email.lower() for c in account.contacts.values())
    assert max(emails.values()) == 1
    defined = {p.name for p in account.properties.values()}
    for contact_id, data in account.contact_data.items():
        assert contact_id in account.contacts
        assert set(data) <= defined
    for draft in account.drafts.values():
        assert draft.list_id in account.lists
        assert draft.campaign_id == 0 or draft.campaign_id in account.campaigns
    for campaign in account.campaigns.values():
        assert campaign.list_id in account.lists


def test_subscriber_counts_are_live_through_the_client(seeded: Sandbox) -> None:
    account = _department(seeded)
    with MailjetClient(
        account.api_key,
        account.secret_key,
        api_url=seeded.url,
        retry=RetryPolicy(sleep=lambda s: None),
    ) as client:
        lists = mj.list_lists(client)
        assert len(lists) == 3
        for item in lists:
            members = list(mj.list_memberships(client, list_id=item.id, unsubscribed=False))
            assert item.subscriber_count == len(members)
        newsletter = lists[0]
        member = next(iter(mj.list_memberships(client, list_id=newsletter.id, unsubscribed=False)))
        mj.unsubscribe_membership(client, member.id)
        assert (
            mj.get_list(client, newsletter.id).subscriber_count == newsletter.subscriber_count - 1
        )
