"""A push of one list, against the sandbox through the real client: the consented members
are added with their consent properties, a second push sends nothing, a withdrawal becomes
an unsubscribe and a queued erasure a v4 delete, a remote unsubscribe is never undone; and
under faults (429 storm, 5xx, dropped connection, lost reply to an applied write, job
Error, job Completed with nothing applied, a crash or a cancel between steps) the push ends
right, or stops and resumes, sending nothing twice.

Every request body the sandbox receives here is checked for ``addforce``."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mjdesk.core.contacts import ConsentRecord, NewContact, add_contacts
from mjdesk.core.edits import add_to_list as add_here
from mjdesk.core.edits import withdraw_consent
from mjdesk.core.erasure import erase_address
from mjdesk.core.flags import Flag
from mjdesk.core.sync import consent_properties as props
from mjdesk.core.sync.plan import Action, make_plan
from mjdesk.core.work import CancelToken
from mjdesk.core.workspace import Workspace
from mjdesk.mailjet import client as client_module
from mjdesk.mailjet import paging
from mjdesk.mailjet.client import MailjetClient
from mjdesk.mailjet.contacts import (
    add_to_list,
    create_list,
    get_contact,
    get_contact_data,
    list_contacts,
    list_lists,
    list_memberships,
    unsubscribe_membership,
)
from mjdesk.mailjet.pushing import PHASES, Pace, PushStopped, push_list
from mjdesk.mailjet.retry import RetryPolicy
from mjdesk.mailjet.syncing import pull_list
from mjdesk.sandbox.store import Account

from support.sandbox_fixtures import Practice

GIVEN = ConsentRecord("granted", "2026-06-01T00:00:00Z", "open-day.csv", wording="Yes to news")
PEOPLE = ("ann@york.ac.uk", "bob@york.ac.uk", "cat@york.ac.uk", "dan@york.ac.uk")
FAST = Pace(poll_interval=0.01, settle_seconds=0, sleep=lambda _s: None)


@pytest.fixture(autouse=True)
def bodies(practice: Practice, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    """Every request body the sandbox receives; none may ever carry ``addforce``."""
    seen: list[bytes] = []
    dispatch = practice.sandbox.dispatch

    def recording(method: str, path: str, query: str, body: bytes, headers: Any) -> Any:
        seen.append(body)
        return dispatch(method, path, query, body, headers)

    monkeypatch.setattr(practice.sandbox, "dispatch", recording)
    yield seen
    assert not [b for b in seen if b"addforce" in b.lower()], "addforce was sent"


@pytest.fixture
def client(practice: Practice) -> Iterator[MailjetClient]:
    retry = RetryPolicy(retries=4, base=0.001, cap=0.002)
    with MailjetClient(practice.key, practice.secret, api_url=practice.url, retry=retry) as made:
        yield made


@pytest.fixture
def ws(tmp_path: Path, client: MailjetClient) -> Iterator[Workspace]:
    """Ann, Bob and Cat consented and on the local list News; Dan consented, on no list;
    Mailjet has an empty list News (linked by the first pull)."""
    create_list(client, "News")
    with Workspace.open(tmp_path / "ws.sqlite3") as workspace:
        with workspace.transaction() as con:
            add_contacts(con, [NewContact(e, consent=GIVEN) for e in PEOPLE], actor="seeder")
        add_here(workspace, [1, 2, 3], "News")
        pull_list(client, workspace, "News")
        yield workspace


def _account(practice: Practice) -> Account:
    practice.sandbox.settle()
    return practice.sandbox.account(practice.key)


def _remote(client: MailjetClient) -> dict[str, str]:
    """Each member of News in Mailjet: subscribed or unsubscribed."""
    list_id = next(lst.id for lst in list_lists(client) if lst.name == "News")
    unsub = {m.contact_id for m in list_memberships(client, list_id=list_id, unsubscribed=True)}
    return {
        c.email: "unsubscribed" if c.id in unsub else "subscribed"
        for c in list_contacts(client, list_id=list_id)
    }


def _local(ws: Workspace) -> dict[str, tuple[str, str | None, str | None]]:
    return {
        row[0]: (row[1], row[2], row[3])
        for row in ws.fetch(
            "SELECT c.email, s.status, s.mailjet_status, s.synced_status FROM memberships s "
            "JOIN contacts c ON c.id = s.contact_id JOIN lists l ON l.id = s.list_id "
            "WHERE l.name = 'News'"
        )
    }


def _writes(practice: Practice) -> int:
    sandbox = practice.sandbox
    return sum(sandbox.count(method) for method in ("POST", "PUT", "DELETE"))


def _jobs(practice: Practice) -> int:
    return len(_account(practice).bulk_jobs)


def _runs(ws: Workspace) -> list[tuple[str, ...]]:
    return ws.fetch("SELECT state, summary FROM sync_runs ORDER BY id")


SUBSCRIBED_THREE = {e: "subscribed" for e in PEOPLE[:3]}


def test_a_first_push_adds_the_consented_members_and_a_second_sends_nothing(
    practice: Practice, client: MailjetClient, ws: Workspace
) -> None:
    never = Flag.NEVER_SYNCED.stored
    assert ws.fetch("SELECT count(*) FROM contact_flags WHERE flag = ?", (never,)) == [(3,)]
    before = len(practice.sandbox.requests)
    steps: list[tuple[str, int, int]] = []
    result = push_list(
        client, ws, "News", pace=FAST, progress=lambda p, n, t: steps.append((p, n, t))
    )
    assert result.state == "done", result.message
    # Requests of a first push of 3: 1 + 6 to define the properties, 1 job and 1 poll, 3
    # reads to verify (the list's contacts, its unsubscribed members, their properties).
    assert len(practice.sandbox.requests) - before == 12
    assert result.message == "Pushed “News” to Mailjet: 3 added."
    assert _remote(client) == SUBSCRIBED_THREE
    ann = get_contact_data(client, "ann@york.ac.uk")
    assert ann[props.STATUS] == "granted"
    assert ann[props.GIVEN_AT] == GIVEN.given_at
    assert ann[props.SOURCE] == "open-day.csv"
    assert ann[props.WORDING] == "Yes to news"
    assert _local(ws) == {e: ("subscribed", "subscribed", "subscribed") for e in PEOPLE[:3]}
    assert ws.fetch("SELECT count(*) FROM contact_flags WHERE flag = ?", (never,)) == [(0,)]
    # Each phase with its counts: when a step starts and when it is finished (the job
    # finished at once: no count while it ran), the verification's pages as they are read.
    assert steps[:5] == [
        ("Defining the consent properties", 0, 1),
        ("Defining the consent properties", 1, 1),
        ("Adding and updating contacts", 0, 3),
        ("Adding and updating contacts", 3, 3),
        ("Verifying (pages read)", 0, 0),
    ]
    pages = steps[5:]  # (the three pages read side by side: told as each comes, or together)
    assert {phase for phase, _n, _t in pages} == {"Verifying (pages read)"}
    assert pages[-1][1:] == (3, 3)
    assert [n for _p, n, _t in pages] == sorted(n for _p, n, _t in pages)
    assert ws.fetch("SELECT count(*) FROM activity WHERE action = 'push'") == [(1,)]
    assert ws.fetch("SELECT count FROM activity WHERE action = 'push'") == [(3,)]
    assert _runs(ws) == [("done", "Pushed “News” to Mailjet: 3 added")]
    assert ws.fetch("SELECT DISTINCT state FROM sync_steps") == [("done",)]

    writes = _writes(practice)
    pull_list(client, ws, "News")
    with ws.reading() as con:
        assert make_plan(con, "News").writes == 0
    again = push_list(client, ws, "News", pace=FAST)
    assert (again.state, again.message) == (
        "nothing",
        "“News”: nothing to send; Mailjet is in step.",
    )
    assert _writes(practice) == writes  # (no write at all)


def test_a_withdrawal_unsubscribes_an_erasure_deletes_and_a_remote_unsubscribe_stays(
    practice: Practice, client: MailjetClient, ws: Workspace
) -> None:
    push_list(client, ws, "News", pace=FAST)
    bob = get_contact(client, "bob@york.ac.uk").id
    withdraw_consent(ws, [1], "asked by e-mail")  # Ann
    erase_address(ws, "bob@york.ac.uk", reason="asked by letter")
    add_here(ws, [4], "News")  # Dan joins here ...
    pull_list(client, ws, "News")
    with ws.reading() as con:
        plan = {(r.email or r.mailjet_id): r.action for r in make_plan(con, "News").rows}
    assert plan == {
        "ann@york.ac.uk": Action.UNSUBSCRIBE,
        bob: Action.ERASE,
        "cat@york.ac.uk": Action.NONE,
        "dan@york.ac.uk": Action.ADD,
    }
    # ... and, after the pull, Dan joins the list in Mailjet and unsubscribes there.
    news = next(m.list_id for m in list_memberships(client, contact="cat@york.ac.uk"))
    dan = add_to_list(client, news, "dan@york.ac.uk")
    unsubscribe_membership(
        client, next(m.id for m in list_memberships(client, list_id=news, contact=dan))
    )

    result = push_list(client, ws, "News", pace=FAST)
    assert result.state == "done", result.message
    assert result.message == (
        "Pushed “News” to Mailjet: 1 unsubscribed; 1 erased; "
        "1 left unsubscribed (they unsubscribed in Mailjet)."
    )
    assert _remote(client) == {
        "ann@york.ac.uk": "unsubscribed",
        "cat@york.ac.uk": "subscribed",
        "dan@york.ac.uk": "unsubscribed",  # (addnoforce kept their unsubscribe)
    }
    assert get_contact(client, bob).is_anonymized
    assert ws.fetch("SELECT count(*) FROM mailjet_erasures WHERE done_at IS NULL") == [(0,)]
    assert _local(ws) == {
        "ann@york.ac.uk": ("unsubscribed", "unsubscribed", "unsubscribed"),
        "cat@york.ac.uk": ("subscribed", "subscribed", "subscribed"),
        "dan@york.ac.uk": ("unsubscribed", "unsubscribed", "unsubscribed"),
    }
    pull_list(client, ws, "News")
    with ws.reading() as con:  # (and no later plan subscribes Dan again)
        rows = {r.email: (r.action, r.reason) for r in make_plan(con, "News").rows}
    assert rows["dan@york.ac.uk"] == (Action.BLOCKED, "Unsubscribed in Mailjet")


def test_a_429_storm_waits_and_a_longer_one_stops_the_push_to_resume(
    practice: Practice, client: MailjetClient, ws: Workspace
) -> None:
    faults = practice.sandbox.faults
    faults.set("429", times=3, method="POST", path="managemanycontacts")
    assert push_list(client, ws, "News", pace=FAST).state == "done"
    assert practice.sandbox.count("POST", "managemanycontacts") == 4
    assert _jobs(practice) == 1

    withdraw_consent(ws, [1, 2], "asked")
    pull_list(client, ws, "News")
    faults.set("429", times=-1, method="POST")
    with pytest.raises(PushStopped, match="Push again to resume where it stopped"):
        push_list(client, ws, "News", pace=FAST)
    assert ws.fetch("SELECT state FROM sync_runs ORDER BY id DESC LIMIT 1") == [("running",)]
    faults.clear()
    result = push_list(client, ws, "News", pace=FAST)
    assert (result.state, result.resumed) == ("done", True)
    assert _jobs(practice) == 2
    assert _remote(client)["bob@york.ac.uk"] == "unsubscribed"


@pytest.mark.parametrize("fault", ["503", "drop"])
def test_a_write_that_failed_unseen_is_read_again_then_sent_once(
    practice: Practice, client: MailjetClient, ws: Workspace, fault: Any
) -> None:
    practice.sandbox.faults.set(fault, method="POST", path="managemanycontacts")
    practice.sandbox.faults.set("500", times=2, method="GET", path="contactdata")
    result = push_list(client, ws, "News", pace=FAST)
    assert result.state == "done", result.message
    assert "reply lost; read again: 0 of 3 applied, the other 3 sent again" in result.message
    assert _jobs(practice) == 1  # (the failed request applied nothing; one job in all)
    assert _remote(client) == SUBSCRIBED_THREE
    assert _local(ws) == {e: ("subscribed", "subscribed", "subscribed") for e in PEOPLE[:3]}


def test_a_lost_reply_to_an_applied_write_is_not_sent_again(
    practice: Practice, client: MailjetClient, ws: Workspace
) -> None:
    practice.sandbox.faults.set("lost", method="POST", path="managemanycontacts")
    result = push_list(client, ws, "News", pace=FAST)
    assert result.state == "done", result.message
    assert "reply lost; read again: all 3 applied, nothing sent again" in result.message
    assert practice.sandbox.count("POST", "managemanycontacts") == 1
    assert _remote(client) == SUBSCRIBED_THREE

    erase_address(ws, "cat@york.ac.uk", reason="asked")
    practice.sandbox.faults.set("lost", method="DELETE", path="v4/contacts")
    result = push_list(client, ws, "News", pace=FAST)
    assert result.state == "done", result.message
    assert practice.sandbox.count("DELETE", "v4/contacts") == 1
    assert ws.fetch("SELECT count(*) FROM mailjet_erasures WHERE done_at IS NULL") == [(0,)]


@pytest.mark.parametrize("fault", ["job_error", "job_noop"])
def test_a_job_that_applied_nothing_is_reported_and_the_next_push_sends_it(
    practice: Practice, client: MailjetClient, ws: Workspace, fault: Any
) -> None:
    practice.sandbox.faults.set(fault)
    result = push_list(client, ws, "News", pace=FAST)
    assert result.state == "failed"
    assert "3 not applied by Mailjet" in result.message
    assert "push again" in result.message
    if fault == "job_error":
        assert "a job ended Error with 1 error listed (step 2)" in result.message
        assert ws.fetch("SELECT state, error FROM sync_steps WHERE kind = 'add'") == [
            ("failed", "The job failed; nothing was imported; 1 in its error file (The job "
             "failed; nothing was imported)")
        ]  # fmt: skip
    assert _remote(client) == {}
    assert _local(ws) == {e: ("subscribed", None, None) for e in PEOPLE[:3]}  # (not trusted)
    assert _runs(ws)[-1][0] == "failed"

    pull_list(client, ws, "News")
    assert push_list(client, ws, "News", pace=FAST).state == "done"
    assert _remote(client) == SUBSCRIBED_THREE


def test_a_crash_between_steps_resumes_from_the_first_step_not_done(
    practice: Practice, client: MailjetClient, ws: Workspace
) -> None:
    def crash_after_first_batch(phase: str, done: int, _total: int) -> None:
        if phase == "Adding and updating contacts" and done == 2:  # (the first batch done)
            raise RuntimeError("killed")

    small = Pace(batch_size=2, poll_interval=0.01, settle_seconds=0, sleep=lambda _s: None)
    with pytest.raises(RuntimeError, match="killed"):
        push_list(client, ws, "News", pace=small, progress=crash_after_first_batch)
    assert ws.fetch("SELECT kind, state FROM sync_steps ORDER BY seq") == [
        ("define_properties", "done"),
        ("add", "done"),
        ("add", "pending"),
        ("verify", "pending"),
    ]
    result = push_list(client, ws, "News", pace=small)
    assert (result.state, result.resumed) == ("done", True)
    assert _jobs(practice) == 2  # (one per batch: nothing sent twice)
    assert practice.sandbox.count("POST", "contactmetadata") == len(props.DEFINITIONS)
    assert _remote(client) == SUBSCRIBED_THREE


def test_cancel_stops_between_steps_says_what_was_done_and_resumes(
    practice: Practice, client: MailjetClient, ws: Workspace
) -> None:
    token = CancelToken()

    def cancel_after_properties(phase: str, done: int, total: int) -> None:
        if phase == "Defining the consent properties" and done == total:
            token.cancel()

    result = push_list(
        client, ws, "News", pace=FAST, cancel=token, progress=cancel_after_properties
    )
    assert result.state == "cancelled"
    assert "Done so far: 1 of 2 steps (0 contacts sent, 0 erased)" in result.message
    assert _jobs(practice) == 0
    assert _runs(ws)[-1][0] == "cancelled"
    result = push_list(client, ws, "News", pace=FAST)
    assert (result.state, result.resumed) == ("done", True)
    assert _remote(client) == SUBSCRIBED_THREE


def test_a_running_job_is_polled_with_growing_waits(
    practice: Practice, client: MailjetClient, ws: Workspace
) -> None:
    store = practice.sandbox.store
    store.options.job_seconds = 20.0
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        store.advance(seconds)

    pace = Pace(
        poll_interval=1.0,
        poll_growth=2.0,
        poll_max=8.0,
        settle_seconds=0,
        sleep=sleep,
        clock=store.seconds,
    )
    assert push_list(client, ws, "News", pace=pace).state == "done"
    # (moving at 15 s only: one poll that saw it move says nothing of its pace)
    assert waits == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert practice.sandbox.count("GET", "managemanycontacts/") == len(waits) + 1
    steps = ws.fetch("SELECT result FROM sync_steps WHERE kind = 'add'")
    assert steps == [("Completed: 3 of 3 processed",)]
    assert (
        json.loads(ws.fetch("SELECT payload FROM sync_steps WHERE kind = 'add'")[0][0])["action"]
        == "addnoforce"
    )


def test_a_crash_after_a_write_went_out_reads_mailjet_again_instead_of_resending(
    practice: Practice, client: MailjetClient, ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mjdesk.mailjet.bulk import start_list_job as sent

    def sent_then_killed(*args: Any) -> int:
        sent(*args)
        raise RuntimeError("killed before the reply was recorded")

    monkeypatch.setattr("mjdesk.mailjet.pushing.start_list_job", sent_then_killed)
    with pytest.raises(RuntimeError, match="killed"):
        push_list(client, ws, "News", pace=FAST)
    assert ws.fetch("SELECT state FROM sync_steps WHERE kind = 'add'") == [("sending",)]
    monkeypatch.setattr("mjdesk.mailjet.pushing.start_list_job", sent)
    result = push_list(client, ws, "News", pace=FAST)
    assert result.state == "done", result.message
    assert "read again: all 3 applied, nothing sent again" in result.message
    assert _jobs(practice) == 1
    assert _local(ws) == {e: ("subscribed", "subscribed", "subscribed") for e in PEOPLE[:3]}


# -- the CSV import route (more adds and updates than the threshold) ----------------------

BY_CSV = Pace(csv_threshold=2, poll_interval=0.01, settle_seconds=0, sleep=lambda _s: None)


def _imports(practice: Practice) -> int:
    return len(_account(practice).csv_imports)


def _uploads(practice: Practice) -> int:
    return len(_account(practice).csv_uploads)


def test_above_the_threshold_the_adds_go_as_one_csv_import_with_addnoforce(
    practice: Practice, client: MailjetClient, ws: Workspace, bodies: list[bytes]
) -> None:
    # Dan is in Mailjet's list, unsubscribed, and wanted here: the import must keep him so.
    add_here(ws, [4], "News")
    news = next(lst.id for lst in list_lists(client) if lst.name == "News")
    dan = add_to_list(client, news, "dan@york.ac.uk")
    unsubscribe_membership(
        client, next(m.id for m in list_memberships(client, list_id=news, contact=dan))
    )
    before = len(practice.sandbox.requests)
    result = push_list(client, ws, "News", pace=BY_CSV)
    assert result.state == "done", result.message
    assert result.message == (
        "Pushed “News” to Mailjet: 3 added; 1 left unsubscribed (they unsubscribed in Mailjet)."
    )
    steps = ws.fetch("SELECT kind, state, result FROM sync_steps ORDER BY seq")
    assert [s[:2] for s in steps] == [
        ("define_properties", "done"),
        ("add", "done"),
        ("verify", "done"),
    ]
    assert steps[1][2] == "Completed: 4 of 4 rows imported, 0 in error"
    assert practice.sandbox.count("POST", "CSVData") == 1
    assert practice.sandbox.count("POST", "csvimport") == 1
    assert practice.sandbox.count("POST", "managemanycontacts") == 0
    # Dan joined here after the pull, so the four members Mailjet has never shown are
    # looked up first (its exclusion list, its bounces, each by address); then 1 + 6 to
    # define the properties, upload, import, one poll, 3 reads to verify.
    assert len(practice.sandbox.requests) - before == 2 + 4 + 13
    upload = next(b for b in bodies if b.startswith(b"email,"))
    lines = upload.decode().splitlines()
    assert lines[0] == "email," + ",".join(sorted(n for n, _t in props.DEFINITIONS))
    assert sorted(line.split(",")[0] for line in lines[1:]) == sorted(PEOPLE)
    started = json.loads(next(b for b in bodies if b"DataID" in b))
    assert started["Method"] == "addnoforce"
    assert _remote(client) == {**SUBSCRIBED_THREE, "dan@york.ac.uk": "unsubscribed"}
    assert get_contact_data(client, "ann@york.ac.uk")[props.WORDING] == "Yes to news"
    assert _local(ws)["ann@york.ac.uk"] == ("subscribed", "subscribed", "subscribed")

    pull_list(client, ws, "News")
    writes = _writes(practice)
    assert push_list(client, ws, "News", pace=BY_CSV).state == "nothing"
    assert _writes(practice) == writes


def test_a_lost_upload_reply_uploads_again_and_imports_once(
    practice: Practice, client: MailjetClient, ws: Workspace
) -> None:
    practice.sandbox.faults.set("lost", method="POST", path="CSVData")
    result = push_list(client, ws, "News", pace=BY_CSV)
    assert result.state == "done", result.message
    assert "the CSV upload's reply was lost; uploaded again" in result.message
    assert (_uploads(practice), _imports(practice)) == (2, 1)
    assert _remote(client) == SUBSCRIBED_THREE


@pytest.mark.parametrize("fault", ["lost", "503"])
def test_a_lost_import_start_is_looked_for_before_starting_one(
    practice: Practice, client: MailjetClient, ws: Workspace, fault: Any
) -> None:
    practice.sandbox.faults.set(fault, method="POST", path="csvimport")
    result = push_list(client, ws, "News", pace=BY_CSV)
    assert result.state == "done", result.message
    if fault == "lost":  # (applied, its reply lost: found and polled)
        assert "reply lost; read again: it had started, polled rather than started" in (
            result.message
        )
        assert practice.sandbox.count("POST", "csvimport") == 1
    else:  # (refused: nothing started, so it is started now, from the same upload)
        assert "reply lost; read again: it had not started, started now" in result.message
        assert practice.sandbox.count("POST", "csvimport") == 2
    assert (_uploads(practice), _imports(practice)) == (1, 1)
    assert _remote(client) == SUBSCRIBED_THREE


def test_a_crash_after_the_upload_reuses_it_and_after_the_start_polls_that_import(
    practice: Practice, client: MailjetClient, ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mjdesk.mailjet.bulk import start_csv_import as start

    def killed_before(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("killed before the import was started")

    monkeypatch.setattr("mjdesk.mailjet.pushing.start_csv_import", killed_before)
    with pytest.raises(RuntimeError, match="killed"):
        push_list(client, ws, "News", pace=BY_CSV)
    step = ws.fetch("SELECT state, job_id, payload FROM sync_steps WHERE kind = 'add'")[0]
    assert step[:2] == ("sending", None)
    assert json.loads(step[2])["data_id"] in _account(practice).csv_uploads

    def started_then_killed(*args: Any, **kwargs: Any) -> Any:
        start(*args, **kwargs)
        raise RuntimeError("killed before the reply was recorded")

    monkeypatch.setattr("mjdesk.mailjet.pushing.start_csv_import", started_then_killed)
    with pytest.raises(RuntimeError, match="killed"):
        push_list(client, ws, "News", pace=BY_CSV)
    assert (_uploads(practice), _imports(practice)) == (1, 1)

    monkeypatch.setattr("mjdesk.mailjet.pushing.start_csv_import", start)
    result = push_list(client, ws, "News", pace=BY_CSV)
    assert (result.state, result.resumed) == ("done", True)
    assert "cut short while sending; read again: it had started, polled" in result.message
    assert (_uploads(practice), _imports(practice)) == (1, 1)
    import_id = next(iter(_account(practice).csv_imports))
    assert ws.fetch("SELECT job_id FROM sync_steps WHERE kind = 'add'") == [(import_id,)]
    assert _local(ws) == {e: ("subscribed", "subscribed", "subscribed") for e in PEOPLE[:3]}


@pytest.mark.parametrize("fault", ["job_error", "job_noop"])
def test_an_import_that_applied_nothing_is_reported_and_not_trusted(
    practice: Practice, client: MailjetClient, ws: Workspace, fault: Any
) -> None:
    practice.sandbox.faults.set(fault)
    result = push_list(client, ws, "News", pace=BY_CSV)
    assert result.state == "failed"
    assert "3 not applied by Mailjet" in result.message
    if fault == "job_error":
        assert "the CSV import ended Error with 0 errors listed (step 2)" in result.message
        assert ws.fetch("SELECT state FROM sync_steps WHERE kind = 'add'") == [("failed",)]
    assert _local(ws) == {e: ("subscribed", None, None) for e in PEOPLE[:3]}
    pull_list(client, ws, "News")
    assert push_list(client, ws, "News", pace=BY_CSV).state == "done"
    assert _remote(client) == SUBSCRIBED_THREE


def test_an_imports_error_rows_are_read_and_kept_without_their_addresses(
    practice: Practice, client: MailjetClient, ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mjdesk.mailjet.bulk import contacts_csv

    def with_a_repeat(contacts: Any) -> str:
        text = contacts_csv(contacts)
        return text + text.splitlines()[1] + "\n"

    monkeypatch.setattr("mjdesk.mailjet.pushing.contacts_csv", with_a_repeat)
    result = push_list(client, ws, "News", pace=BY_CSV)
    assert result.state == "done", result.message
    assert "the CSV import ended Completed with 1 error listed (step 2)" in result.message
    assert ws.fetch("SELECT state, result, error FROM sync_steps WHERE kind = 'add'") == [
        ("done", "Completed: 4 of 4 rows imported, 1 in error",
         "1 row in its error file (Duplicated email)")
    ]  # fmt: skip
    assert _remote(client) == SUBSCRIBED_THREE


def test_a_running_import_is_polled_with_growing_waits(
    practice: Practice, client: MailjetClient, ws: Workspace
) -> None:
    store = practice.sandbox.store
    store.options.job_seconds = 10.0
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        store.advance(seconds)

    pace = Pace(
        csv_threshold=2,
        poll_interval=1.0,
        poll_growth=2.0,
        settle_seconds=0,
        sleep=sleep,
        clock=store.seconds,
    )
    assert push_list(client, ws, "News", pace=pace).state == "done"
    assert waits == [1.0, 2.0, 4.0, 8.0]
    assert practice.sandbox.count("GET", "csvimport/") == len(waits) + 1


VERIFYING = PHASES["verify"]


def _stop_at_verification(phase: str, _done: int, _total: int) -> None:
    if phase == VERIFYING:
        raise RuntimeError("killed before verifying")


def _recorded(ws: Workspace) -> dict[str, list[tuple[Any, ...]]]:
    """What a verification leaves in the workspace (but when it was pulled)."""
    return {
        "local": sorted(_local(ws).items()),
        "mailjet": ws.fetch(
            "SELECT mailjet_id, email, is_excluded, is_spam, properties, updated_at "
            "FROM mailjet_contacts ORDER BY mailjet_id"
        ),
        "flags": ws.fetch("SELECT contact_id, flag FROM contact_flags ORDER BY 1, 2"),
        "runs": ws.fetch("SELECT state, summary FROM sync_runs ORDER BY id"),
        "activity": ws.fetch("SELECT summary, count, details FROM activity ORDER BY id"),
    }


def test_verification_read_side_by_side_records_what_reading_page_by_page_does(
    practice: Practice,
    client: MailjetClient,
    ws: Workspace,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One push stopped before its verification, copied: verified reading one page at a
    time in one copy and four at a time in the other, both record the same thing. Pages of
    one row, so every listing has several; Mailjet has applied one job and not the other,
    and Cat unsubscribed there meanwhile."""
    monkeypatch.setattr(client_module, "PAGE_SIZE", 1)
    monkeypatch.setattr(paging, "PAGE_SIZE", 1)
    add_here(ws, [4], "News")
    practice.sandbox.faults.set("job_noop")  # (the first job: Ann and Bob)
    small = Pace(batch_size=2, poll_interval=0.01, settle_seconds=0, sleep=lambda _s: None)
    with pytest.raises(RuntimeError, match="killed"):
        push_list(client, ws, "News", pace=small, progress=_stop_at_verification)
    news = next(m.list_id for m in list_memberships(client, contact="cat@york.ac.uk"))
    unsubscribe_membership(
        client, next(m.id for m in list_memberships(client, list_id=news, contact="cat@york.ac.uk"))
    )
    copy = tmp_path / "copy.sqlite3"
    with ws.reading() as con, sqlite3.connect(copy) as target:
        con.backup(target)
    before = len(practice.sandbox.requests)
    one_by_one = push_list(client, ws, "News", pace=replace(small, parallel_reads=1))
    reads_one_by_one = len(practice.sandbox.requests) - before
    with Workspace.open(copy) as twin:
        before = len(practice.sandbox.requests)
        side_by_side = push_list(client, twin, "News", pace=small)
        reads_side_by_side = len(practice.sandbox.requests) - before
        recorded = _recorded(twin)
    assert one_by_one.outcome is not None
    assert side_by_side.outcome is not None
    assert (one_by_one.state, one_by_one.message) == (side_by_side.state, side_by_side.message)
    assert replace(one_by_one.outcome, run_id=0, activity_id=0) == replace(
        side_by_side.outcome, run_id=0, activity_id=0
    )
    assert recorded == _recorded(ws)
    assert one_by_one.state == "failed"
    assert one_by_one.message.startswith(
        "Pushed “News” to Mailjet: 1 added; 1 left unsubscribed (they unsubscribed in "
        "Mailjet); 2 not applied by Mailjet"
    )
    # Page by page: 2 contacts + 1 unsubscribed + 2 with properties, each listing ending on
    # an empty page; side by side, a count more for each listing (and the same pages).
    assert (reads_one_by_one, reads_side_by_side) == (8, 11)


