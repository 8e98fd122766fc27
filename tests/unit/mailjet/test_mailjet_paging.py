"""Several paged listings read side by side (`mjdesk.mailjet.paging`), against the sandbox
through the real client: the same rows as reading them page by page, at most four requests
in flight, a listing that grew since its count read to its end, a cancel that stops it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest

from mjdesk.core.work import Cancelled, CancelToken
from mjdesk.mailjet import bulk
from mjdesk.mailjet import contacts as mj
from mjdesk.mailjet.client import PAGE_SIZE, MailjetClient
from mjdesk.mailjet.paging import Listing, read_all
from mjdesk.mailjet.retry import RetryPolicy
from mjdesk.sandbox.protocol import Reply

from support.sandbox_fixtures import Practice

MEMBERS = 2_500


@pytest.fixture
def client(practice: Practice) -> Iterator[MailjetClient]:
    retry = RetryPolicy(retries=2, base=0.001, cap=0.002)
    with MailjetClient(practice.key, practice.secret, api_url=practice.url, retry=retry) as made:
        yield made


@pytest.fixture
def list_id(practice: Practice, client: MailjetClient) -> int:
    """A list of 2,500 members (the last 600 unsubscribed), each with a property."""
    practice.sandbox.store.options.finish_jobs_at_once()
    news = mj.create_list(client, "News")
    mj.create_property(client, "city")
    people = [
        bulk.BulkContact(f"p{n}@example.org", properties={"city": f"c{n}"}) for n in range(MEMBERS)
    ]
    actions: list[tuple[mj.ListAction, list[bulk.BulkContact]]] = [
        ("addnoforce", people),
        ("unsub", people[-600:]),
    ]
    for action, batch in actions:
        job = bulk.start_list_job(client, news.id, action, batch)
        bulk.wait_until_finished(client, partial(bulk.job_status, client, job, news.id))
    return news.id


def _listings(list_id: int) -> list[Listing]:
    return [
        Listing("contact", {"ContactsList": list_id}),
        Listing("listrecipient", {"ContactsList": list_id, "Unsub": "true"}),
        Listing("contactdata", {"ContactsList": list_id}),
    ]


def test_read_side_by_side_gives_the_rows_read_page_by_page(
    practice: Practice, client: MailjetClient, list_id: int
) -> None:
    listings = _listings(list_id)
    one_by_one = [list(client.get_all(x.resource, filters=x.filters)) for x in listings]
    told: list[tuple[int, int]] = []
    before = len(practice.sandbox.requests)
    side_by_side = read_all(
        client, listings, progress=lambda done, known: told.append((done, known))
    )
    assert side_by_side == one_by_one
    assert [len(rows) for rows in side_by_side] == [MEMBERS, 600, MEMBERS]
    # The first pages (3), a count for each listing of more than a page (2), their other
    # pages (2 of 1,000 and 500 rows each).
    assert len(practice.sandbox.requests) - before == 3 + 2 + 4
    assert client.requests >= 9  # (the siblings' requests are counted on the client)
    assert told[-1] == (7, 7)
    assert [done for done, _ in told] == sorted(done for done, _ in told)


def test_at_most_four_requests_are_in_flight(
    practice: Practice, client: MailjetClient, list_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    dispatch = practice.sandbox.dispatch
    lock = threading.Lock()
    flying = [0, 0]  # (now, most)

    def slow(method: str, path: str, query: str, body: bytes, headers: Any) -> Reply:
        with lock:
            flying[0] += 1
            flying[1] = max(flying)
        try:
            time.sleep(0.02)
            return dispatch(method, path, query, body, headers)
        finally:
            with lock:
                flying[0] -= 1

    monkeypatch.setattr(practice.sandbox, "dispatch", slow)
    many = _listings(list_id) * 3
    read_all(client, many)
    assert flying[1] == 4


def test_a_listing_that_grew_since_its_count_is_read_to_its_end(
    practice: Practice, client: MailjetClient, list_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The count says a page fewer than there are (members added meanwhile): the rows past
    it are read too, page by page, until a short page."""
    dispatch = practice.sandbox.dispatch

    def stale_count(method: str, path: str, query: str, body: bytes, headers: Any) -> Reply:
        reply = dispatch(method, path, query, body, headers)
        if "countOnly" in query:
            payload = json.loads(reply.body)
            payload["Total"] -= PAGE_SIZE
            return Reply(reply.status, json.dumps(payload).encode())
        return reply

    monkeypatch.setattr(practice.sandbox, "dispatch", stale_count)
    listing = Listing("contact", {"ContactsList": list_id})
    rows = read_all(client, [listing])[0]
    assert len(rows) == MEMBERS
    assert rows == list(client.get_all(listing.resource, filters=listing.filters))


def test_a_cancel_stops_every_thread(client: MailjetClient, list_id: int) -> None:
    token = CancelToken()
    client.cancel = token

    def cancel_after_first_pages(done: int, _known: int) -> None:
        if done >= 3:
            token.cancel()

    with pytest.raises(Cancelled):
        read_all(client, _listings(list_id), progress=cancel_after_first_pages)
