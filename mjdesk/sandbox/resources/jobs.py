"""The two asynchronous ``managemanycontacts`` jobs and their JSON error file.

A job runs on the store's clock, not on its polls: it is ``Allocated`` for the first fifth of its
time, then ``Importing`` with ``Count`` (contacts processed so far) growing as its contacts are
applied one by one, then ``Completed``. ``settle`` does the work that is due; the server calls it
around every request, so a client that never polls still sees the contacts and memberships change
once the job's time has passed. ``Options.job_duration`` says how long a job takes. The faults can
make the next job end in ``Error`` (nothing applied) or report ``Completed`` having applied
nothing (I#108 go).
"""

from __future__ import annotations

from datetime import UTC, datetime

from mjdesk.sandbox.protocol import (
    Fields,
    JsonObject,
    Reply,
    bad_request,
    created,
    json_reply,
    not_found,
    ok,
)
from mjdesk.sandbox.resources.lists import ACTIONS, apply_action, find_list_or_404, valid_email
from mjdesk.sandbox.resources.properties import PropertyProblem, coerce, merge_data
from mjdesk.sandbox.routing import Call, Route
from mjdesk.sandbox.store import Account, BulkJob, Contact, Json, rfc3339


def error_file_path(job_id: int) -> str:
    """Where a job's errors are read, as Mailjet's ``ErrorFile`` gives it."""
    return f"/v3/DATA/batchjob/{job_id}/JSONError/application:json/LAST"


QUEUED_SHARE = 0.2  # of a job's time spent waiting before it processes anything
FINISHED = frozenset({"Completed", "Error", "Abort"})


def job_outcome(call: Call) -> str:
    """How the job being created ends, as the armed faults say: ok, error or noop."""
    fault = call.faults.take_job()
    return {"job_error": "error", "job_noop": "noop"}.get(fault or "", "ok")


def elapsed_share(started: float, seconds: float, now: float) -> float:
    """How far through its run a job is at ``now``: 0 when started, 1 when done."""
    if seconds <= 0:
        return 1.0
    return min(1.0, max(0.0, (now - started) / seconds))


def rows_due(share: float, total: int) -> int:
    """Rows processed by ``share``: none while queued, then evenly until the end."""
    if share >= 1.0:
        return total
    if share <= QUEUED_SHARE:
        return 0
    return int(total * (share - QUEUED_SHARE) / (1.0 - QUEUED_SHARE))


def moment(seconds: float) -> str:
    """POSIX seconds in Mailjet's date form."""
    return rfc3339(datetime.fromtimestamp(seconds, UTC))


def _contact_changes(account: Account, entry: Fields, stamp: str) -> tuple[Contact, JsonObject]:
    email = entry.text("Email").strip()
    if not valid_email(email):
        raise ValueError("Invalid email address")
    values: dict[str, Json] = {}
    for name, value in entry.sub("Properties").raw.items():
        definition = account.property_named(name)
        if definition is None or definition.namespace != "static":
            raise ValueError(f'Property "{name}" not defined')
        try:
            values[definition.name] = coerce(definition, value)
        except PropertyProblem as problem:
            raise ValueError(f'Property "{name}": {problem}') from None
    contact = account.find_contact(email)
    if contact is None:
        contact = Contact(account.new_id(), email, entry.text("Name"), stamp, last_update_at=stamp)
        account.add_contact(contact)
    elif entry.has("Name") and entry.text("Name") != contact.name:
        contact.name = entry.text("Name")
        contact.last_update_at = stamp
    if entry.has("IsExcludedFromCampaigns"):
        excluded = bool(entry.get("IsExcludedFromCampaigns"))
        if excluded != contact.is_excluded:
            contact.is_excluded = excluded
            contact.excluded_updated_at = stamp
    # A change of its properties moves the contact's LastUpdateAt, as /contactdata's PUT
    # does here (UNCONFIRMED for Mailjet's bulk jobs: pulls re-read every member's
    # properties once a week whatever it says, mjdesk.mailjet.syncing).
    if merge_data(account, contact.id, values):
        contact.last_update_at = stamp
    return contact, values


def _deduplicated(contacts: list[Fields]) -> list[Json]:
    # Mailjet de-duplicates by address; a repeated one does not count twice.
    seen: set[str] = set()
    kept: list[Json] = []
    for entry in contacts:
        email = entry.text("Email").strip().lower()
        if email not in seen:
            seen.add(email)
            kept.append(entry.raw)
    return kept


def _actions(job: BulkJob) -> list[tuple[int, str]]:
    payload = Fields(job.payload)
    if job.list_id:
        return [(job.list_id, payload.text("Action").lower())]
    lists = payload.items("ContactsLists")
    return [(int(item.get("ListID")), item.text("Action").lower()) for item in lists]


