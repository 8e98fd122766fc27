"""The journal of a push, and what a verified push leaves in the workspace (no network:
`mjdesk.mailjet.pushing` makes the calls).

A plan becomes a run of steps, all written before the first request goes: the consent
properties to define, batches of adds and updates (sent as ``addnoforce``, the only action
that never subscribes an unsubscribed member again) or, above `CSV_THRESHOLD` of them, one
CSV import of them all (Method ``addnoforce`` too), batches of unsubscribes (``unsub``),
one step per erasure (v4), and a last step that reads Mailjet again to verify. Each step
is marked ``sending`` before its request, ``sent`` with its job id when Mailjet answers,
``done`` (or ``failed``) when its outcome is known; a step found ``sending`` or
``unknown`` (its reply lost) is settled by reading Mailjet again before anything is sent
again. A run cut short (crash, cancel, network) is resumed from its first step not done.

A CSV step is an add (or update) step whose payload says ``"route": "csv"``. It takes two
writes, so it records what each one's reply gave as it comes back: the upload's data id
in the payload (`record_upload`, the step back to ``pending``), the import's id as its job
id (``sent``). Resumed, a step ``sending`` or ``unknown`` with no data id uploads again (an
upload changes nobody); with a data id, it looks for the import of that upload in Mailjet
and polls it, starting one only when there is none.

Only what the verification read confirms is recorded as synced: one activity entry per
push, the memberships' Mailjet state, the erasures done.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mjdesk.core.addresses import email_key
from mjdesk.core.clock import now_iso
from mjdesk.core.flags import flags_outdated, refresh_sync_flags
from mjdesk.core.journal import record_activity
from mjdesk.core.sync.plan import Action, Plan, PlanRow

BATCH_SIZE = 1000
"""Contacts per ``managemanycontacts`` job (Mailjet documents no maximum; 1,000 is well
under the sizes reported to fail)."""

CSV_THRESHOLD = 5000
"""Above this many adds and updates in one push, they go as one CSV import instead of
batches. Measured against the sandbox with 50 ms a response (``python
tests/bench/bench_sync_push.py --crossover``: jobs and imports at the sandbox's default
pace, polled at once, after 0.5 s with waits growing by half, and once a job is seen
moving when its pace says it ends), writes + polls and seconds:

    contacts   batches of 1,000        one CSV import
     1,000        1 + 3,    1.5 s        2 + 3,   1.6 s
     2,000        2 + 6,    3.1 s        2 + 3,   1.6 s
     5,000        5 + 15,   7.8 s        2 + 3,   1.9 s
    10,000       10 + 30,  15.3 s        2 + 3,   1.9 s
    20,000       20 + 60,  31.1 s        2 + 4,   3.0 s

