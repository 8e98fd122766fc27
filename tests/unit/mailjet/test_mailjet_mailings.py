"""Fetching drafts, templates and senders through mailjet-rest from the seeded sandbox into a
workspace, previewing them offline afterwards, and send-test refusals explained."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mjdesk.core.preview import cache
from mjdesk.core.preview.mail import MailKind
from mjdesk.core.work import Cancelled, CancelToken
from mjdesk.core.workspace import Workspace
from mjdesk.mailjet import campaigns as mc
from mjdesk.mailjet.client import MailjetClient
from mjdesk.mailjet.mailings import fetch_mailings
from mjdesk.mailjet.retry import RetryPolicy
from mjdesk.sandbox.seed import UNVALIDATED_SENDER, seeded_store
from mjdesk.sandbox.server import Sandbox
from mjdesk.sandbox.store import practice_key


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seeded_store()) as running:
        yield running


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[MailjetClient]:
    key, secret = practice_key("department")
    with MailjetClient(key, secret, api_url=sandbox.url, retry=RetryPolicy(retries=0)) as made:
        yield made


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(tmp_path / "ws.sqlite3") as opened:
        yield opened


def _draft_id(client: MailjetClient, title: str) -> int:
    return next(d.id for d in mc.list_drafts(client) if d.title == title)


def test_a_fetch_caches_every_mailing_for_offline_preview(workspace: Workspace) -> None:
    with Sandbox(seeded_store()) as own:  # stopped before the workspace is read
        key, secret = practice_key("department")
        with MailjetClient(key, secret, api_url=own.url) as client:
            seen: list[tuple[int, int]] = []
            summary = fetch_mailings(client, workspace, lambda d, t: seen.append((d, t)))
            draft_ids = {d.title: d.id for d in mc.list_drafts(client)}
    assert summary.fetched == 12 + 7 + 6  # sent drafts, waiting drafts, templates
    assert summary.senders == 4  # two domains, two addresses; the deleted one is left out
    assert seen[0] == (0, 25)
    assert seen[-1] == (25, 25)
    with workspace.reading() as con:
        listed = cache.list_mailings(con)
        broken = cache.load_mailing(con, MailKind.DRAFT, draft_ids["Welcome back (syntax error)"])
        partner = cache.load_mailing(
            con, MailKind.DRAFT, draft_ids["Partner event (sender not validated)"]
        )
        seminar = cache.load_mailing(con, MailKind.DRAFT, draft_ids["Seminar series: this term"])
        states = cache.sender_states(con)
        templates = [m for m in listed if m.kind == MailKind.TEMPLATE]
        reading = cache.load_mailing(
            con,
            MailKind.TEMPLATE,
            next(m.mailjet_id for m in templates if m.title == "Reading list"),
        )
    assert len(listed) == 25
    assert "{% if data:department %}" in broken.html
    assert "{% endif %}" not in broken.html
    assert cache.sender_status(states, partner.sender_email) == "Inactive"
    assert cache.sender_status(states, seminar.sender_email) == "Active"
    assert seminar.reply_to == "office@dept.example.ac.uk"
    assert "{% for talk in var:talks %}" in seminar.html
    assert "[[data:department]]" in seminar.html
    assert (reading.subject, reading.sender_email) == (
        "Reading list",
        "newsletter@dept.example.ac.uk",
    )
    assert reading.reply_to == "office@dept.example.ac.uk"
    assert reading.sender_name == "Department"


def test_a_second_fetch_reads_only_what_may_have_changed(
    sandbox: Sandbox, client: MailjetClient, workspace: Workspace
) -> None:
    fetch_mailings(client, workspace)
    before = sandbox.count("GET", "detailcontent")
    again = fetch_mailings(client, workspace)
    assert (again.fetched, again.unchanged, again.removed) == (7 + 6, 12, 0)
    assert sandbox.count("GET", "detailcontent") - before == 13
    everything = fetch_mailings(client, workspace, everything=True)
    assert everything.fetched == 25


def test_an_edited_draft_is_seen_by_the_next_fetch(
    client: MailjetClient, workspace: Workspace
) -> None:
    fetch_mailings(client, workspace)
    draft_id = _draft_id(client, "Spring open day")
    before = mc.draft_content(client, draft_id)
    mc.set_draft_content(client, draft_id, html="<p>Changed [[UNSUB_LINK_EN]]</p>", text="x")
    try:
        fetch_mailings(client, workspace)
        with workspace.reading() as con:
            assert cache.load_mailing(con, MailKind.DRAFT, draft_id).html.startswith("<p>Changed")
    finally:
        mc.set_draft_content(client, draft_id, html=before.html, text=before.text)


def test_a_cancelled_fetch_keeps_what_it_read(client: MailjetClient, workspace: Workspace) -> None:
    token = CancelToken()

    def progress(done: int, total: int) -> None:
        if done == 3:
            token.cancel()

    with pytest.raises(Cancelled):
        fetch_mailings(client, workspace, progress, token.check)
    with workspace.reading() as con:
        assert len(cache.list_mailings(con)) == 3
        assert cache.sender_states(con)


def test_senders_by_address(client: MailjetClient) -> None:
    states = mc.senders(client)
    assert states[UNVALIDATED_SENDER] == "Inactive"
    assert states["*@dept.example.ac.uk"] == "Active"
    assert "old-news@archive.example.net" not in states


def test_a_test_from_an_unvalidated_sender_is_explained(client: MailjetClient) -> None:
    draft_id = _draft_id(client, "Partner event (sender not validated)")
    with pytest.raises(mc.DraftRefused) as refused:
        mc.send_test(client, draft_id, [("me@example.org", "Me")])
    assert refused.value.problem == mc.DraftProblem.SENDER_NOT_VALIDATED
    assert refused.value.user_message.startswith("Mailjet will not send this test:")
    assert "not validated" in refused.value.user_message
    assert "Sender addresses & domains" in refused.value.user_message


def test_a_test_without_content_is_explained(client: MailjetClient) -> None:
    draft_id = _draft_id(client, "Seminar: term programme")
    before = mc.draft_content(client, draft_id)
    mc.set_draft_content(client, draft_id, html="", text="")
    try:
        with pytest.raises(mc.DraftRefused) as refused:
            mc.send_test(client, draft_id, [("me@example.org", "Me")])
    finally:
        mc.set_draft_content(client, draft_id, html=before.html, text=before.text)
    assert refused.value.problem == mc.DraftProblem.NO_CONTENT
    assert "no content" in refused.value.user_message


def test_a_test_that_goes_is_recorded(sandbox: Sandbox, client: MailjetClient) -> None:
    draft_id = _draft_id(client, "Spring open day")
    mc.send_test(client, draft_id, [("me@example.org", "Me")])
    account = sandbox.account(practice_key("department")[0])
    assert account.test_sends[-1].draft_id == draft_id
    assert account.test_sends[-1].recipients == ["me@example.org"]
    assert mc.draft_status(client, draft_id) == "Draft"