def settle_job(account: Account, job: BulkJob, now: float) -> None:
    """Bring a job to where its clock says it is, applying the contacts that are due."""
    if job.status in FINISHED:
        return
    share = elapsed_share(job.started, job.seconds, now)
    stamp = moment(min(now, job.started + job.seconds))
    job.status = "Allocated" if share <= QUEUED_SHARE else "Importing"
    if job.outcome == "error":
        if share >= 1.0:
            job.status = "Error"
            job.job_end = stamp
            job.error = "The job failed; nothing was imported"
            job.errors = [{"Error": job.error}]
            job.error_file = error_file_path(job.id)
        return
    contacts: list[Json] = Fields(job.payload).get("Contacts")
    due = rows_due(share, len(contacts))
    actions = _actions(job) if job.outcome == "ok" and due > job.count else []
    while job.count < due:
        entry = Fields(contacts[job.count])
        job.count += 1
        if job.outcome != "ok":
            continue
        try:
            contact, _ = _contact_changes(account, entry, stamp)
        except ValueError as problem:
            job.errors.append({"Email": entry.text("Email"), "Error": str(problem)})
            continue
        for list_id, action in actions:
            apply_action(account, contact, list_id, action, stamp)
    if share >= 1.0:
        job.status = "Completed"
        job.job_end = stamp
        if job.errors:
            job.error = f"{len(job.errors)} contact(s) could not be processed"
            job.error_file = error_file_path(job.id)


def job_json(job: BulkJob) -> JsonObject:
    """A job as its poll shows it."""
    return {
        "Count": job.count,
        "Error": job.error,
        "ErrorFile": job.error_file,
        "JobEnd": job.job_end,
        "JobStart": job.job_start,
        "Status": job.status,
    }


def _check_contacts(fields: Fields) -> None:
    contacts = fields.items("Contacts")
    if not contacts:
        raise bad_request('Mandatory field "Contacts" is missing or empty')
    for entry in contacts:
        if not entry.text("Email").strip():
            raise bad_request('Each contact needs an "Email"')


def _start(call: Call, list_id: int) -> Reply:
    payload = dict(call.fields.raw)
    contacts = _deduplicated(call.fields.items("Contacts"))
    payload[next(k for k in payload if k.lower() == "contacts")] = contacts
    job = BulkJob(
        call.account.new_id(),
        list_id,
        payload,
        outcome=job_outcome(call),
        job_start=call.store.stamp(),
        started=call.store.seconds(),
        seconds=call.store.options.job_duration(len(contacts)),
    )
    call.account.bulk_jobs[job.id] = job
    return created({"JobID": job.id})


def _start_for_contacts(call: Call) -> Reply:
    fields = call.fields
    _check_contacts(fields)
    for item in fields.items("ContactsLists"):
        list_key = item.text("ListID")
        found = call.account.find_list(list_key) if list_key.isdigit() else None
        if found is None or item.text("Action").lower() not in ACTIONS:
            raise bad_request(
                {"ContactsLists": [{"ListID": item.get("ListID"), "Action": item.get("Action")}]},
                "listID or action missing or not valid",
            )
    return _start(call, 0)


def _start_for_list(call: Call) -> Reply:
    item = find_list_or_404(call.account, call.arg("id"))
    fields = call.fields
    if fields.text("Action").lower() not in ACTIONS:
        raise bad_request(f'Invalid Action "{fields.text("Action")}"')
    _check_contacts(fields)
    return _start(call, item.id)


def _poll(call: Call, list_id: int) -> Reply:
    key = call.arg("job")
    job = call.account.bulk_jobs.get(int(key)) if key.isdigit() else None
    if job is None or job.list_id != list_id:
        raise not_found()
    return ok(job_json(job))


def _poll_for_contacts(call: Call) -> Reply:
    return _poll(call, 0)


def _poll_for_list(call: Call) -> Reply:
    return _poll(call, find_list_or_404(call.account, call.arg("id")).id)


def _json_errors(call: Call) -> Reply:
    key = call.arg("id")
    job = call.account.bulk_jobs.get(int(key)) if key.isdigit() else None
    if job is None:
        raise not_found()
    return json_reply(200, job.errors)


ROUTES = [
    Route("POST", "v3/REST/contact/managemanycontacts", _start_for_contacts),
    Route("GET", "v3/REST/contact/managemanycontacts/{job}", _poll_for_contacts),
    Route("POST", "v3/REST/contactslist/{id}/managemanycontacts", _start_for_list),
    Route("GET", "v3/REST/contactslist/{id}/managemanycontacts/{job}", _poll_for_list),
    Route("GET", "v3/DATA/batchjob/{id}/JSONError/application:json/LAST", _json_errors),
]
