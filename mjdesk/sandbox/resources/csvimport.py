"""The CSV import flow: upload (``CSVData``), ``/csvimport`` jobs, and the ``CSVError`` file.

The header row holds property names and ``email`` is the key; unknown columns become properties
(a ``name`` column too: it is not the contact's Name); duplicate addresses are error rows.

An import runs on the store's clock like a ``managemanycontacts`` job (resources/jobs.py):
``Upload``, then ``Prepare``, then ``Importing`` with ``Current`` and ``Errcount`` growing as rows
are applied, then ``Completed`` (or ``Error``), whether or not anyone polls.
"""

from __future__ import annotations

import csv
import io
import json

from mjdesk.sandbox.protocol import (
    ApiFailure,
    JsonObject,
    Reply,
    bad_request,
    created,
    json_reply,
    not_found,
    not_modified,
    ok,
    page,
    value_as_int,
)
from mjdesk.sandbox.resources.jobs import (
    FINISHED,
    QUEUED_SHARE,
    elapsed_share,
    job_outcome,
    moment,
    rows_due,
)
from mjdesk.sandbox.resources.lists import apply_action, find_list_or_404, valid_email
from mjdesk.sandbox.resources.properties import PropertyProblem, coerce, define_property, merge_data
from mjdesk.sandbox.routing import Call, Route
from mjdesk.sandbox.store import Account, Contact, CsvImport, CsvUpload, Json

METHODS = ("addforce", "addnoforce", "remove", "unsub", "excludemarketing", "includemarketing")
GLOBAL_METHODS = ("excludemarketing", "includemarketing")


def _upload(call: Call) -> Reply:
    item = find_list_or_404(call.account, call.arg("id"))
    kind = call.content_type.split(";")[0].strip()
    if kind != "text/plain":
        raise bad_request(
            f'Data Content type "{kind}" does not match URL content type "text/plain"'
        )
    upload = CsvUpload(call.account.new_id(), item.id, call.body.decode("utf-8-sig", "replace"))
    call.account.csv_uploads[upload.id] = upload
    return json_reply(200, {"ID": upload.id})  # bare, no envelope (mailjet-api.md §5)


def _upload_without_list(call: Call) -> Reply:
    kind = call.content_type.split(";")[0].strip()
    raise bad_request(f'Data Content type "{kind}" does not match URL content type ""')


def import_json(job: CsvImport) -> JsonObject:
    """An import job as ``/csvimport`` shows it."""
    return {
        "ID": job.id,
        "ContactsListID": job.list_id,
        "DataID": job.data_id,
        "Method": job.method,
        "Status": job.status,
        "Count": job.count,
        "Current": job.current,
        "Errcount": job.errcount,
        "ErrTreshold": job.err_threshold,
        "ImportOptions": job.import_options,
        "JobStart": job.job_start,
        "JobEnd": job.job_end,
        "RequestAt": job.request_at,
        "AliveAt": job.alive_at,
    }


def _create(call: Call) -> Reply:
    account = call.account
    fields = call.fields
    method = fields.text("Method").lower()
    if method not in METHODS:
        raise bad_request(f'Invalid Method "{fields.text("Method")}"')
    list_id = value_as_int(fields.get("ContactsListID") or 0, "ContactsListID")
    if method in GLOBAL_METHODS and list_id:
        raise bad_request(
            "MJ08 ContactsListID must not be given with a method that changes a global status"
        )
    if method not in GLOBAL_METHODS:
        find_list_or_404(account, str(list_id))
    data_id = value_as_int(fields.get("DataID") or 0, "DataID")
    upload = account.csv_uploads.get(data_id)
    if upload is None:
        raise bad_request(f'Invalid DataID "{data_id}"')
    options = fields.get("ImportOptions") or ""
    if not isinstance(options, str):
        raise bad_request("ImportOptions must be a JSON string")
    stamp = call.store.stamp()
    job = CsvImport(
        account.new_id(),
        list_id,
        data_id,
        method,
        err_threshold=value_as_int(fields.get("ErrTreshold", 1), "ErrTreshold"),
        import_options=options,
        outcome=job_outcome(call),
        job_start=stamp,
        request_at=stamp,
        alive_at=stamp,
        started=call.store.seconds(),
    )
    names, rows = _rows(job, upload.text)
    job.header, job.count = names, len(rows)
    job.seconds = call.store.options.job_duration(len(rows))
    account.csv_imports[job.id] = job
    return created(import_json(job))


def _rows(job: CsvImport, text: str) -> tuple[list[str], list[list[str]]]:
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    names: list[str] = []
    if job.import_options:
        try:
            options = json.loads(job.import_options)
        except ValueError:
            options = {}
        if isinstance(options, dict) and isinstance(options.get("FieldNames"), list):
            names = [str(name) for name in options["FieldNames"]]
    if not names:
        if not rows:
            return [], []
        names, rows = [cell.strip() for cell in rows[0]], rows[1:]
    return names, rows


