"""Sync's writes to Mailjet: a push carries out the journal of a run
(`mjdesk.core.sync.journal`), step by step, and verifies by reading Mailjet again.

- The consent properties are defined first (``/contactmetadata``) when Mailjet lacks them.
- Adds and updates go in ``managemanycontacts`` jobs with ``addnoforce`` (an existing
  member keeps their status: nobody unsubscribed is subscribed again), or, above
  `journal.CSV_THRESHOLD` of them, as one CSV import with Method ``addnoforce`` (upload,
  ``/csvimport``, polled; ``Errcount`` and its CSV error file read). Unsubscribes go in
  ``managemanycontacts`` jobs with ``unsub`` whatever their number: a withdrawal should
  take effect at once, and an import may wait in Mailjet's queue (mailjet-api.md §5).
  Erasures go one by one through ``DELETE /v4/contacts/{id}``. Jobs are polled with
  growing waits from half a second, and once seen moving when their pace says they end
  (`mjdesk.mailjet.bulk.wait_until_finished`); their ``Error``/``ErrorFile`` is read.
- A ``Completed`` job has proved nothing (mailjet-api.md §9.5): the last step re-reads the
  list (``/contact`` and ``/contactdata`` with ``ContactsList``, ``/listrecipient`` with
  ``ContactsList`` and ``Unsub``: documented filters only; four pages at a time,
  `mjdesk.mailjet.paging`) and only what it shows is recorded as synced; the rest is
  reported as not applied.
- Before a new run, members no pull has seen in Mailjet are looked up there
  (`mjdesk.mailjet.suppression`): whom Mailjet excludes, saw bounce or complain is
  blocked by the plan, not added.
- A write whose reply was lost (dropped connection, time-out, a 5xx) may have been
  applied: Mailjet is read again before deciding, and only what it lacks is sent again,
  as a step of its own. A 429 applies nothing: the write waits and goes again.
- A crash, a cancel (between steps) or the network leaves the run unfinished: the next
  push of the list resumes it from its first step not done.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from mjdesk.core.addresses import email_key
from mjdesk.core.changes import Changes
from mjdesk.core.clock import current_user
from mjdesk.core.sync import journal
from mjdesk.core.sync.consent_properties import DEFINITIONS
from mjdesk.core.sync.journal import Run, Seen, Step
from mjdesk.core.sync.plan import make_plan
from mjdesk.core.work import Cancelled, CancelToken, UserError
from mjdesk.core.workspace import Workspace
from mjdesk.mailjet.bulk import (
    BulkContact,
    CsvImportStatus,
    JobStatus,
    contacts_csv,
    csv_error_kinds,
    csv_import_errors,
    csv_import_of,
    csv_import_status,
    job_errors,
    job_status,
    share_done,
    start_csv_import,
    start_list_job,
    upload_csv,
    wait_until_finished,
)
from mjdesk.mailjet.client import MailjetClient
from mjdesk.mailjet.contacts import (
    Contact,
    ListAction,
    Membership,
    check_action,
    create_property,
    erase_contact,
    get_contact,
    list_properties,
)
from mjdesk.mailjet.errors import (
    InvalidRequest,
    MailjetError,
    NotFound,
    Offline,
    RateLimited,
    ServerError,
    Timeout,
)
from mjdesk.mailjet.paging import PARALLEL, Listing, read_all
from mjdesk.mailjet.suppression import check_unknown_members

log = logging.getLogger(__name__)

T = TypeVar("T")
S = TypeVar("S", JobStatus, CsvImportStatus)

LOST_REPLY = (Offline, Timeout, ServerError)
"""Errors after which a write may or may not have been applied."""

LOST_TWICE = 2
"""A step whose reply is lost this many times in one push stops it (to resume later)."""

READ_AGAIN = "read again"
"""Said of a step settled by reading Mailjet again (its outcome was unknown)."""

PHASES = {
    "define_properties": "Defining the consent properties",
    "add": "Adding and updating contacts",
    "update": "Adding and updating contacts",
    "unsubscribe": "Unsubscribing contacts",
    "erase": "Erasing contacts",
    "verify": "Verifying (pages read)",
}
"""Each kind of step's phase, as progress names it; a phase counts contacts (steps for the
properties, one contact per erasure, pages read for the verification)."""

PushProgress = Callable[[str, int, int], None]
"""Told the phase, how much of it is done and its total (in the units its name says):
when a step starts, as a job or the verification moves on, and when a step is finished
(the journal is committed by then)."""


@dataclass
class Pace:
    """How a push paces itself (tests shorten the waits)."""

    batch_size: int = journal.BATCH_SIZE
    csv_threshold: int = journal.CSV_THRESHOLD
    poll_interval: float = 0.5
    poll_growth: float = 1.5
    poll_max: float = 30.0
    job_limit: float = 3600.0
    settle_seconds: float = 10.0
    """How long to wait after a lost reply before reading Mailjet again (a job that did
    start may still be running)."""
    parallel_reads: int = PARALLEL
    """Requests in flight at once when Mailjet is read again to verify (1: one by one)."""
    sleep: Callable[[float], None] | None = None
    """Replaces the cancellable waits (tests move the sandbox's clock on instead)."""
    clock: Callable[[], float] = time.monotonic
    """What a job's pace is timed with (tests give the sandbox's clock, with ``sleep``)."""


@dataclass(frozen=True)
class PushResult:
    """A push finished (verified), cancelled, or with nothing to send."""

    list_name: str
    state: str
    """``done``, ``failed`` (some changes not applied), ``cancelled`` or ``nothing``."""
    resumed: bool
    message: str
    outcome: journal.Outcome | None = None
    notes: list[str] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)