(Polled from 2 s with growing waits, as before, a batch took 2.2 s and 2 polls, an
import of 20,000 2.9 s.) So the import wins from about 2,000 contacts. The threshold is
set higher, at five batches, because below it the batches are worth their cost: Mailjet
processes them at once while an import may queue (mailjet-api.md §5: "a run can take
hours"; its real pace is UNCONFIRMED), a crash costs a batch of 1,000 read again rather
than the whole import, and their error file names each contact's problem."""

ROUTE_CSV = "csv"
"""The payload's ``route`` of an add or update step sent as one CSV import."""

JOB_KINDS = ("add", "update", "unsubscribe")
FINISHED_STEPS = ("done", "failed")
UNFINISHED_RUNS = ("running", "cancelled")


@dataclass(frozen=True)
class Run:
    """One push of one list."""

    id: int
    list_id: int
    mailjet_list_id: int
    list_name: str
    started_at: str
    state: str


@dataclass(frozen=True)
class Step:
    """One step of a run; ``payload`` is what it sends (or reads)."""

    run_id: int
    seq: int
    kind: str
    payload: dict[str, Any]
    state: str
    job_id: int | None
    result: str
    error: str

    @property
    def contacts(self) -> list[dict[str, Any]]:
        """The contacts of a job step: ``id``, ``email``, ``action``, ``properties``."""
        return list(self.payload.get("contacts", []))

    @property
    def by_csv(self) -> bool:
        """Whether this step's contacts go as one CSV import (not a ``managemanycontacts``
        job)."""
        return self.payload.get("route") == ROUTE_CSV

    @property
    def data_id(self) -> int | None:
        """A CSV step's uploaded data, once Mailjet has said its id."""
        value = self.payload.get("data_id")
        return None if value is None else int(value)


def unfinished_run(con: sqlite3.Connection, list_id: int) -> Run | None:
    """The run of this list that a crash, a cancel or the network left unfinished."""
    row = con.execute(
        "SELECT r.id, r.list_id, r.mailjet_list_id, l.name, r.started_at, r.state "
        "FROM sync_runs r JOIN lists l ON l.id = r.list_id "
        "WHERE r.list_id = ? AND r.state IN ('running', 'cancelled')",
        (list_id,),
    ).fetchone()
    return None if row is None else Run(*row)


def _contact(row: PlanRow) -> dict[str, Any]:
    return {
        "id": row.contact_id,
        "email": row.email,
        "action": row.action.stored,
        "properties": dict(row.properties),
    }


def _batches(rows: list[PlanRow], size: int) -> Iterable[list[PlanRow]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def start_run(
    con: sqlite3.Connection,
    plan: Plan,
    *,
    actor: str,
    batch_size: int = BATCH_SIZE,
    csv_threshold: int = CSV_THRESHOLD,
) -> Run | None:
    """Write the run and all its steps (pending) for ``plan``; None when the plan sends
    nothing (no run is made, so no request goes). More than ``csv_threshold`` adds and
    updates go as one CSV step."""
    if not plan.writes:
        return None
    now = now_iso()
    run_id = int(
        con.execute(
            "INSERT INTO sync_runs (list_id, mailjet_list_id, actor, started_at) "
            "VALUES (?, ?, ?, ?)",
            (plan.list_id, plan.mailjet_list_id, actor, now),
        ).lastrowid
        or 0
    )
    writes = [r for r in plan.rows if r.action in (Action.ADD, Action.UPDATE)]
    unsubscribes = [r for r in plan.rows if r.action is Action.UNSUBSCRIBE]
    steps: list[tuple[str, dict[str, Any]]] = []
    if writes or any(r.properties for r in unsubscribes):
        steps.append(("define_properties", {}))
    by_csv = len(writes) > csv_threshold
    for batch in _batches(writes, len(writes) if by_csv else batch_size):
        kind = "add" if any(r.action is Action.ADD for r in batch) else "update"
        payload: dict[str, Any] = {"action": "addnoforce"}
        if by_csv:
            payload["route"] = ROUTE_CSV
        payload["contacts"] = [_contact(r) for r in batch]
        steps.append((kind, payload))
    for batch in _batches(unsubscribes, batch_size):
        steps.append(("unsubscribe", {"action": "unsub", "contacts": [_contact(r) for r in batch]}))
    for row in plan.rows:
        if row.action is Action.ERASE and row.mailjet_id is not None:
            steps.append(("erase", {"mailjet_id": row.mailjet_id}))
    steps.append(("verify", {}))
    con.executemany(
        "INSERT INTO sync_steps (run_id, seq, kind, payload) VALUES (?, ?, ?, ?)",
        [
            (run_id, seq, kind, json.dumps(payload, ensure_ascii=False))
            for seq, (kind, payload) in enumerate(steps, 1)
        ],
    )
    return Run(run_id, plan.list_id, plan.mailjet_list_id, plan.list_name, now, "running")


_STEP_COLUMNS = "run_id, seq, kind, payload, state, job_id, result, error"


def _step(row: tuple[Any, ...]) -> Step:
    run_id, seq, kind, payload, state, job_id, result, error = row
    return Step(run_id, seq, kind, json.loads(payload), state, job_id, result, error)


def run_steps(con: sqlite3.Connection, run_id: int) -> list[Step]:
    """Every step of a run, in the order they run (verification last)."""
    return [
        _step(row)
        for row in con.execute(
            f"SELECT {_STEP_COLUMNS} FROM sync_steps WHERE run_id = ? "
            "ORDER BY kind = 'verify', seq",
            (run_id,),
        )
    ]


def step_sizes(con: sqlite3.Connection, run_id: int) -> list[tuple[str, bool, int]]:
    """Each step's kind, whether it is finished, and how many contacts it sends (0 for a
    step that sends none): what a push's progress counts, read without loading every
    payload."""
    return [
        (str(kind), state in FINISHED_STEPS, int(size or 0))
        for kind, state, size in con.execute(
            "SELECT kind, state, json_array_length(payload, '$.contacts') FROM sync_steps "
            "WHERE run_id = ?",
            (run_id,),
        )
    ]


def step_finished(con: sqlite3.Connection, step: Step) -> bool:
    """Whether the step is done or failed now (it may have been left to settle)."""
    row = con.execute(
        "SELECT state FROM sync_steps WHERE run_id = ? AND seq = ?", (step.run_id, step.seq)
    ).fetchone()
    return row is not None and row[0] in FINISHED_STEPS


def next_step(con: sqlite3.Connection, run_id: int) -> Step | None:
    """The first step not done (nor failed), or None when the run has no more to do."""
    row = con.execute(
        f"SELECT {_STEP_COLUMNS} FROM sync_steps WHERE run_id = ? "
        "AND state NOT IN ('done', 'failed') ORDER BY kind = 'verify', seq LIMIT 1",
        (run_id,),
    ).fetchone()
    return None if row is None else _step(row)


def mark_step(
    con: sqlite3.Connection,
    step: Step,
    state: str,
    *,
    job_id: int | None = None,
    result: str | None = None,
    error: str | None = None,
) -> None:
    """Move a step on: ``sent`` records when (and the job id), ``done``/``failed`` when."""
    now = now_iso()
    con.execute(
        "UPDATE sync_steps SET state = ?, job_id = coalesce(?, job_id), "
        "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, "
        "done_at = CASE WHEN ? IN ('done', 'failed') THEN ? ELSE done_at END, "
        "result = coalesce(?, result), error = coalesce(?, error) "
        "WHERE run_id = ? AND seq = ?",
        (state, job_id, state, now, state, now, result, error, step.run_id, step.seq),
    )


def record_upload(con: sqlite3.Connection, step: Step, data_id: int) -> None:
    """A CSV step's data is uploaded: its id kept, the step ``pending`` its import."""
    con.execute(
        "UPDATE sync_steps SET payload = json_set(payload, '$.data_id', ?), state = 'pending' "
        "WHERE run_id = ? AND seq = ?",
        (int(data_id), step.run_id, step.seq),
    )


def add_step(con: sqlite3.Connection, run_id: int, kind: str, payload: Mapping[str, Any]) -> int:
    """A step appended to a run (to send again what a re-read found not applied); its seq."""
    seq = int(
        con.execute(
            "SELECT coalesce(max(seq), 0) + 1 FROM sync_steps WHERE run_id = ?", (run_id,)
        ).fetchone()[0]
    )
    con.execute(
        "INSERT INTO sync_steps (run_id, seq, kind, payload) VALUES (?, ?, ?, ?)",
        (run_id, seq, kind, json.dumps(dict(payload), ensure_ascii=False)),
    )
    return seq


def set_run_state(con: sqlite3.Connection, run_id: int, state: str, summary: str = "") -> None:
    """A run resumed (``running``), stopped by the user (``cancelled``), or finished."""
    finished = state not in UNFINISHED_RUNS
    con.execute(
        "UPDATE sync_runs SET state = ?, summary = ?, finished_at = ? WHERE id = ?",
        (state, summary, now_iso() if finished else None, run_id),
    )


def erasure_done(con: sqlite3.Connection, mailjet_id: int) -> None:
    """Mailjet has anonymised this person: nothing more to ask of it."""
    con.execute(
        "UPDATE mailjet_erasures SET done_at = ? WHERE mailjet_id = ? AND done_at IS NULL",
        (now_iso(), mailjet_id),
    )


# -- verification ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """A contact as the verification read found it in Mailjet."""

    mailjet_id: int
    email: str
    membership: str
    """``subscribed`` or ``unsubscribed`` in the list, ``removed`` when not in it."""
    properties: Mapping[str, object] | None = None
    """Its property values; None when not read (an unsubscribe only)."""
    updated_at: str = ""
    is_excluded: bool = False
    is_spam: bool = False


@dataclass
class Verification:
    """What a push's writes turned out to do, contact by contact."""

    confirmed: dict[int, Seen] = field(default_factory=dict)
    """Contacts whose change Mailjet shows, with what it shows."""
    kept_unsubscribed: dict[int, Seen] = field(default_factory=dict)
    """Added or updated, but Mailjet kept them unsubscribed (they unsubscribed there
    after the pull): recorded as unsubscribed, never undone."""
    not_applied: dict[int, str] = field(default_factory=dict)
    """Contacts whose change Mailjet does not show, with what is missing."""
    actions: dict[int, str] = field(default_factory=dict)
    """What was asked for each contact (add, update, unsubscribe)."""


def _same_properties(wanted: Mapping[str, Any], seen: Mapping[str, object]) -> bool:
    have = {str(k).lower(): "" if v is None else str(v) for k, v in seen.items()}
    return all(have.get(name.lower(), "") == str(value) for name, value in wanted.items())


def expected_changes(steps: Iterable[Step]) -> dict[int, dict[str, Any]]:
    """Each contact's change in a run's job steps (a contact sent again counts once)."""
    wanted: dict[int, dict[str, Any]] = {}
    for step in steps:
        if step.kind in JOB_KINDS:
            for contact in step.contacts:
                wanted[int(contact["id"])] = contact
    return wanted


def compare(wanted: Mapping[int, Mapping[str, Any]], seen: Mapping[str, Seen]) -> Verification:
    """Each wanted change against what Mailjet shows (``seen`` by address key)."""
    result = Verification()
    for contact_id, change in wanted.items():
        action = str(change["action"])
        result.actions[contact_id] = action
        found = seen.get(email_key(str(change["email"])))
        membership = "removed" if found is None else found.membership
        if action == Action.UNSUBSCRIBE.stored:
            if found is not None and membership == "subscribed":
                result.not_applied[contact_id] = "still subscribed"
            elif found is not None:
                result.confirmed[contact_id] = found
            continue
        if found is None or membership == "removed":
            result.not_applied[contact_id] = "not in the list"
        elif membership == "unsubscribed":
            result.kept_unsubscribed[contact_id] = found
        elif not _same_properties(change.get("properties", {}), found.properties or {}):
            result.not_applied[contact_id] = "properties not set"
        else:
            result.confirmed[contact_id] = found
    return result


@dataclass(frozen=True)
class Outcome:
    """A finished push, in numbers and in a sentence."""

    run_id: int
    state: str
    added: int
    updated: int
    unsubscribed: int
    erased: int
    kept_unsubscribed: int
    not_applied: int
    failed_steps: int
    activity_id: int
    summary: str


def record_outcome(
    con: sqlite3.Connection,
    run: Run,
    steps: list[Step],
    verification: Verification,
    *,
    actor: str,
    notes: Iterable[str] = (),
) -> Outcome:
    """Record what the verification confirmed (in the caller's transaction): the
    memberships' Mailjet state, what Mailjet holds of each contact, one activity entry,
    the sync flags, the run finished. Changes Mailjet does not show are left as they were,
    for the next plan to propose again."""
    current = not flags_outdated(con)
    now = now_iso()
    seen = {**verification.confirmed, **verification.kept_unsubscribed}
    # (in one statement from a table of what was seen: 50,000 single-row updates cost
    # twice as long)
    con.execute(
        "CREATE TEMP TABLE IF NOT EXISTS push_seen "
        "(contact_id INTEGER PRIMARY KEY, membership TEXT NOT NULL)"
    )
    con.execute("DELETE FROM temp.push_seen")
    con.executemany(
        "INSERT INTO temp.push_seen VALUES (?, ?)",
        [(contact_id, found.membership) for contact_id, found in seen.items()],
    )
    con.execute(
        "UPDATE memberships SET status = CASE WHEN s.membership = 'removed' "
        "THEN memberships.status ELSE s.membership END, mailjet_status = s.membership, "
        "synced_status = s.membership, synced_at = ? "
        "FROM temp.push_seen s WHERE memberships.contact_id = s.contact_id "
        "AND memberships.list_id = ?",
        (now, run.list_id),
    )
    con.executemany(
        "INSERT INTO mailjet_contacts (mailjet_id, email_key, email, is_excluded, is_spam, "
        "properties, updated_at, pulled_at) VALUES (?1, ?2, ?3, ?4, ?5, "
        "coalesce(?6, '{}'), ?7, ?8) "
        "ON CONFLICT (mailjet_id) DO UPDATE SET email_key = excluded.email_key, "
        "email = excluded.email, is_excluded = excluded.is_excluded, "
        "is_spam = excluded.is_spam, "
        "properties = coalesce(?6, mailjet_contacts.properties), "
        "updated_at = excluded.updated_at, pulled_at = excluded.pulled_at",
        [
            (
                found.mailjet_id,
                email_key(found.email),
                found.email,
                int(found.is_excluded),
                int(found.is_spam),
                None
                if found.properties is None
                else json.dumps(dict(found.properties), ensure_ascii=False, default=str),
                found.updated_at,
                now,
            )
            for found in seen.values()
        ],
    )
    actions = verification.actions
    added = sum(1 for c in verification.confirmed if actions[c] == Action.ADD.stored)
    updated = sum(1 for c in verification.confirmed if actions[c] == Action.UPDATE.stored)
    unsubscribed = sum(1 for c in verification.confirmed if actions[c] == "unsubscribe")
    erased = sum(1 for s in steps if s.kind == "erase" and s.state == "done")
    failed = sum(1 for s in steps if s.state == "failed")
    parts = [
        f"{n:,} {word}"
        for n, word in (
            (added, "added"),
            (updated, "updated"),
            (unsubscribed, "unsubscribed"),
            (erased, "erased"),
        )
        if n
    ]
    if verification.kept_unsubscribed:
        parts.append(
            f"{len(verification.kept_unsubscribed):,} left unsubscribed "
            "(they unsubscribed in Mailjet)"
        )
    if verification.not_applied:
        parts.append(f"{len(verification.not_applied):,} not applied by Mailjet")
    state = "failed" if verification.not_applied or failed else "done"
    summary = f"Pushed “{run.list_name}” to Mailjet: " + ("; ".join(parts) or "nothing changed")
    summary = "; ".join([summary, *notes])
    touched = sorted(seen)
    activity = record_activity(
        con,
        actor=actor,
        action="push",
        summary=summary,
        count=len(touched) + erased,
        details={
            "list": run.list_id,
            "run": run.id,
            "added": added,
            "updated": updated,
            "unsubscribed": unsubscribed,
            "erased": erased,
            "kept_unsubscribed": len(verification.kept_unsubscribed),
            "not_applied": len(verification.not_applied),
        },
    )
    # A push is no undoable step: the rows only name whom it touched, for their history.
    con.executemany(
        "INSERT OR IGNORE INTO activity_changes (activity_id, contact_id, before) "
        "VALUES (?, ?, '{}')",
        [(activity, contact_id) for contact_id in touched],
    )
    set_run_state(con, run.id, state, summary)
    refresh_sync_flags(
        con,
        f"SELECT contact_id FROM memberships WHERE list_id = {int(run.list_id)}",
        was_current=current,
    )
    return Outcome(
        run.id,
        state,
        added,
        updated,
        unsubscribed,
        erased,
        len(verification.kept_unsubscribed),
        len(verification.not_applied),
        failed,
        activity,
        summary + ".",
    )
