"""Bulk jobs and the CSV import through our client, over HTTP, against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mjdesk.core.work import Cancelled
from mjdesk.mailjet import bulk
from mjdesk.mailjet import contacts as mj
from mjdesk.mailjet.client import MailjetClient
from mjdesk.mailjet.errors import InvalidRequest
from mjdesk.mailjet.retry import RetryPolicy

from support.sandbox_fixtures import Practice


@pytest.fixture
def client(practice: Practice) -> Iterator[MailjetClient]:
    with MailjetClient(
        practice.key, practice.secret, api_url=practice.url, retry=RetryPolicy(sleep=lambda s: None)
    ) as made:
        yield made


def _no_sleep(seconds: float) -> None:
    pass


def test_list_job_applies_once_its_time_has_passed(
    client: MailjetClient, practice: Practice
) -> None:
    practice.sandbox.store.options.job_seconds = 10
    newsletter = mj.create_list(client, "Newsletter")
    mj.create_property(client, "city")
    people = [
        bulk.BulkContact("a@example.org", "A", properties={"city": "York"}),
        bulk.BulkContact("b@example.org"),
        bulk.BulkContact("a@example.org"),  # duplicate in the batch
        bulk.BulkContact("not-an-address"),
    ]
    job = bulk.start_list_job(client, newsletter.id, "addnoforce", people)
    first = bulk.job_status(client, job, newsletter.id)
    assert first.status == "Allocated"
    assert not first.finished
    assert mj.count_contacts(client) == 0
    practice.sandbox.store.advance(10)
    done = bulk.wait_until_finished(
        client, lambda: bulk.job_status(client, job, newsletter.id), sleep=_no_sleep
    )
    assert done.status == "Completed"
    assert done.count == 3
    assert done.failed  # the bad address is in the error file
    assert bulk.job_errors(client, job) == [
        {"Email": "not-an-address", "Error": "Invalid email address"}
    ]
    members = list(mj.list_memberships(client, list_id=newsletter.id))
    assert len(members) == 2
    assert mj.get_contact_data(client, "a@example.org") == {"city": "York"}


def test_contacts_job_with_lists_never_resubscribes(client: MailjetClient) -> None:
    newsletter = mj.create_list(client, "Newsletter")
    contact_id = mj.add_to_list(client, newsletter.id, "gone@example.org")
    mj.change_contact_lists(client, contact_id, [(newsletter.id, "unsub")])
    job = bulk.start_contacts_job(
        client,
        [bulk.BulkContact("gone@example.org"), bulk.BulkContact("new@example.org")],
        [(newsletter.id, "addnoforce")],
    )
    status = bulk.wait_until_finished(client, lambda: bulk.job_status(client, job), sleep=_no_sleep)
    assert status.status == "Completed"
    assert not status.failed
    states = {
        m.contact_id: m.is_unsubscribed for m in mj.list_memberships(client, list_id=newsletter.id)
    }
    assert states[contact_id] is True
    assert list(states.values()).count(False) == 1


def test_addforce_is_not_offered(client: MailjetClient) -> None:
    with pytest.raises(ValueError, match="never addforce"):
        bulk.start_list_job(client, 1, "addforce", [bulk.BulkContact("x@example.org")])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="never addforce"):
        mj.add_to_list(client, 1, "x@example.org", action="addforce")  # type: ignore[arg-type]


def test_job_that_ends_in_error(client: MailjetClient, practice: Practice) -> None:
    newsletter = mj.create_list(client, "Newsletter")
    practice.sandbox.faults.set("job_error")
    job = bulk.start_list_job(client, newsletter.id, "addnoforce", [bulk.BulkContact("a@x.org")])
    status = bulk.wait_until_finished(
        client, lambda: bulk.job_status(client, job, newsletter.id), sleep=_no_sleep
    )
    assert status.status == "Error"
    assert status.failed
    assert status.error_file.endswith("/JSONError/application:json/LAST")
    assert bulk.job_errors(client, job)
    assert mj.count_contacts(client) == 0


def test_job_completed_that_applied_nothing(client: MailjetClient, practice: Practice) -> None:
    newsletter = mj.create_list(client, "Newsletter")
    practice.sandbox.faults.set("job_noop")
    job = bulk.start_list_job(client, newsletter.id, "addnoforce", [bulk.BulkContact("a@x.org")])
    status = bulk.wait_until_finished(
        client, lambda: bulk.job_status(client, job, newsletter.id), sleep=_no_sleep
    )
    assert status.status == "Completed"
    assert not status.failed  # only re-reading the list shows the truth
    assert list(mj.list_memberships(client, list_id=newsletter.id)) == []


def test_invalid_job_request(client: MailjetClient) -> None:
    newsletter = mj.create_list(client, "Newsletter")
    with pytest.raises(InvalidRequest):
        bulk.start_list_job(client, newsletter.id, "addnoforce", [])


def test_csv_import_flow(client: MailjetClient) -> None:
    newsletter = mj.create_list(client, "Newsletter")
    text = (
        "email,name,city\na@example.org,Ann,York\nb@example.org,,Leeds\na@example.org,Dup,\nbad,,\n"
    )
    data_id = bulk.upload_csv(client, newsletter.id, text)
    started = bulk.start_csv_import(client, data_id, "addnoforce", list_id=newsletter.id)
    assert started.status == "Upload"
    done = bulk.wait_until_finished(
        client, lambda: bulk.csv_import_status(client, started.import_id), sleep=_no_sleep
    )
    assert done.status == "Completed"
    assert (done.count, done.current, done.errcount) == (4, 4, 2)
    errors = bulk.csv_import_errors(client, started.import_id).splitlines()
    assert errors[0] == "email,name,city,error"
    assert errors[1:] == [
        "a@example.org,Dup,,###Duplicated email###a@example.org",
        "bad,,,###Invalid email###bad",
    ]
    names = {p.name for p in mj.list_properties(client)}
    assert {"name", "city"} <= names  # unknown columns become properties
    ann = mj.get_contact(client, "a@example.org")
    assert ann.name == ""  # a name column is a property, not the contact's Name
    assert mj.get_contact_data(client, ann.id) == {"city": "York", "name": "Ann"}
    assert mj.count_contacts(client, list_id=newsletter.id) == 2


def test_contacts_as_csv_for_an_import() -> None:
    text = bulk.contacts_csv(
        [
            bulk.BulkContact("ann@york.ac.uk", properties={"b": "x,y", "A": "=1"}),
            bulk.BulkContact("bob@york.ac.uk", properties={"b": "2"}),
            bulk.BulkContact("ANN@york.ac.uk", properties={"b": "again"}),
        ]
    )
    # Every name in one header, the values as they are (Mailjet reads them, not a
    # spreadsheet), an address once.
    assert text == 'email,A,b\nann@york.ac.uk,=1,"x,y"\nbob@york.ac.uk,,2\n'
    errors = "email,b,error\nann@york.ac.uk,1,###Duplicated email###ann@york.ac.uk\n\nx,,odd\n"
    assert bulk.csv_error_kinds(errors) == ["Duplicated email", "unknown error"]
    assert bulk.csv_error_kinds("") == []


def test_csv_import_global_methods_and_field_names(client: MailjetClient) -> None:
    newsletter = mj.create_list(client, "Newsletter")
    mj.create_contact(client, "a@example.org")
    data_id = bulk.upload_csv(client, newsletter.id, "a@example.org\n")
    with pytest.raises(InvalidRequest, match="MJ08"):
        bulk.start_csv_import(client, data_id, "excludemarketing", list_id=newsletter.id)
    started = bulk.start_csv_import(
        client, data_id, "excludemarketing", import_options={"FieldNames": ["email"]}
    )
    bulk.wait_until_finished(
        client, lambda: bulk.csv_import_status(client, started.import_id), sleep=_no_sleep
    )
    assert mj.get_contact(client, "a@example.org").is_excluded


def test_csv_import_abort(client: MailjetClient, practice: Practice) -> None:
    practice.sandbox.store.options.job_seconds = 10
    newsletter = mj.create_list(client, "Newsletter")
    data_id = bulk.upload_csv(client, newsletter.id, "email\na@example.org\n")
    started = bulk.start_csv_import(client, data_id, "addnoforce", list_id=newsletter.id)
    bulk.abort_csv_import(client, started.import_id)
    status = bulk.csv_import_status(client, started.import_id)
    assert status.status == "Abort"
    assert status.finished
    practice.sandbox.store.advance(10)
    assert mj.count_contacts(client) == 0


def test_waiting_is_cancellable(client: MailjetClient, practice: Practice) -> None:
    practice.sandbox.store.options.job_seconds = 10
    newsletter = mj.create_list(client, "Newsletter")
    job = bulk.start_list_job(client, newsletter.id, "addnoforce", [bulk.BulkContact("a@x.org")])

    def cancel(seconds: float) -> None:
        client.cancel.cancel()

    with pytest.raises(Cancelled):
        bulk.wait_until_finished(
            client, lambda: bulk.job_status(client, job, newsletter.id), sleep=cancel
        )


def test_a_moving_job_is_next_polled_when_its_pace_says_it_ends(client: MailjetClient) -> None:
    """A job of 10,000 rows, queued for 2 s then 1,000 rows a second (done at 12 s): polled
    with growing waits while queued, then at the end its pace forecasts, not a growing wait
    after it; each status is handed on (progress)."""
    now = [0.0]
    told: list[int] = []

    def poll() -> bulk.CsvImportStatus:
        current = min(10_000, max(0, int((now[0] - 2.0) * 1_000)))
        status = "Completed" if current == 10_000 else "Importing"
        return bulk.CsvImportStatus(7, status, 10_000, current, 0, "addnoforce")

    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    done = bulk.wait_until_finished(
        client,
        poll,
        interval=0.5,
        growth=1.5,
        max_interval=30.0,
        sleep=sleep,
        clock=lambda: now[0],
        share=lambda status: bulk.share_done(status, 10_000),
        on_status=lambda status: told.append(status.current),
    )
    assert done.status == "Completed"
    # Queued at 0, 0.5 and 1.25 s; moving at 2.375 s (375 rows) and 4.0625 s (2,062): the
    # pace between those two says 7.9 s more, and a tenth is added.
    assert waits == pytest.approx([0.5, 0.75, 1.125, 1.6875, 7.94 * bulk.MARGIN], abs=0.01)
    assert 12.0 <= now[0] <= 12.0 * bulk.MARGIN
    assert told[0] == 0
    assert told[-1] == 10_000
    assert told == sorted(told)


def test_share_done_counts_rows_processed_of_rows_sent() -> None:
    job = bulk.JobStatus(1, "Importing", 250, "", "")
    assert bulk.share_done(job, 1_000) == 0.25
    assert bulk.share_done(bulk.JobStatus(1, "Completed", 0, "", ""), 1_000) == 1.0
    assert bulk.share_done(bulk.CsvImportStatus(2, "Importing", 400, 100, 0, "x"), 999) == 0.25
    assert bulk.share_done(bulk.JobStatus(1, "Allocated", 0, "", ""), 0) == 0.0