def _import_row(
    account: Account, job: CsvImport, row: list[str], seen: set[str], stamp: str
) -> None:
    lowered = [name.lower() for name in job.header]
    if "email" not in lowered:
        job.error_rows.append([*row, "###No email column###"])
        return
    email_at = lowered.index("email")
    email = row[email_at].strip() if email_at < len(row) else ""
    if not valid_email(email):
        job.error_rows.append([*row, f"###Invalid email###{email}"])
        return
    if email.lower() in seen:
        job.error_rows.append([*row, f"###Duplicated email###{email}"])
        return
    seen.add(email.lower())
    values: dict[str, Json] = {}
    try:
        for index, name in enumerate(job.header):
            if index != email_at and index < len(row) and row[index] != "":
                definition = account.property_named(name)
                assert definition is not None
                values[definition.name] = coerce(definition, row[index])
    except PropertyProblem:
        job.error_rows.append([*row, f"###Invalid value###{email}"])
        return
    contact = account.find_contact(email)
    if contact is None:
        if job.method == "remove":
            return
        contact = Contact(account.new_id(), email, "", stamp, last_update_at=stamp)
        account.add_contact(contact)
    # A change of its properties moves the contact's LastUpdateAt, as a bulk job's does here
    # (resources/jobs.py; UNCONFIRMED for Mailjet's imports as for its jobs).
    if merge_data(account, contact.id, values):
        contact.last_update_at = stamp
    if job.method in GLOBAL_METHODS:
        excluded = job.method == "excludemarketing"
        if contact.is_excluded != excluded:
            contact.is_excluded = excluded
            contact.excluded_updated_at = stamp
    else:
        apply_action(account, contact, job.list_id, job.method, stamp)


def _define_columns(account: Account, job: CsvImport) -> None:
    # Unknown columns become properties (as text) when the import starts.
    for name in job.header:
        if name.lower() != "email" and account.property_named(name) is None:
            define_property(account, name, "str", "static")


def settle_import(account: Account, job: CsvImport, now: float) -> None:
    """Bring an import to where its clock says it is, applying the rows that are due."""
    if job.status in FINISHED:
        return
    share = elapsed_share(job.started, job.seconds, now)
    stamp = moment(min(now, job.started + job.seconds))
    job.alive_at = stamp
    if share <= QUEUED_SHARE / 2:
        job.status = "Upload"
    elif share <= QUEUED_SHARE:
        job.status = "Prepare"
    else:
        job.status = "Importing"
    if job.outcome == "error":
        if share >= 1.0:
            job.status, job.job_end = "Error", stamp
        return
    due = rows_due(share, job.count)
    if due > job.current:
        _, rows = _rows(job, account.csv_uploads[job.data_id].text)
        if job.current == 0 and job.outcome == "ok":
            _define_columns(account, job)
        seen = _seen_before(job, rows)
        while job.current < due:
            row = rows[job.current]
            job.current += 1
            if job.outcome == "ok":
                _import_row(account, job, row, seen, stamp)
        job.errcount = len(job.error_rows)
    if share >= 1.0:
        job.status, job.job_end = "Completed", stamp


def _seen_before(job: CsvImport, rows: list[list[str]]) -> set[str]:
    # The addresses already imported: the rows before ``current`` that were not error rows.
    lowered = [name.lower() for name in job.header]
    if "email" not in lowered:
        return set()
    at = lowered.index("email")
    rejected = {tuple(row[:-1]) for row in job.error_rows}
    return {
        row[at].strip().lower()
        for row in rows[: job.current]
        if at < len(row) and tuple(row) not in rejected
    }


def _find(call: Call) -> CsvImport:
    key = call.arg("id")
    job = call.account.csv_imports.get(int(key)) if key.isdigit() else None
    if job is None:
        raise not_found()
    return job


def _poll(call: Call) -> Reply:
    return ok(import_json(_find(call)))


def _list(call: Call) -> Reply:
    call.params.accept_only("csvimport", ())
    return page([import_json(job) for job in call.account.csv_imports.values()], call.params)


def _update(call: Call) -> Reply:
    job = _find(call)
    status = call.fields.text("Status")
    if status.lower() != "abort":
        raise bad_request("Only Status Abort can be set")
    if job.status in ("Completed", "Error", "Abort"):
        return not_modified()
    job.status = "Abort"
    job.job_end = call.store.stamp()
    return ok(import_json(job))


def _csv_errors(call: Call) -> Reply:
    key = call.arg("id")
    job = call.account.csv_imports.get(int(key)) if key.isdigit() else None
    if job is None:
        raise ApiFailure(404, "Object not found")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*job.header, "error"])
    writer.writerows(job.error_rows)
    return Reply(200, out.getvalue().encode("utf-8"), "text/csv")


ROUTES = [
    Route("POST", "v3/DATA/contactslist/CSVData/{kind}", _upload_without_list),
    Route("POST", "v3/DATA/contactslist/{id}/CSVData/text:plain", _upload),
    Route("GET", "v3/REST/csvimport", _list),
    Route("POST", "v3/REST/csvimport", _create),
    Route("GET", "v3/REST/csvimport/{id}", _poll),
    Route("PUT", "v3/REST/csvimport/{id}", _update),
    Route("GET", "v3/DATA/batchjob/{id}/CSVError/text:csv", _csv_errors),
]