def _units(kind: str, contacts: int) -> int:
    """What a step counts for in its phase's progress: its contacts (a job), one (an
    erasure, the properties), none (the verification counts its pages as it reads)."""
    if kind in journal.JOB_KINDS:
        return contacts
    return 0 if kind == "verify" else 1


class PushStopped(UserError):
    """Mailjet or the network stopped the push; it resumes where it stopped."""


def push_list(
    client: MailjetClient,
    workspace: Workspace,
    list_name: str,
    *,
    progress: PushProgress | None = None,
    cancel: CancelToken | None = None,
    pace: Pace | None = None,
    actor: str | None = None,
) -> PushResult:
    """Push the plan of ``list_name`` to Mailjet, or resume its unfinished push.

    ``progress`` (a `PushProgress`) is told each phase's counts as it goes. ``cancel``
    (the client's token unless given) stops the push between steps; the client's own
    token also stops a job's polling. Raises `PushStopped` when Mailjet or the network
    stops it (push again to resume)."""
    pace = pace or Pace()
    actor = actor or current_user()
    with workspace.reading() as con:
        local = con.execute("SELECT id FROM lists WHERE name = ?", (list_name,)).fetchone()
        fresh = local is not None and journal.unfinished_run(con, int(local[0])) is None
    if fresh:  # (people added here since the pull: Mailjet may block them)
        check_unknown_members(client, workspace, int(local[0]))
    with workspace.transaction() as con:
        plan = make_plan(con, list_name)
        run = journal.unfinished_run(con, plan.list_id)
        resumed = run is not None
        if run is None:
            run = journal.start_run(
                con,
                plan,
                actor=actor,
                batch_size=pace.batch_size,
                csv_threshold=pace.csv_threshold,
            )
        else:
            journal.set_run_state(con, run.id, "running")
    if run is None:
        return PushResult(plan.list_name, "nothing", False, plan.summary())
    pusher = _Pusher(client, workspace, run, pace, cancel or client.cancel, progress, actor)
    return pusher.go(resumed)


