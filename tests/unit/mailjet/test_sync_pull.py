"""A pull of one Mailjet list into a workspace, and the plan made from it, against the
sandbox through the real client: Mailjet's unsubscribes and exclusions come back and block,
a colleague's consent becomes a record here, a colleague's erasure erases here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mjdesk.core.contacts import ConsentRecord, NewContact, add_contacts
from mjdesk.core.erasure import erase_address
from mjdesk.core.flags import Flag
from mjdesk.core.sync import consent_properties as props
from mjdesk.core.sync.plan import Action, NotLinked, Reason, make_plan, write_plan_csv
from mjdesk.core.workspace import Workspace
from mjdesk.mailjet.client import MailjetClient
from mjdesk.mailjet.contacts import (
    add_to_list,
    create_list,
    create_property,
    erase_contact,
    list_memberships,
    unsubscribe_membership,
    update_contact,
)
from mjdesk.mailjet.syncing import NoSuchList, pull_list

from support.sandbox_fixtures import Practice

GIVEN = ConsentRecord("granted", "2026-06-01T00:00:00Z", "open-day.csv", wording="Yes to news")
COLLEAGUE = props.SharedConsent(
    "granted", "2026-05-02T10:00:00Z", "fair.xlsx", "Keep me posted", "consent", ""
)


@pytest.fixture
def client(practice: Practice) -> Iterator[MailjetClient]:
    with MailjetClient(practice.key, practice.secret, api_url=practice.url) as made:
        yield made


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(tmp_path / "ws.sqlite3") as workspace:
        with workspace.transaction() as con:
            add_contacts(
                con,
                [
                    NewContact("ann@york.ac.uk", "Ann", "Smith", consent=GIVEN),
                    NewContact("bob@york.ac.uk", "Bob", "Jones", consent=GIVEN),
                    NewContact("cat@york.ac.uk", "Cat", "Lee", consent=GIVEN),
                    NewContact("dan@york.ac.uk", "Dan", "Wu", consent=GIVEN),
                ],
                actor="seeder",
            )
        yield workspace


def _mailjet_list(client: MailjetClient) -> int:
    """News in Mailjet: Ann subscribed, Bob unsubscribed there, Eve (unknown here, with a
    colleague's consent in her properties), Fay excluded (unknown here, no consent)."""
    for name, _type in props.DEFINITIONS:
        create_property(client, name)
    news = create_list(client, "News").id
    add_to_list(client, news, "ann@york.ac.uk")
    add_to_list(client, news, "bob@york.ac.uk")
    add_to_list(client, news, "eve@york.ac.uk", properties=COLLEAGUE.as_properties())
    add_to_list(client, news, "fay@york.ac.uk")
    update_contact(client, "fay@york.ac.uk", excluded=True)
    for m in list_memberships(client, list_id=news):
        if m.contact_id == _id(client, "bob@york.ac.uk"):
            unsubscribe_membership(client, m.id)
    return news


def _id(client: MailjetClient, email: str) -> int:
    from mjdesk.mailjet.contacts import get_contact

    return get_contact(client, email).id


def _member(ws: Workspace, email: str) -> tuple[str, str | None, str | None] | None:
    rows = ws.fetch(
        "SELECT s.status, s.mailjet_status, s.synced_status FROM memberships s "
        "JOIN contacts c ON c.id = s.contact_id JOIN lists l ON l.id = s.list_id "
        "WHERE c.email = ? AND l.name = 'News'",
        (email,),
    )
    return rows[0] if rows else None


def _flags(ws: Workspace, email: str) -> set[str]:
    return {
        row[0]
        for row in ws.fetch(
            "SELECT f.flag FROM contact_flags f JOIN contacts c ON c.id = f.contact_id "
            "WHERE c.email = ?",
            (email,),
        )
    }


def test_a_pull_brings_back_mailjet_state_and_the_plan_blocks_on_it(
    client: MailjetClient, ws: Workspace, tmp_path: Path
) -> None:
    _mailjet_list(client)
    pulled = pull_list(client, ws, "news")  # (the name found whatever its case)
    result = pulled.result
    assert (result.members, result.added, result.unsubscribed, result.consents) == (4, 2, 1, 1)
    assert "1 unsubscribed in Mailjet;" in pulled.message  # (the first pull: no "since")
    assert _member(ws, "ann@york.ac.uk") == ("subscribed", "subscribed", "subscribed")
    assert _member(ws, "bob@york.ac.uk") == ("unsubscribed", "unsubscribed", "unsubscribed")
    # A colleague's consent travelled in Eve's properties; Fay has none here.
    assert ws.fetch(
        "SELECT status, given_at, source_file, wording FROM consent_ledger l "
        "JOIN contacts c ON c.id = l.contact_id WHERE c.email = 'eve@york.ac.uk'"
    ) == [("granted", COLLEAGUE.given_at, "fair.xlsx", "Keep me posted")]
    assert _flags(ws, "fay@york.ac.uk") == {Flag.MAILJET_NO_CONSENT.stored, Flag.EXCLUDED.stored}
    assert Flag.UNSUBSCRIBED.stored in _flags(ws, "bob@york.ac.uk")

    # Cat joins News here; Ann withdraws her consent here.
    from mjdesk.core.edits import add_to_list as add_here
    from mjdesk.core.edits import withdraw_consent

    add_here(ws, [3], "News")
    assert Flag.NEVER_SYNCED.stored in _flags(ws, "cat@york.ac.uk")
    withdraw_consent(ws, [1], "asked by e-mail")
    with ws.reading() as con:
        plan = make_plan(con, "News")
    by_email = {row.email: (row.action, row.reason) for row in plan.rows}
    assert by_email == {
        "ann@york.ac.uk": (Action.UNSUBSCRIBE, Reason.WITHDRAWN),
        "bob@york.ac.uk": (Action.BLOCKED, Reason.UNSUBSCRIBED),
        "cat@york.ac.uk": (Action.ADD, Reason.NEW_THERE),
        "eve@york.ac.uk": (Action.NONE, Reason.IN_STEP),
        "fay@york.ac.uk": (Action.BLOCKED, Reason.EXCLUDED),
    }
    cat = next(row for row in plan.rows if row.email == "cat@york.ac.uk")
    assert cat.properties[props.SOURCE] == "open-day.csv"
    assert plan.summary() == "“News”: 1 to add, 1 to unsubscribe in Mailjet, 2 blocked."
    out = write_plan_csv(plan, tmp_path / "plan.csv")
    assert "bob@york.ac.uk,Blocked,Unsubscribed in Mailjet" in out.read_text("utf-8-sig")

    again = pull_list(client, ws, "News").result  # (nothing new in Mailjet)
    assert (again.added, again.unsubscribed, again.consents) == (0, 0, 0)


def test_a_colleague_s_erasure_reaches_this_workspace_and_ours_is_queued_for_mailjet(
    client: MailjetClient, ws: Workspace
) -> None:
    _mailjet_list(client)
    pull_list(client, ws, "News")
    erase_contact(client, _id(client, "eve@york.ac.uk"))  # (a colleague erased Eve)
    pulled = pull_list(client, ws, "News")
    assert pulled.erased == 1
    assert ws.fetch("SELECT count(*) FROM contacts WHERE email = 'eve@york.ac.uk'") == [(0,)]
    assert ws.fetch("SELECT count(*) FROM mailjet_erasures") == [(0,)]  # (done there already)

    ann = _id(client, "ann@york.ac.uk")
    erase_address(ws, "ann@york.ac.uk", reason="asked by letter")
    assert ws.fetch("SELECT mailjet_id FROM mailjet_erasures") == [(ann,)]
    assert ws.fetch("SELECT count(*) FROM mailjet_contacts WHERE email LIKE 'ann@%'") == [(0,)]
    with ws.reading() as con:
        plan = make_plan(con, "News")
    assert [(r.action, r.mailjet_id, r.email) for r in plan.rows if r.action is Action.ERASE] == [
        (Action.ERASE, ann, "")
    ]


def test_a_list_mailjet_lacks_or_never_pulled_is_refused_with_what_to_do(
    client: MailjetClient, ws: Workspace
) -> None:
    with pytest.raises(NoSuchList, match="Mailjet has no list “Alumni”"):
        pull_list(client, ws, "Alumni")
    from mjdesk.core.edits import add_to_list as add_here

    add_here(ws, [1], "Local only")
    with ws.reading() as con, pytest.raises(NotLinked, match="Pull it first"):
        make_plan(con, "Local only")


def test_someone_mailjet_mails_without_consent_here_is_named_and_can_be_taken_off(
    client: MailjetClient, ws: Workspace
) -> None:
    from mjdesk.core.edits import remove_from_list

    news = _mailjet_list(client)
    add_to_list(client, news, "gus@york.ac.uk")  # (subscribed there; no consent here)
    pull_list(client, ws, "News")
    with ws.reading() as con:
        plan = make_plan(con, "News")
    gus = next(row for row in plan.rows if row.email == "gus@york.ac.uk")
    assert (gus.action, gus.reason) == (Action.BLOCKED, Reason.NO_CONSENT + Reason.STILL_MAILED)
    assert plan.still_mailed == 1
    assert "(1 of them still subscribed in Mailjet)" in plan.summary()

    assert gus.contact_id is not None
    done = remove_from_list(ws, [gus.contact_id], "News")
    assert "unsubscribed there by the next push" in done.message
    with ws.reading() as con:
        again = make_plan(con, "News")
    gus = next(row for row in again.rows if row.email == "gus@york.ac.uk")
    assert (gus.action, gus.reason) == (Action.UNSUBSCRIBE, Reason.LEFT_LIST)
