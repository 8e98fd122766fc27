"""Bulk changes: the ``managemanycontacts`` jobs and the CSV import flow, with polling.

A job that says ``Completed`` has not proved anything (mailjet-api.md §9.5): check ``failed`` and
the error file, then re-read the memberships.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from mjdesk.mailjet.contacts import ListAction, check_action
from mjdesk.mailjet.errors import UnexpectedReply
from mjdesk.mailjet.replies import JsonObject, first_row

if TYPE_CHECKING:
    from mjdesk.mailjet.client import MailjetClient

ImportMethod = Literal["addnoforce", "unsub", "remove", "excludemarketing", "includemarketing"]
FINISHED = frozenset({"Completed", "Error", "Abort"})


@dataclass(frozen=True)
class BulkContact:
    """One contact in a bulk job."""

    email: str
    name: str | None = None
    excluded: bool | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)

    def to_api(self) -> JsonObject:
        """The job payload's form."""
        row: JsonObject = {"Email": self.email}
        if self.name is not None:
            row["Name"] = self.name
        if self.excluded is not None:
            row["IsExcludedFromCampaigns"] = self.excluded
        if self.properties:
            row["Properties"] = dict(self.properties)
        return row


@dataclass(frozen=True)
class JobStatus:
    """A ``managemanycontacts`` job's state; unknown statuses count as still running."""

    job_id: int
    status: str
    count: int
    error: str
    error_file: str

    @property
    def finished(self) -> bool:
        """Whether the job has stopped (well or not)."""
        return self.status in FINISHED

    @property
    def failed(self) -> bool:
        """Whether it ended in error, or reported errors."""
        return self.status in ("Error", "Abort") or bool(self.error or self.error_file)


@dataclass(frozen=True)
class CsvImportStatus:
    """A ``/csvimport`` job's state."""

    import_id: int
    status: str
    count: int
    current: int
    errcount: int
    method: str

    @property
    def finished(self) -> bool:
        """Whether the import has stopped (well or not)."""
        return self.status in FINISHED

    @classmethod
    def from_api(cls, row: JsonObject) -> CsvImportStatus:
        """From a ``/csvimport`` row."""
        return cls(
            int(row["ID"]),
            str(row.get("Status", "")),
            int(row.get("Count") or 0),
            int(row.get("Current") or 0),
            int(row.get("Errcount") or 0),
            str(row.get("Method", "")),
        )


def start_contacts_job(
    client: MailjetClient,
    contacts: Sequence[BulkContact],
    lists: Sequence[tuple[int, ListAction]] = (),
) -> int:
    """``POST /contact/managemanycontacts`` (not retried); the job ID."""
    for _, action in lists:
        check_action(action)
    body: JsonObject = {"Contacts": [c.to_api() for c in contacts]}
    if lists:
        body["ContactsLists"] = [{"ListID": list_id, "Action": a} for list_id, a in lists]
    return int(first_row(client.create("contact_managemanycontacts", body))["JobID"])


def start_list_job(
    client: MailjetClient, list_id: int, action: ListAction, contacts: Sequence[BulkContact]
) -> int:
    """``POST /contactslist/{id}/managemanycontacts`` (not retried); the job ID."""
    check_action(action)
    body = {"Action": action, "Contacts": [c.to_api() for c in contacts]}
    return int(
        first_row(client.create("contactslist_managemanycontacts", body, id=list_id))["JobID"]
    )


def job_status(client: MailjetClient, job_id: int, list_id: int | None = None) -> JobStatus:
    """Poll a job (give ``list_id`` for one started on a list)."""
    if list_id is None:
        row = client.get_one("contact_managemanycontacts", job_id)
    else:
        row = client.get_one("contactslist_managemanycontacts", list_id, action_id=job_id)
    return JobStatus(
        job_id,
        str(row.get("Status", "")),
        int(row.get("Count") or 0),
        str(row.get("Error") or ""),
        str(row.get("ErrorFile") or ""),
    )


def job_errors(client: MailjetClient, job_id: int) -> list[JsonObject]:
    """A job's error file (``DATA/batchjob/{id}/JSONError/application:json/LAST``)."""
    response = client.raw("GET", f"v3/DATA/batchjob/{int(job_id)}/JSONError/application:json/LAST")
    try:
        body = response.json()
    except ValueError as error:
        raise UnexpectedReply("The job's error file was not JSON") from error
    if isinstance(body, dict):
        body = body.get("Data", [body])
    if not isinstance(body, list):
        raise UnexpectedReply("The job's error file was not a list")
    return [item for item in body if isinstance(item, dict)]


def contacts_csv(contacts: Sequence[BulkContact]) -> str:
    """Contacts as the CSV an import reads: a header of ``email`` and the property names
    (all, in a fixed order), one row per address (the first of a repeated address: Mailjet
    rejects a repeat as an error row). Values go as the text they are: the file is read by
    Mailjet, not a spreadsheet, and must give back exactly what was sent."""
    names = sorted({name for c in contacts for name in c.properties}, key=str.lower)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["email", *names])
    seen: set[str] = set()
    for contact in contacts:
        key = contact.email.strip().lower()
        if key in seen:
            continue
        seen.add(key)
        values = contact.properties
        writer.writerow(
            [contact.email, *("" if values.get(n) is None else values[n] for n in names)]
        )
    return out.getvalue()


