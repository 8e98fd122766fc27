"""Colleagues share one truth: two owners, each with a workspace of their own, one Mailjet
account (the sandbox, through the real client). A consent one records reaches the other's
pull as the same record, never twice; a withdrawal and an erasure reach it too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mjdesk.core.contacts import ConsentRecord, NewContact, add_contacts
from mjdesk.core.edits import add_to_list, withdraw_consent
from mjdesk.core.erasure import erase_address
from mjdesk.core.workspace import Workspace
from mjdesk.mailjet.client import MailjetClient
from mjdesk.mailjet.contacts import create_list
from mjdesk.mailjet.pushing import Pace, push_list
from mjdesk.mailjet.syncing import pull_list

from support.sandbox_fixtures import Practice

FAST = Pace(poll_interval=0.01, settle_seconds=0, sleep=lambda _s: None)
ANN = ConsentRecord("granted", "2026-04-01T09:00:00Z", "fair.xlsx", "ab" * 32, wording="Yes!")
BOB = ConsentRecord("granted", "2026-05-01T09:00:00Z", "form.csv", wording="Newsletter please")


@pytest.fixture
def client(practice: Practice) -> Iterator[MailjetClient]:
    with MailjetClient(practice.key, practice.secret, api_url=practice.url) as made:
        yield made


def _ledger(ws: Workspace, email: str) -> list[tuple[str, str, str, str]]:
    return ws.fetch(
        "SELECT l.status, l.given_at, coalesce(l.source_file, ''), coalesce(l.wording, '') "
        "FROM consent_ledger l JOIN contacts c ON c.id = l.contact_id WHERE c.email = ? "
        "ORDER BY l.given_at, l.status",
        (email,),
    )


def test_consent_withdrawal_and_erasure_travel_between_two_workspaces(
    client: MailjetClient, tmp_path: Path
) -> None:
    create_list(client, "News")
    with (
        Workspace.open(tmp_path / "mine.sqlite3") as mine,
        Workspace.open(tmp_path / "theirs.sqlite3") as theirs,
    ):
        with mine.transaction() as con:
            add_contacts(
                con,
                [
                    NewContact("ann@york.ac.uk", consent=ANN),
                    NewContact("bob@york.ac.uk", consent=BOB),
                ],
                actor="me",
            )
        add_to_list(mine, [1, 2], "News")
        pull_list(client, mine, "News")
        assert push_list(client, mine, "News", pace=FAST).state == "done"

        # The colleague's first pull makes the same consent records; a second, nothing more.
        pull_list(client, theirs, "News")
        pull_list(client, theirs, "News")
        assert _ledger(theirs, "ann@york.ac.uk") == [("granted", ANN.given_at, "fair.xlsx", "Yes!")]
        assert _ledger(theirs, "bob@york.ac.uk") == [
            ("granted", BOB.given_at, "form.csv", "Newsletter please")
        ]
        assert theirs.fetch("SELECT consent_status FROM contacts_with_consent ORDER BY email") == [
            ("granted",),
            ("granted",),
        ]

        # I withdraw Ann's consent and erase Bob; both reach the colleague's next pull.
        withdraw_consent(mine, [1], "asked by e-mail", actor="me")
        erase_address(mine, "bob@york.ac.uk", reason="asked by letter")
        pull_list(client, mine, "News")
        assert push_list(client, mine, "News", pace=FAST).state == "done"
        pulled = pull_list(client, theirs, "News")
        assert pulled.erased == 1
        assert theirs.fetch("SELECT email, consent_status FROM contacts_with_consent") == [
            ("ann@york.ac.uk", "withdrawn")
        ]
        withdrawn = _ledger(theirs, "ann@york.ac.uk")[-1]
        assert (withdrawn[0], withdrawn[3]) == ("withdrawn", "asked by e-mail")
        assert theirs.fetch("SELECT status, mailjet_status FROM memberships") == [
            ("unsubscribed", "unsubscribed")
        ]
        # (and nothing of Bob is left with the colleague but the tombstone)
        assert theirs.fetch("SELECT count(*) FROM tombstones") == [(1,)]
