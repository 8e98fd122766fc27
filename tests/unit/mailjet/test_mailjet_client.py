"""The client layer against the sandbox over real HTTP through mailjet-rest: errors, retries,
timeouts, paging, cancellation and secret hygiene."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest

from mjdesk.core.work import Cancelled, CancelToken
from mjdesk.mailjet import contacts as mj
from mjdesk.mailjet.account import verify_credentials
from mjdesk.mailjet.client import MailjetClient, redact_headers
from mjdesk.mailjet.errors import (
    InvalidRequest,
    MailjetError,
    NotAllowed,
    NotFound,
    Offline,
    RateLimited,
    ServerError,
    Timeout,
    WrongCredentials,
)
from mjdesk.mailjet.retry import RetryPolicy
from mjdesk.sandbox.resources.lists import new_contact

from support.sandbox_fixtures import Practice


class Sleeps:
    """An injected sleep that records delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(practice: Practice, sleeps: Sleeps) -> Iterator[MailjetClient]:
    with MailjetClient(
        practice.key,
        practice.secret,
        api_url=practice.url,
        read_timeout=2.0,
        retry=RetryPolicy(retries=3, base=0.5, sleep=sleeps),
    ) as made:
        yield made


def test_base_url_is_the_sandbox_and_keys_verify(client: MailjetClient, practice: Practice) -> None:
    user = verify_credentials(client)
    assert user.id == 1
    assert practice.sandbox.count("GET", "/v3/REST/user") == 1


def test_wrong_credentials(practice: Practice) -> None:
    secret = "not-the-secret-0123456789abcdef"
    with MailjetClient(practice.key, secret, api_url=practice.url) as bad:
        with pytest.raises(WrongCredentials) as caught:
            verify_credentials(bad)
        assert secret not in repr(bad)
        assert secret not in str(bad)
    assert caught.value.status == 401
    assert secret not in str(caught.value)
    assert secret not in repr(caught.value)


def test_the_secret_never_appears_in_errors_or_logs(
    client: MailjetClient, practice: Practice, caplog: pytest.LogCaptureFixture
) -> None:
    import base64

    caplog.set_level(logging.DEBUG)
    with pytest.raises(NotFound) as caught:
        mj.get_contact(client, 424242)
    encoded = base64.b64encode(f"{practice.key}:{practice.secret}".encode()).decode()
    for text in (str(caught.value), repr(caught.value), repr(client), caplog.text):
        assert practice.secret not in text
        assert encoded not in text
    assert "<redacted>" in caplog.text
    assert redact_headers({"Authorization": "Basic abc", "X": "y"}) == {
        "Authorization": "<redacted>",
        "X": "y",
    }


def test_v3_contact_delete_is_not_allowed_not_a_credentials_problem(client: MailjetClient) -> None:
    contact = mj.create_contact(client, "keep@example.org")
    with pytest.raises(NotAllowed) as caught:
        client.delete("contact", contact.id)
    assert caught.value.message == "Operation not allowed"
    assert not isinstance(caught.value, WrongCredentials)


def test_invalid_request_carries_mailjets_message(client: MailjetClient) -> None:
    mj.create_contact(client, "dup@example.org")
    with pytest.raises(InvalidRequest) as caught:
        mj.create_contact(client, "dup@example.org")
    assert caught.value.message.startswith("MJ18 ")
    assert caught.value.status == 400


def test_invalid_request_details_from_error_info(client: MailjetClient) -> None:
    contact = mj.create_contact(client, "p@example.org")
    with pytest.raises(InvalidRequest) as caught:
        mj.set_contact_data(client, contact.id, {"nope": 1})
    assert caught.value.message == "Object properties invalid"
    assert caught.value.details == {"Properties": [{"nope": "Property not defined"}]}


def test_405_keeps_its_status(client: MailjetClient) -> None:
    with pytest.raises(InvalidRequest) as caught:
        client.delete("contactdata", 1)
    assert caught.value.status == 405


def test_unknown_endpoint_is_not_found(client: MailjetClient) -> None:
    with pytest.raises(NotFound):
        client.get("nosuchresource")


@pytest.mark.parametrize(
    ("kind", "error"),
    [("429", RateLimited), ("500", ServerError), ("503", ServerError), ("drop", Offline)],
)
def test_get_is_retried_then_succeeds(
    client: MailjetClient, practice: Practice, sleeps: Sleeps, kind: str, error: type[MailjetError]
) -> None:
    practice.sandbox.faults.set(kind, times=2)  # type: ignore[arg-type]
    assert mj.list_lists(client) == []
    assert practice.sandbox.count("GET", "contactslist") == 3
    assert len(sleeps.delays) == 2
    assert 0.25 <= sleeps.delays[0] <= 0.5
    assert 0.5 <= sleeps.delays[1] <= 1.0