def test_a_push_cancelled_while_verifying_resumes_with_its_verification(
    practice: Practice, client: MailjetClient, ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "PAGE_SIZE", 1)
    monkeypatch.setattr(paging, "PAGE_SIZE", 1)
    token = CancelToken()
    client.cancel = token
    told: list[tuple[int, int]] = []

    def cancel_after_two_pages(phase: str, done: int, total: int) -> None:
        if phase == VERIFYING:
            told.append((done, total))
            if done >= 2:
                token.cancel()

    result = push_list(client, ws, "News", pace=FAST, progress=cancel_after_two_pages)
    assert result.state == "cancelled", result.message
    assert "Done so far: 2 of 2 steps (3 contacts sent, 0 erased)" in result.message
    assert ws.fetch("SELECT kind, state FROM sync_steps ORDER BY seq")[-1] == ("verify", "pending")
    assert _local(ws) == {e: ("subscribed", None, None) for e in PEOPLE[:3]}  # (not yet)
    # (stopped after the first page of each of its three listings, before their counts)
    assert told[0] == (0, 0)
    assert told[-1][1] == 3
    assert told[-1][0] >= 2
    writes = _writes(practice)

    client.cancel = CancelToken()
    result = push_list(client, ws, "News", pace=FAST)
    assert (result.state, result.resumed) == ("done", True)
    assert result.message.startswith("Pushed “News” to Mailjet: 3 added")
    assert _writes(practice) == writes  # (a verification only reads)
    assert _local(ws) == {e: ("subscribed", "subscribed", "subscribed") for e in PEOPLE[:3]}
