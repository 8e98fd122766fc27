"""The two asynchronous ``managemanycontacts`` jobs and their JSON error file.

A job moves one state per poll (``Allocated`` → ``Importing`` → ``Completed``) and does its work
when it reaches ``Completed``, so a client that does not poll sees nothing applied. The faults can
make the next job end in ``Error`` or report ``Completed`` having applied nothing (I#108 go).
"""

from __future__ import annotations

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
from mjdesk.sandbox.store import Account, BulkJob, Contact, Json


def error_file_path(job_id: int) -> str:
    """Where a job's errors are read, as Mailjet's ``ErrorFile`` gives it."""
    return f"/v3/DATA/batchjob/{job_id}/JSONError/application:json/LAST"


def plan_states(call: Call, final: str = "Completed") -> tuple[str, list[str]]:
    """The outcome chosen by the faults and the states still to come after the first."""
    fault = call.faults.take_job()
    outcome = {"job_error": "error", "job_noop": "noop"}.get(fault or "", "ok")
    end = "Error" if outcome == "error" else final
    repeat = max(1, call.store.options.job_polls_per_state)
    return outcome, ["Importing"] * repeat + [end]


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
    elif entry.has("Name"):
        contact.name = entry.text("Name")
    if entry.has("IsExcludedFromCampaigns"):
        excluded = bool(entry.get("IsExcludedFromCampaigns"))
        if excluded != contact.is_excluded:
            contact.is_excluded = excluded
            contact.excluded_updated_at = stamp
    merge_data(account, contact.id, values)
    return contact, values


def _run(account: Account, job: BulkJob, stamp: str) -> None:
    payload = Fields(job.payload)
    seen: set[str] = set()
    actions: list[tuple[int, str]] = []
    if job.list_id:
        actions = [(job.list_id, payload.text("Action").lower())]
    else:
        actions = [
            (int(i.get("ListID")), i.text("Action").lower()) for i in payload.items("ContactsLists")
        ]
    for entry in payload.items("Contacts"):
        email = entry.text("Email").strip().lower()
        if email in seen:  # Mailjet de-duplicates; the last one does not count twice
            continue
        seen.add(email)
        job.count += 1
        try:
            contact, _ = _contact_changes(account, entry, stamp)
        except ValueError as problem:
            job.errors.append({"Email": entry.text("Email"), "Error": str(problem)})
            continue
        for list_id, action in actions:
            apply_action(account, contact, list_id, action, stamp)


def advance(account: Account, job: BulkJob, stamp: str) -> None:
    """Move a job one state on; do its work when it completes."""
    if not job.pending_states:
        return
    job.status = job.pending_states.pop(0)
    if job.status == "Completed":
        if job.outcome == "ok":
            _run(account, job, stamp)
        job.job_end = stamp
        if job.errors:
            job.error = f"{len(job.errors)} contact(s) could not be processed"
            job.error_file = error_file_path(job.id)
    elif job.status == "Error":
        job.job_end = stamp
        job.error = "The job failed; nothing was imported"
        job.errors = [{"Error": job.error}]
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
    outcome, states = plan_states(call)
    job = BulkJob(
        call.account.new_id(),
        list_id,
        call.fields.raw,
        pending_states=states,
        outcome=outcome,
        job_start=call.store.stamp(),
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
    advance(call.account, job, call.store.stamp())
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