@pytest.mark.parametrize(
    ("kind", "error"),
    [("429", RateLimited), ("500", ServerError), ("503", ServerError), ("drop", Offline)],
)
def test_get_gives_up_with_a_typed_error(
    client: MailjetClient, practice: Practice, sleeps: Sleeps, kind: str, error: type[MailjetError]
) -> None:
    practice.sandbox.faults.set(kind, times=-1)  # type: ignore[arg-type]
    with pytest.raises(error):
        mj.list_lists(client)
    assert practice.sandbox.count("GET", "contactslist") == 4  # 1 + 3 retries
    assert len(sleeps.delays) == 3


def test_server_error_keeps_the_error_identifier(client: MailjetClient, practice: Practice) -> None:
    practice.sandbox.faults.set("500", times=-1)
    with pytest.raises(ServerError) as caught:
        mj.list_lists(client)
    assert caught.value.status == 500
    assert len(caught.value.identifier) == 36


@pytest.mark.parametrize(
    ("kind", "error"),
    [("429", RateLimited), ("500", ServerError), ("503", ServerError), ("drop", Offline)],
)
def test_post_is_never_retried(
    client: MailjetClient, practice: Practice, sleeps: Sleeps, kind: str, error: type[MailjetError]
) -> None:
    practice.sandbox.faults.set(kind, times=-1, method="POST")  # type: ignore[arg-type]
    with pytest.raises(error):
        mj.create_list(client, "Once")
    assert practice.sandbox.count("POST", "contactslist") == 1
    assert sleeps.delays == []


def test_slow_reply_is_a_timeout_and_get_is_retried(practice: Practice, sleeps: Sleeps) -> None:
    practice.sandbox.faults.set("slow", times=1, delay=0.5)
    with MailjetClient(
        practice.key,
        practice.secret,
        api_url=practice.url,
        read_timeout=0.15,
        retry=RetryPolicy(retries=1, sleep=sleeps),
    ) as quick:
        assert mj.list_lists(quick) == []
        practice.sandbox.faults.set("slow", times=-1, delay=0.5)
        with pytest.raises(Timeout):
            mj.list_lists(quick)
    practice.sandbox.faults.clear()


def test_slow_post_times_out_once(practice: Practice, sleeps: Sleeps) -> None:
    practice.sandbox.faults.set("slow", times=-1, delay=0.5, method="POST")
    with (
        MailjetClient(
            practice.key,
            practice.secret,
            api_url=practice.url,
            read_timeout=0.15,
            retry=RetryPolicy(sleep=sleeps),
        ) as quick,
        pytest.raises(Timeout),
    ):
        mj.create_list(quick, "Slow")
    assert practice.sandbox.count("POST", "contactslist") == 1


def test_nothing_listening_is_offline() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        MailjetClient(
            "k" * 32, "s" * 32, api_url=f"http://127.0.0.1:{port}/", retry=RetryPolicy(retries=0)
        ) as nowhere,
        pytest.raises(Offline),
    ):
        verify_credentials(nowhere)


def test_cancel_during_back_off(practice: Practice) -> None:
    token = CancelToken()

    def cancel_instead_of_sleeping(seconds: float) -> None:
        token.cancel()

    practice.sandbox.faults.set("503", times=-1)
    with (
        MailjetClient(
            practice.key,
            practice.secret,
            api_url=practice.url,
            retry=RetryPolicy(sleep=cancel_instead_of_sleeping),
            cancel=token,
        ) as cancellable,
        pytest.raises(Cancelled),
    ):
        mj.list_lists(cancellable)
    assert practice.sandbox.count("GET", "contactslist") == 1


def test_real_back_off_wait_wakes_on_cancel(practice: Practice) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        RetryPolicy().pause(30.0, token)


def test_paging_past_a_thousand_with_offset_until_a_short_page(
    client: MailjetClient, practice: Practice
) -> None:
    account = practice.sandbox.account(practice.key)
    for number in range(2345):
        new_contact(account, f"c{number:05d}@example.org", "", "2024-01-01T00:00:00Z")
    seen: list[int] = []
    emails = [c.email for c in mj.list_contacts(client, progress=seen.append)]
    assert len(emails) == len(set(emails)) == 2345
    assert seen == [1000, 2000, 2345]
    assert practice.sandbox.count("GET", "/v3/REST/contact") == 3
    assert mj.count_contacts(client) == 2345


def test_cancel_between_pages(client: MailjetClient, practice: Practice) -> None:
    account = practice.sandbox.account(practice.key)
    for number in range(1500):
        new_contact(account, f"c{number:05d}@example.org", "", "2024-01-01T00:00:00Z")

    def stop(done: int) -> None:
        client.cancel.cancel()

    with pytest.raises(Cancelled):
        list(mj.list_contacts(client, progress=stop))
    assert practice.sandbox.count("GET", "/v3/REST/contact") == 1