class _Pusher:
    def __init__(
        self,
        client: MailjetClient,
        workspace: Workspace,
        run: Run,
        pace: Pace,
        cancel: CancelToken,
        progress: PushProgress | None,
        actor: str,
    ) -> None:
        self.client = client
        self.workspace = workspace
        self.run = run
        self.pace = pace
        self.cancel = cancel
        self.progress = progress
        self.actor = actor
        self.notes: list[str] = []
        self.lost: dict[int, int] = {}
        self.resumed = False
        self.totals: dict[str, int] = {}
        """Each phase's size (`PHASES`), and how much of it is finished."""
        self.finished: dict[str, int] = {}

    def go(self, resumed: bool) -> PushResult:
        self.resumed = resumed
        if resumed:
            started = self.run.started_at.replace("T", " ")[:16]
            self.notes.append(f"resumed the push started {started} UTC")
        with self.workspace.reading() as con:
            for kind, finished, size in journal.step_sizes(con, self.run.id):
                self._count(kind, size, finished=finished)
        try:
            while True:
                self.cancel.check()
                with self.workspace.reading() as con:
                    step = journal.next_step(con, self.run.id)
                if step is None:  # (only when verified by another process meanwhile)
                    return PushResult(self.run.list_name, "done", resumed, "Already pushed.")
                phase = PHASES[step.kind]
                self._tell(phase)
                done = self._do(step)
                if done is not None:
                    return done
                with self.workspace.reading() as con:
                    if journal.step_finished(con, step):
                        self.finished[phase] += _units(step.kind, len(step.contacts))
                self._tell(phase)
        except Cancelled:
            so_far = self._so_far()
            with self.workspace.transaction() as con:
                journal.set_run_state(con, self.run.id, "cancelled", so_far)
            return PushResult(
                self.run.list_name,
                "cancelled",
                resumed,
                f"Push of “{self.run.list_name}” cancelled. {so_far} Push again to resume "
                "where it stopped.",
                notes=self.notes,
            )
        except MailjetError as error:
            log.info("push stopped: %s", type(error).__name__)
            raise PushStopped(
                f"The push of “{self.run.list_name}” stopped: {error.user_message} "
                f"{self._so_far()} Push again to resume where it stopped."
            ) from error

    # -- progress -------------------------------------------------------------------------------

    def _count(self, kind: str, size: int, *, finished: bool = False) -> None:
        """A step of the run counted in its phase's total (and as finished)."""
        phase = PHASES[kind]
        units = _units(kind, size)
        self.totals[phase] = self.totals.get(phase, 0) + units
        self.finished[phase] = self.finished.get(phase, 0) + (units if finished else 0)

    def _tell(self, phase: str, moving: int = 0, total: int | None = None) -> None:
        """Progress told the phase's finished steps' count (plus ``moving``: contacts a
        running job has processed, pages read) of its total."""
        if self.progress is not None:
            known = self.totals[phase] if total is None else total
            done = self.finished[phase] + moving
            self.progress(phase, min(known, done) if known else done, known)

    # -- the journal --------------------------------------------------------------------------

    def _mark(self, step: Step, state: str, **values: Any) -> None:
        with self.workspace.transaction() as con:
            journal.mark_step(con, step, state, **values)

    def _so_far(self) -> str:
        with self.workspace.reading() as con:
            steps = journal.run_steps(con, self.run.id)
        writes = [s for s in steps if s.kind != "verify"]
        finished = [s for s in writes if s.state in journal.FINISHED_STEPS]
        sent = sum(
            len(s.contacts)
            for s in finished
            if s.kind in journal.JOB_KINDS and READ_AGAIN not in s.result
        )
        erased = sum(1 for s in finished if s.kind == "erase" and s.state == "done")
        return (
            f"Done so far: {len(finished):,} of {len(writes):,} steps "
            f"({sent:,} contacts sent, {erased:,} erased); nothing is recorded as synced "
            "before Mailjet is read again."
        )

    def _do(self, step: Step) -> PushResult | None:
        if step.kind == "define_properties":
            self._define(step)
        elif step.kind in journal.JOB_KINDS:
            self._job(step)
        elif step.kind == "erase":
            self._erase(step)
        else:
            return self._verify(step)
        return None

    def _wait(self, seconds: float) -> None:
        if self.pace.sleep is not None:
            self.pace.sleep(seconds)
            self.cancel.check()
        else:
            self.cancel.wait(seconds)

    def _reply_lost(self, step: Step, error: MailjetError) -> None:
        """The write may have been applied: the step is read again before any resend."""
        self.lost[step.seq] = self.lost.get(step.seq, 0) + 1
        self._mark(step, "unknown", error=f"reply lost ({type(error).__name__})")
        if self.lost[step.seq] >= LOST_TWICE:
            raise error

    def _write(self, step: Step, call: Callable[[], T]) -> tuple[bool, T | None]:
        """Send one write for ``step``: marked ``sending`` first; a 429 (nothing applied)
        waits and goes again; a lost reply marks the step ``unknown``; a refusal
        ``failed``. Whether the write was answered, and its reply."""
        attempt = 0
        while True:
            self.cancel.check()
            self._mark(step, "sending")
            try:
                return True, call()
            except RateLimited:
                self._mark(step, "pending")
                if attempt >= self.client.retry.retries:
                    raise
                self._wait(self.client.retry.delay(attempt))
                attempt += 1
            except LOST_REPLY as error:
                self._reply_lost(step, error)
                return False, None
            except InvalidRequest as error:
                self._mark(step, "failed", error=error.message)
                return False, None

    # -- the steps ----------------------------------------------------------------------------

    def _define(self, step: Step) -> None:
        """Define the consent properties Mailjet lacks (read first, so a lost reply only
        means reading again)."""
        have = {p.name.lower() for p in list_properties(self.client)}
        missing = [(name, kind) for name, kind in DEFINITIONS if name.lower() not in have]
        for name, kind in missing:
            answered, _ = self._write(step, partial(create_property, self.client, name, kind))
            if not answered:
                return
        self._mark(
            step, "done", result=f"{len(missing)} defined" if missing else "all defined already"
        )

    def _job(self, step: Step) -> None:
        list_id = self.run.mailjet_list_id
        if step.by_csv:
            self._csv(step)
            return
        if step.state in ("sending", "unknown"):
            self._read_again(step)
            return
        job_id = step.job_id
        if step.state == "pending":
            action: ListAction = step.payload["action"]
            check_action(action)
            contacts = [
                BulkContact(str(c["email"]), properties=dict(c.get("properties") or {}))
                for c in step.contacts
            ]
            answered, job_id = self._write(
                step, lambda: start_list_job(self.client, list_id, action, contacts)
            )
            if not answered or job_id is None:
                return
            self._mark(step, "sent", job_id=job_id)
        assert job_id is not None
        ident = job_id
        status = self._poll(step, lambda: job_status(self.client, ident, list_id))
        self._job_finished(step, status, len(step.contacts))

    def _poll(self, step: Step, poll: Callable[[], S]) -> S:
        """Poll a step's job until it finishes, next when its pace says it should be done;
        progress is told the contacts it has processed so far."""
        rows = len(step.contacts)
        phase = PHASES[step.kind]

        def moving(status: S) -> None:
            if not status.finished:  # (the finished step is told once it is marked)
                self._tell(phase, int(share_done(status, rows) * rows))

        return wait_until_finished(
            self.client,
            poll,
            interval=self.pace.poll_interval,
            growth=self.pace.poll_growth,
            max_interval=self.pace.poll_max,
            limit=self.pace.job_limit,
            sleep=self.pace.sleep,
            clock=self.pace.clock,
            share=lambda status: share_done(status, rows),
            on_status=moving,
        )

    def _job_finished(self, step: Step, status: JobStatus, total: int) -> None:
        result = f"{status.status}: {status.count:,} of {total:,} processed"
        if not status.failed:
            self._mark(step, "done", result=result)
            return
        problems = [status.error] if status.error else []
        rows = []
        if status.error_file or status.status == "Error":
            rows = job_errors(self.client, status.job_id)
            kinds = sorted({str(row.get("Error") or "") for row in rows} - {""})
            problems.append(f"{len(rows):,} in its error file ({'; '.join(kinds[:3])})")
        error = "; ".join(problems)
        # Mailjet's words stay in the journal: they may name an address, and the note goes
        # into the activity entry.
        self.notes.append(
            f"a job ended {status.status} with {len(rows):,} "
            f"{'error' if len(rows) == 1 else 'errors'} listed (step {step.seq})"
        )
        self._mark(
            step, "failed" if status.status != "Completed" else "done", result=result, error=error
        )

    def _csv(self, step: Step) -> None:
        """Upload the step's contacts as CSV, import them with ``addnoforce``, poll the
        import. Each reply is recorded as it comes; a write whose reply was lost is settled
        before anything is sent again: an upload is simply made again (it changes nobody),
        an import's start is looked for in Mailjet and polled when found."""
        list_id = self.run.mailjet_list_id
        data_id = step.data_id
        import_id = step.job_id
        if import_id is None and data_id is not None and step.state in ("sending", "unknown"):
            self._wait(self.pace.settle_seconds)
            found = csv_import_of(self.client, data_id, list_id)
            why = "reply lost" if step.state == "unknown" else "cut short while sending"
            if found is not None:
                import_id = found.import_id
                self._mark(step, "sent", job_id=import_id)
                self.notes.append(
                    f"the CSV import's start: {why}; {READ_AGAIN}: it had started, polled "
                    f"rather than started again (step {step.seq})"
                )
            else:
                self.notes.append(
                    f"the CSV import's start: {why}; {READ_AGAIN}: it had not started, "
                    f"started now (step {step.seq})"
                )
        if import_id is None:
            if data_id is None:
                if step.state in ("sending", "unknown"):
                    self.notes.append(
                        f"the CSV upload's reply was lost; uploaded again (it changes nobody; "
                        f"step {step.seq})"
                    )
                text = contacts_csv(
                    [
                        BulkContact(str(c["email"]), properties=dict(c.get("properties") or {}))
                        for c in step.contacts
                    ]
                )
                answered, data_id = self._write(
                    step, lambda: upload_csv(self.client, list_id, text)
                )
                if not answered or data_id is None:
                    return
                with self.workspace.transaction() as con:
                    journal.record_upload(con, step, data_id)
            if step.payload["action"] != "addnoforce":
                raise ValueError("a CSV import is only ever sent as addnoforce")
            uploaded = data_id
            answered, started = self._write(
                step,
                lambda: start_csv_import(self.client, uploaded, "addnoforce", list_id=list_id),
            )
            if not answered or started is None:
                return
            import_id = started.import_id
            self._mark(step, "sent", job_id=import_id)
        ident = import_id
        status = self._poll(step, lambda: csv_import_status(self.client, ident))
        self._import_finished(step, status)

    def _import_finished(self, step: Step, status: CsvImportStatus) -> None:
        result = (
            f"{status.status}: {status.current:,} of {status.count:,} rows imported, "
            f"{status.errcount:,} in error"
        )
        if status.status == "Completed" and not status.errcount:
            self._mark(step, "done", result=result)
            return
        kinds = (
            csv_error_kinds(csv_import_errors(self.client, status.import_id))
            if status.errcount or status.status == "Error"
            else []
        )
        # The kinds only (an error row names its address): they go into the activity entry.
        counted = sorted(set(kinds))
        rows = "row" if len(kinds) == 1 else "rows"
        error = f"{len(kinds):,} {rows} in its error file ({'; '.join(counted[:3])})"
        if status.status != "Completed":
            error = f"the import ended {status.status}; {error}"
        self.notes.append(
            f"the CSV import ended {status.status} with {len(kinds):,} "
            f"{'error' if len(kinds) == 1 else 'errors'} listed (step {step.seq})"
        )
        self._mark(
            step, "failed" if status.status != "Completed" else "done", result=result, error=error
        )

    def _read_again(self, step: Step) -> None:
        """Settle a job step whose request may have been applied: read Mailjet, and send
        again (as a step of its own) only the contacts it does not show changed."""
        self._wait(self.pace.settle_seconds)
        wanted = {int(c["id"]): c for c in step.contacts}
        seen = self._observe(
            (str(c["email"]) for c in step.contacts), properties=step.kind != "unsubscribe"
        )
        check = journal.compare(wanted, seen)
        missing = [wanted[ident] for ident in check.not_applied]
        applied = len(wanted) - len(missing)
        why = "Reply lost" if step.state == "unknown" else "Cut short while sending"
        with self.workspace.transaction() as con:
            if missing:
                seq = journal.add_step(
                    con, self.run.id, step.kind, {**step.payload, "contacts": missing}
                )
                self._count(step.kind, len(missing))
                text = (
                    f"{why}; {READ_AGAIN}: {applied:,} of {len(wanted):,} applied, the "
                    f"other {len(missing):,} sent again (step {seq})"
                )
            else:
                text = f"{why}; {READ_AGAIN}: all {len(wanted):,} applied, nothing sent again"
            journal.mark_step(con, step, "done", result=text)
        self.notes.append(text[0].lower() + text[1:])

    def _erase(self, step: Step) -> None:
        mailjet_id = int(step.payload["mailjet_id"])
        if step.state in ("sending", "unknown"):
            self._wait(self.pace.settle_seconds)
            if self._anonymised(mailjet_id):
                self._erased(step, mailjet_id, f"{READ_AGAIN}: anonymised, not sent again")
                self.notes.append("an erasure's reply was lost; Mailjet read again: done")
                return
        try:
            answered, _ = self._write(step, lambda: erase_contact(self.client, mailjet_id))
        except NotFound:
            answered = True  # (deleted for good already)
        if answered:
            self._erased(step, mailjet_id, "anonymised")

    def _anonymised(self, mailjet_id: int) -> bool:
        try:
            return get_contact(self.client, mailjet_id).is_anonymized
        except NotFound:
            return True

    def _erased(self, step: Step, mailjet_id: int, result: str) -> None:
        with self.workspace.transaction() as con:
            journal.mark_step(con, step, "done", result=result)
            journal.erasure_done(con, mailjet_id)

    def _verify(self, step: Step) -> PushResult:
        with self.workspace.reading() as con:
            steps = journal.run_steps(con, self.run.id)
        wanted = journal.expected_changes(steps)
        seen = (
            self._observe(
                (str(c["email"]) for c in wanted.values()),
                properties=any(c["action"] != "unsubscribe" for c in wanted.values()),
                progress=lambda pages, known: self._tell(PHASES["verify"], pages, known),
            )
            if wanted
            else {}
        )
        check = journal.compare(wanted, seen)
        with self.workspace.transaction() as con:
            outcome = journal.record_outcome(
                con, self.run, steps, check, actor=self.actor, notes=self.notes
            )
            journal.mark_step(con, step, "done", result=outcome.summary)
        message = outcome.summary
        if outcome.state == "failed":
            message += (
                " Mailjet was read again and does not show every change: push again (after "
                "a pull) to send what is missing."
            )
        return PushResult(
            self.run.list_name,
            outcome.state,
            self.resumed,
            message,
            outcome,
            self.notes,
            Changes(lists=True, activity=True, flags=True),
        )

    # -- reading Mailjet again ----------------------------------------------------------------

    def _observe(
        self,
        emails: Iterable[str],
        *,
        properties: bool,
        progress: Callable[[int, int], None] | None = None,
    ) -> dict[str, Seen]:
        """The list as Mailjet holds it now, for these addresses (by address key): its
        contacts, its unsubscribed memberships and (``properties``) its contacts' values,
        read with up to ``pace.parallel_reads`` requests at once (``progress`` is told the
        pages read and how many there are, 0 while not known)."""
        list_id = self.run.mailjet_list_id
        keys = {email_key(e) for e in emails}
        listings = [
            Listing("contact", {"ContactsList": list_id}),
            Listing("listrecipient", {"ContactsList": list_id, "Unsub": "true"}),
        ]
        if properties:
            listings.append(Listing("contactdata", {"ContactsList": list_id}))
        if self.pace.parallel_reads > 1:
            read = read_all(
                self.client, listings, parallel=self.pace.parallel_reads, progress=progress
            )
        else:
            read, pages = [], 0  # (one by one: how many pages there are is not known)

            def paged(_rows: int) -> None:
                nonlocal pages
                pages += 1
                if progress is not None:
                    progress(pages, 0)

            for listing in listings:
                rows = self.client.get_all(
                    listing.resource, filters=listing.filters, progress=paged
                )
                read.append(list(rows))
        contacts = [
            contact
            for contact in map(Contact.from_api, read[0])
            if email_key(contact.email) in keys
        ]
        unsubscribed = {
            m.contact_id for m in map(Membership.from_api, read[1]) if m.is_unsubscribed
        }
        values: dict[int, dict[str, object]] = {}
        if properties and contacts:
            ids = {c.id for c in contacts}
            for row in read[2]:
                ident = int(row.get("ContactID") or row.get("ID") or 0)
                if ident in ids:
                    values[ident] = {str(i["Name"]): i.get("Value") for i in row.get("Data", [])}
        return {
            email_key(c.email): Seen(
                c.id,
                c.email,
                "unsubscribed" if c.id in unsubscribed else "subscribed",
                values.get(c.id) if properties else None,
                c.last_update_at,
                c.is_excluded,
                c.is_spam_complaining,
            )
            for c in contacts
        }
