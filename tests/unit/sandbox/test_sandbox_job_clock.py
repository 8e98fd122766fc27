"""Bulk jobs and CSV imports run on the sandbox's clock, not on their polls (issue #14 part 9),
checked through our client over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mjdesk.mailjet import bulk
from mjdesk.mailjet import contacts as mj
from mjdesk.mailjet.client import MailjetClient
from mjdesk.mailjet.retry import RetryPolicy
from mjdesk.sandbox.server import Sandbox

from support.sandbox_fixtures import Practice


@pytest.fixture
def client(practice: Practice) -> Iterator[MailjetClient]:
    # Ten seconds a job, so the test can stop the clock anywhere in it with ``advance``.
    practice.sandbox.store.options.job_seconds = 10
    with MailjetClient(
        practice.key, practice.secret, api_url=practice.url, retry=RetryPolicy(sleep=lambda s: None)
    ) as made:
        yield made


def _people(count: int) -> list[bulk.BulkContact]:
    return [bulk.BulkContact(f"p{number}@example.org") for number in range(count)]


def test_a_job_nobody_polls_is_applied_when_its_time_has_passed(
    client: MailjetClient, practice: Practice
) -> None:
    newsletter = mj.create_list(client, "Newsletter")
    bulk.start_list_job(client, newsletter.id, "addnoforce", _people(3))
    assert list(mj.list_memberships(client, list_id=newsletter.id)) == []
    practice.sandbox.store.advance(10)
    assert len(list(mj.list_memberships(client, list_id=newsletter.id))) == 3
    assert mj.get_list(client, newsletter.id).subscriber_count == 3


def test_poll_shows_allocated_importing_completed_with_count_growing(
    client: MailjetClient, practice: Practice
) -> None:
    newsletter = mj.create_list(client, "Newsletter")
    job = bulk.start_contacts_job(client, _people(10), [(newsletter.id, "addnoforce")])
    seen = []
    for _ in range(3):
        status = bulk.job_status(client, job)
        seen.append((status.status, status.count, mj.count_contacts(client)))
        practice.sandbox.store.advance(4)
    # 0 s: waiting; 4 s: a quarter of the import (2 of 10 applied); 8 s: three quarters.
    assert seen == [("Allocated", 0, 0), ("Importing", 2, 2), ("Importing", 7, 7)]
    done = bulk.job_status(client, job)
    assert (done.status, done.count, done.failed) == ("Completed", 10, False)
    assert len(list(mj.list_memberships(client, list_id=newsletter.id))) == 10


def test_a_bigger_job_takes_longer(client: MailjetClient, practice: Practice) -> None:
    practice.sandbox.store.options.job_rows_per_second = 100
    newsletter = mj.create_list(client, "Newsletter")
    job = bulk.start_list_job(client, newsletter.id, "addnoforce", _people(1000))
    practice.sandbox.store.advance(10)  # of the 10 s + 1000 / 100 s it needs
    assert bulk.job_status(client, job, newsletter.id).status == "Importing"
    practice.sandbox.store.advance(10)
    assert bulk.job_status(client, job, newsletter.id).status == "Completed"


def test_job_error_and_nothing_applied_modes_keep_running_on_the_clock(
    client: MailjetClient, practice: Practice
) -> None:
    newsletter = mj.create_list(client, "Newsletter")
    practice.sandbox.faults.set("job_error")
    failing = bulk.start_list_job(client, newsletter.id, "addnoforce", _people(4))
    practice.sandbox.faults.set("job_noop")
    idle = bulk.start_list_job(client, newsletter.id, "addnoforce", _people(4))
    practice.sandbox.store.advance(5)
    assert bulk.job_status(client, failing, newsletter.id).status == "Importing"
    assert bulk.job_status(client, idle, newsletter.id).status == "Importing"
    practice.sandbox.store.advance(5)
    failed = bulk.job_status(client, failing, newsletter.id)
    assert failed.status == "Error"
    assert bulk.job_errors(client, failing) == [{"Error": failed.error}]
    claimed = bulk.job_status(client, idle, newsletter.id)
    assert (claimed.status, claimed.count, claimed.failed) == ("Completed", 4, False)
    assert mj.count_contacts(client) == 0


def test_csv_import_runs_on_the_clock_and_abort_keeps_what_was_done(
    client: MailjetClient, practice: Practice
) -> None:
    newsletter = mj.create_list(client, "Newsletter")
    text = "email,city\n" + "".join(f"r{n}@example.org,York\n" for n in range(8)) + "bad,x\n"
    started = bulk.start_csv_import(
        client, bulk.upload_csv(client, newsletter.id, text), "addnoforce", list_id=newsletter.id
    )
    assert started.status == "Upload"
    statuses = []
    for step in (1.5, 2.5, 5.5):  # 1.5 s, 4 s, 9.5 s into its 10 s
        practice.sandbox.store.advance(step)
        now = bulk.csv_import_status(client, started.import_id)
        statuses.append((now.status, now.count, now.current))
    assert statuses == [("Prepare", 9, 0), ("Importing", 9, 2), ("Importing", 9, 8)]
    practice.sandbox.store.advance(1)
    done = bulk.csv_import_status(client, started.import_id)
    assert (done.status, done.current, done.errcount) == ("Completed", 9, 1)
    assert mj.count_contacts(client, list_id=newsletter.id) == 8

    again = bulk.start_csv_import(
        client,
        bulk.upload_csv(client, newsletter.id, text.replace("@", "+2@")),
        "addnoforce",
        list_id=newsletter.id,
    )
    practice.sandbox.store.advance(5)  # halfway: 3 of 9 rows
    bulk.abort_csv_import(client, again.import_id)
    practice.sandbox.store.advance(10)
    aborted = bulk.csv_import_status(client, again.import_id)
    assert (aborted.status, aborted.current) == ("Abort", 3)
    assert mj.count_contacts(client, list_id=newsletter.id) == 11


def test_a_running_job_survives_the_state_file(practice: Practice, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    practice.sandbox.store.options.job_seconds = 10
    list_id = practice.rest("POST", "contactslist", json={"Name": "L"}).json()["Data"][0]["ID"]
    practice.rest(
        "POST",
        f"contactslist/{list_id}/managemanycontacts",
        json={"Action": "addnoforce", "Contacts": [{"Email": "late@example.org"}]},
    )
    practice.sandbox.store.save(state)
    with Sandbox(state_file=state) as later:
        later.store.advance(10)
        later.settle()
        account = later.account(practice.key)
        assert account.find_contact("late@example.org") is not None
