"""A mailing prepared for one recipient with the whole checklist (core.preview.preflight):
the verdict follows the workspace's list, contacts and senders, and nothing else."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from mjdesk.core.contacts import NewContact, add_contacts
from mjdesk.core.preview.cache import store_senders
from mjdesk.core.preview.checks import Status
from mjdesk.core.preview.mail import Mail, MailKind
from mjdesk.core.preview.preflight import (
    contact_by_address,
    preflight,
    sender_validated,
    worst_case,
)
from mjdesk.core.work import UserError
from mjdesk.core.workspace import Workspace

MAILJET_LIST = 77
HTML = (
    '<p>Dear [[data:firstname:"friend"]],</p><p>News.</p>'
    '<a href="https://dept.example.ac.uk/news">Read more</a> '
    '<a href="[[UNSUB_LINK_EN]]">Unsubscribe</a>'
)
TEXT = 'Dear [[data:firstname:"friend"]], news. Unsubscribe: [[UNSUB_LINK_EN]]'


def _mail(sender: str = "news@dept.example.ac.uk") -> Mail:
    return Mail(
        MailKind.DRAFT,
        "5",
        "Term news",
        subject='News for [[data:firstname:"you"]]',
        sender_name="Department",
        sender_email=sender,
        reply_to="office@dept.example.ac.uk",
        list_id=MAILJET_LIST,
        html=HTML,
        text=TEXT,
    )


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = Workspace.open(tmp_path / "w.sqlite3")
    with workspace.transaction() as con:
        add_contacts(
            con,
            [NewContact("ann@example.org", "Ann", "Lee"), NewContact("bo@example.org", "", "")],
            actor="t",
        )
        con.execute(
            "INSERT INTO lists (name, mailjet_id, created_at) VALUES ('News', ?, 'n')",
            (MAILJET_LIST,),
        )
        con.execute(
            "INSERT INTO memberships (contact_id, list_id, added_at) "
            "SELECT id, 1, 'n' FROM contacts"
        )
        store_senders(con, {"*@dept.example.ac.uk": "Active"}, "n")
    with workspace:
        yield workspace


def test_a_sound_draft_passes_every_check_for_a_named_contact(ws: Workspace) -> None:
    with ws.reading() as con:
        ann = contact_by_address(con, "ANN@example.org")
        result = preflight(con, _mail(), ann)
    assert result.rendered.subject == "News for Ann"
    assert "Dear Ann" in result.rendered.html
    # Bo has no first name: the default covers them, so the coverage check passes.
    coverage = next(c for c in result.checks if c.key == "coverage")
    assert coverage.status is Status.PASS
    assert result.coverage is not None
    assert result.coverage.recipients == 2
    assert [c.key for c in result.checks if c.status is not Status.PASS] == []
    assert result.status is Status.PASS


def test_an_unvalidated_sender_fails_and_unknown_senders_are_said_unknown(
    ws: Workspace, tmp_path: Path
) -> None:
    with ws.reading() as con:
        assert sender_validated(con, "someone@elsewhere.example") is False
        result = preflight(con, _mail("someone@elsewhere.example"), None)
    assert result.status is Status.FAIL
    assert next(c for c in result.checks if c.key == "sender").status is Status.FAIL
    with Workspace.open(tmp_path / "fresh.sqlite3") as fresh, fresh.reading() as con:
        assert sender_validated(con, "news@dept.example.ac.uk") is None  # never fetched


def test_worst_cases_say_why_and_a_stranger_is_refused(ws: Workspace) -> None:
    with ws.reading() as con:
        picked = worst_case(con, _mail())
        assert picked
        assert all(p.reason for p in picked)
        assert {p.data.email for p in picked} <= {"ann@example.org", "bo@example.org"}
        with pytest.raises(UserError, match=re.escape("nobody@example.org")):
            contact_by_address(con, "nobody@example.org")


def test_without_a_workspace_the_list_and_sender_are_not_known() -> None:
    result = preflight(None, _mail(), None)
    assert result.coverage is None
    assert result.rendered.subject == "News for you"
    sender = next(c for c in result.checks if c.key == "sender")
    assert sender.status is not Status.PASS
