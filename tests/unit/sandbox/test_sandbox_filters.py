"""List replies as Mailjet documents them (issue #14 part 9): a page-local ``Total`` and only each
resource's documented filters, checked through mailjet-rest itself and through our client."""

from __future__ import annotations

from collections.abc import Iterator

import mailjet_rest
import pytest

from mjdesk.mailjet import contacts as mj
from mjdesk.mailjet.client import MailjetClient
from mjdesk.mailjet.errors import InvalidRequest
from mjdesk.mailjet.retry import RetryPolicy
from mjdesk.sandbox.resources.lists import apply_action, create_list, new_contact

from support.sandbox_fixtures import Practice

STAMP = "2024-01-01T00:00:00Z"


@pytest.fixture
def sdk(practice: Practice) -> Iterator[mailjet_rest.Client]:
    with mailjet_rest.Client(
        auth=(practice.key, practice.secret), api_url=practice.url, version="v3"
    ) as made:
        yield made


@pytest.fixture
def client(practice: Practice) -> Iterator[MailjetClient]:
    with MailjetClient(
        practice.key, practice.secret, api_url=practice.url, retry=RetryPolicy(sleep=lambda s: None)
    ) as made:
        yield made


def _fill(practice: Practice, count: int, *, unsubscribed_every: int = 0) -> int:
    """A list of ``count`` members, every ``unsubscribed_every``-th unsubscribed; its ID."""
    account = practice.sandbox.account(practice.key)
    item = create_list(account, "Members", STAMP)
    for number in range(count):
        contact = new_contact(account, f"m{number:05d}@example.org", "", STAMP)
        apply_action(account, contact, item.id, "addnoforce", STAMP)
        if unsubscribed_every and number % unsubscribed_every == 0:
            apply_action(account, contact, item.id, "unsub", STAMP)
    return item.id


def test_total_is_the_page_count_unless_count_only(
    practice: Practice, sdk: mailjet_rest.Client
) -> None:
    _fill(practice, 2500)
    body = sdk.contact.get(filters={"Limit": 10, "Offset": 5}).json()
    assert (body["Count"], body["Total"], len(body["Data"])) == (10, 10, 10)
    last = sdk.contact.get(filters={"Limit": 1000, "Offset": 2000}).json()
    assert (last["Count"], last["Total"]) == (500, 500)
    counted = sdk.contact.get(filters={"countOnly": 1}).json()
    assert (counted["Count"], counted["Total"], counted["Data"]) == (0, 2500, [])
    before = practice.sandbox.count("GET", "/contact")
    streamed = list(sdk.contact.stream(chunk_size=1000))
    assert len({row["ID"] for row in streamed}) == 2500
    assert practice.sandbox.count("GET", "/contact") - before == 3  # stops at the short page


def test_limit_is_capped_at_1000_and_sort_orders_the_pages(
    practice: Practice, sdk: mailjet_rest.Client
) -> None:
    _fill(practice, 1200)
    assert len(sdk.contact.get(filters={"Limit": 5000}).json()["Data"]) == 1000
    first = sdk.contact.get(filters={"Sort": "Email DESC", "Limit": 2}).json()["Data"]
    assert [row["Email"] for row in first] == ["m01199@example.org", "m01198@example.org"]


def test_our_client_pages_until_a_short_page_and_counts_from_total(
    practice: Practice, client: MailjetClient
) -> None:
    list_id = _fill(practice, 2001, unsubscribed_every=3)
    assert len(list(mj.list_contacts(client, list_id=list_id))) == 2001
    assert mj.count_contacts(client, list_id=list_id) == 2001
    gone = list(mj.list_memberships(client, list_id=list_id, unsubscribed=True))
    assert len(gone) == 667
    assert all(m.is_unsubscribed and m.unsubscribed_at for m in gone)
    kept = list(mj.list_memberships(client, list_id=list_id, unsubscribed=False))
    assert len(kept) == 2001 - 667
    assert not any(m.is_unsubscribed for m in kept)


@pytest.mark.parametrize(
    ("resource", "query", "wording"),
    [
        ("contact", {"ContactsList": 1, "IsUnsubscribed": "true"}, "use listrecipient"),
        ("contact", {"IsUnsubscribed": "false"}, "use listrecipient"),
        ("contact", {"Unsub": "true"}, 'Unknown filter "Unsub" for resource contact'),
        ("contact", {"Campaign": 3}, "does not model"),
        ("listrecipient", {"IsUnsubscribed": "true"}, 'Unknown filter "IsUnsubscribed"'),
        ("listrecipient", {"Status": "x"}, "does not model"),
        ("contactslist", {"SubscriberCount": 3}, 'Unknown filter "SubscriberCount"'),
        ("contactdata", {"IsUnsubscribed": "true"}, "does not model"),
        ("contactmetadata", {"Name": "city"}, 'Unknown filter "Name"'),
        ("csvimport", {"Status": "Completed"}, 'Unknown filter "Status"'),
    ],
)
def test_filters_a_resource_does_not_document_are_refused(
    client: MailjetClient, resource: str, query: dict[str, object], wording: str
) -> None:
    with pytest.raises(InvalidRequest, match=wording):
        client.get(resource, filters=query)


def test_listrecipient_filters(practice: Practice, client: MailjetClient) -> None:
    list_id = _fill(practice, 6, unsubscribed_every=2)
    account = practice.sandbox.account(practice.key)
    other = create_list(account, "Other", STAMP)
    apply_action(account, account.contacts[min(account.contacts)], other.id, "addnoforce", STAMP)

    def ids(**query: object) -> list[int]:
        return sorted(row["ContactID"] for row in client.get_all("listrecipient", filters=query))

    first = min(account.contacts)
    assert len(ids(ContactsList=list_id)) == 6
    assert len(ids(ContactsList=list_id, Unsub="true")) == 3
    assert ids(ListName="Other") == [first]
    assert ids(ContactEmail="M00000@example.org") == [first, first]
    assert ids(Contact=first, ContactsList=other.id) == [first]
    assert ids(Blocked="true") == []
    assert len(ids(Active="true", IgnoreDeleted="true")) == 7


def test_contact_and_list_filters(practice: Practice, client: MailjetClient) -> None:
    list_id = _fill(practice, 30)
    account = practice.sandbox.account(practice.key)
    account.find_contact("m00007@example.org").is_excluded = True  # type: ignore[union-attr]
    create_list(account, "Old", STAMP).is_deleted = True

    def emails(**query: object) -> list[str]:
        return sorted(row["Email"] for row in client.get_all("contact", filters=query))

    assert emails(Email="M00003@EXAMPLE.org") == ["m00003@example.org"]
    assert emails(EmailLike="m0002") == [f"m0002{n}@example.org" for n in range(10)]
    assert emails(EmailLikeCI="M0001", EmailRLike="9@example.org") == ["m00019@example.org"]
    assert emails(EmailLLike="M0") == []  # the plain Like forms are case-sensitive
    assert emails(IsExcludedFromCampaigns="true", ContactsList=list_id) == ["m00007@example.org"]
    names = [row["Name"] for row in client.get_all("contactslist")]
    assert names == ["Members"]
    deleted = client.get_all("contactslist", filters={"IsDeleted": "true"})
    assert [row["Name"] for row in deleted] == ["Old"]
    assert list(client.get_all("contactslist", filters={"ExcludeID": list_id})) == []
    assert len(list(client.get_all("contactslist", filters={"Name": "Members"}))) == 1