def upload_csv(client: MailjetClient, list_id: int, text: str) -> int:
    """Upload CSV text for a list; the data ID (the reply is a bare ``{"ID"}``)."""
    body = client.create("contactslist_csvdata", text.encode("utf-8"), id=list_id)
    if not isinstance(body, dict) or "ID" not in body:
        raise UnexpectedReply("The CSV upload's reply had no ID")
    return int(body["ID"])


def start_csv_import(
    client: MailjetClient,
    data_id: int,
    method: ImportMethod,
    *,
    list_id: int | None = None,
    err_threshold: int | None = None,
    import_options: Mapping[str, Any] | None = None,
) -> CsvImportStatus:
    """Start importing uploaded CSV (``list_id`` must be None for the two global methods)."""
    if method not in ("addnoforce", "unsub", "remove", "excludemarketing", "includemarketing"):
        raise ValueError(f"import method {method!r} is not allowed (never addforce)")
    body: JsonObject = {"DataID": data_id, "Method": method}
    if list_id is not None:
        body["ContactsListID"] = list_id
    if err_threshold is not None:
        body["ErrTreshold"] = err_threshold  # Mailjet's spelling
    if import_options:
        body["ImportOptions"] = json.dumps(dict(import_options))  # a JSON string, not an object
    return CsvImportStatus.from_api(first_row(client.create("csvimport", body)))


def csv_import_status(client: MailjetClient, import_id: int) -> CsvImportStatus:
    """Poll an import."""
    return CsvImportStatus.from_api(client.get_one("csvimport", import_id))


def csv_import_of(client: MailjetClient, data_id: int, list_id: int) -> CsvImportStatus | None:
    """The import started from an upload, if any: how to tell, after a lost reply, whether
    the import was started (``/csvimport`` documents no filter, so every page is read)."""
    for row in client.get_all("csvimport"):
        if (
            int(row.get("DataID") or 0) == data_id
            and int(row.get("ContactsListID") or 0) == list_id
        ):
            return CsvImportStatus.from_api(row)
    return None


def abort_csv_import(client: MailjetClient, import_id: int) -> None:
    """Ask Mailjet to abort an import."""
    client.update("csvimport", import_id, {"Status": "Abort"})


def csv_import_errors(client: MailjetClient, import_id: int) -> str:
    """The rejected rows with an ``error`` column, as CSV text."""
    response = client.raw("GET", f"v3/DATA/BatchJob/{int(import_id)}/CSVError/text:csv")
    return str(response.text)


def csv_error_kinds(text: str) -> list[str]:
    """What went wrong in each row of a CSV error file, without the row: the kind of an
    ``error`` cell like ``###Duplicated email###ann@example.org`` (``Duplicated email``),
    so it can be kept where an address may not."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return []
    header = [cell.strip().lower() for cell in rows[0]]
    at = header.index("error") if "error" in header else len(header) - 1
    kinds = []
    for row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        cell = row[at] if at < len(row) else ""
        parts = cell.split("###")
        kinds.append(parts[1] if len(parts) > 2 else "unknown error")
    return kinds


S = TypeVar("S", JobStatus, CsvImportStatus)

SOONEST = 0.25
"""The shortest wait between two polls, however close the job seems to its end."""
MARGIN = 1.1
"""A job's time left, as its pace so far forecasts it, is waited this much longer: a poll a
little late costs only that, one a little early costs a request and another wait."""


def share_done(status: JobStatus | CsvImportStatus, rows: int) -> float:
    """How far through its rows a running job is (0 to 1): ``Current`` of ``Count`` for an
    import, ``Count`` (processed so far) of the ``rows`` sent for a ``managemanycontacts``
    job."""
    if isinstance(status, CsvImportStatus):
        done, total = status.current, status.count or rows
    else:
        done, total = status.count, rows
    return 1.0 if status.finished else min(1.0, done / total) if total > 0 else 0.0


def wait_until_finished(
    client: MailjetClient,
    poll: Callable[[], S],
    *,
    interval: float = 2.0,
    limit: float = 3600.0,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    growth: float = 1.0,
    max_interval: float = 60.0,
    share: Callable[[S], float] | None = None,
    on_status: Callable[[S], None] | None = None,
) -> S:
    """Poll until the job finishes, honouring the client's cancel token between polls; with
    ``growth`` above 1 each wait is that much longer than the last (up to ``max_interval``),
    so a long job is not polled needlessly often.

    With ``share`` (how far through its work a status says the job is), a job seen moving
    at two polls in a row is next polled when its pace between them says it will be done
    (a queued job, one just started or not moving goes on with the growing waits: the
    time before it moved says nothing of its pace): a job of a few seconds is polled
    about when it ends, not a growing wait later, and a long one a few times, not every
    ``max_interval``.
    ``on_status`` is told each status polled (progress)."""
    started = clock()
    last = (started, 0.0)  # (when it was asked, share) of the last poll
    while True:
        client.cancel.check()
        asked = clock()  # (what a status says is as of when it was asked, not answered)
        status = poll()
        if on_status is not None:
            on_status(status)
        if status.finished:
            return status
        now = clock()
        if now - started > limit:
            raise UnexpectedReply(f"The job was still {status.status} after {limit:.0f} s")
        since, before = last
        done = share(status) if share is not None else 0.0
        last = (asked, done)
        if before > 0.0 and done > before and asked > since:
            left = (1.0 - done) * (asked - since) / (done - before)
            wait = min(max_interval, max(SOONEST, asked + left * MARGIN - now))
        else:
            wait = interval
            if growth > 1.0:
                interval = min(max_interval, interval * growth)
        if sleep is None:
            client.cancel.wait(wait)
        else:
            sleep(wait)
