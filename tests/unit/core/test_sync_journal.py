"""The push journal without a network: a plan becomes steps written before anything is
sent (properties, batches sent as addnoforce or unsub, one erasure each, verification
last), one unfinished run per list, and the comparison that decides what Mailjet shows."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from mjdesk.core.sync import journal
from mjdesk.core.sync.journal import Seen
from mjdesk.core.sync.plan import Action, Plan, PlanRow
from mjdesk.core.workspace import Workspace

PROPS = {"mjdesk_consent_status": "granted"}


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(tmp_path / "ws.sqlite3") as workspace:
        with workspace.transaction() as con:
            con.execute(
                "INSERT INTO lists (id, name, mailjet_id, created_at) VALUES (1, 'News', 77, '')"
            )
        yield workspace


def _plan(rows: list[PlanRow]) -> Plan:
    return Plan(1, "News", 77, "2026-06-01T00:00:00Z", rows)


def _row(ident: int, action: Action, mailjet_id: int | None = None) -> PlanRow:
    email = f"p{ident}@york.ac.uk" if action is not Action.ERASE else ""
    props = PROPS if action in (Action.ADD, Action.UPDATE) else {}
    return PlanRow(ident or None, email, mailjet_id, action, "", props)


def _steps(con: sqlite3.Connection, run_id: int) -> list[tuple[str, str, int]]:
    return [
        (s.kind, str(s.payload.get("action", "")), len(s.contacts))
        for s in journal.run_steps(con, run_id)
    ]


def test_a_plan_becomes_steps_in_batches_written_before_anything_is_sent(ws: Workspace) -> None:
    rows = [_row(i, Action.ADD) for i in range(1, 4)]
    rows += [_row(i, Action.UPDATE) for i in range(4, 7)]
    rows += [_row(7, Action.UNSUBSCRIBE), _row(8, Action.BLOCKED), _row(9, Action.NONE)]
    rows += [_row(0, Action.ERASE, 501), _row(0, Action.ERASE, 502)]
    with ws.transaction() as con:
        run = journal.start_run(con, _plan(rows), actor="t", batch_size=2)
        assert run is not None
        assert _steps(con, run.id) == [
            ("define_properties", "", 0),
            ("add", "addnoforce", 2),
            ("add", "addnoforce", 2),  # (an add among updates)
            ("update", "addnoforce", 2),
            ("unsubscribe", "unsub", 1),
            ("erase", "", 0),
            ("erase", "", 0),
            ("verify", "", 0),
        ]
        assert {s.state for s in journal.run_steps(con, run.id)} == {"pending"}
        assert journal.unfinished_run(con, 1) == run
        seq = journal.add_step(con, run.id, "add", {"action": "addnoforce", "contacts": []})
        assert journal.run_steps(con, run.id)[-2].seq == seq  # (still before verification)
        with pytest.raises(sqlite3.IntegrityError):  # (one unfinished run per list)
            journal.start_run(con, _plan(rows), actor="t")
        assert journal.start_run(con, _plan([_row(9, Action.NONE)]), actor="t") is None


def test_above_the_threshold_the_adds_and_updates_are_one_csv_step(ws: Workspace) -> None:
    rows = [_row(i, Action.ADD) for i in range(1, 3)] + [_row(3, Action.UPDATE)]
    rows += [_row(4, Action.UNSUBSCRIBE), _row(5, Action.UNSUBSCRIBE)]
    with ws.transaction() as con:
        run = journal.start_run(con, _plan(rows), actor="t", batch_size=1, csv_threshold=2)
        assert run is not None
        assert _steps(con, run.id) == [
            ("define_properties", "", 0),
            ("add", "addnoforce", 3),
            ("unsubscribe", "unsub", 1),  # (unsubscribes stay in jobs)
            ("unsubscribe", "unsub", 1),
            ("verify", "", 0),
        ]
        csv_step = journal.run_steps(con, run.id)[1]
        assert (csv_step.by_csv, csv_step.data_id) == (True, None)
        assert journal.run_steps(con, run.id)[2].by_csv is False
        journal.mark_step(con, csv_step, "sending")
        journal.record_upload(con, csv_step, 4321)
        again = journal.run_steps(con, run.id)[1]
        assert (again.state, again.data_id, len(again.contacts)) == ("pending", 4321, 3)
        assert set(journal.expected_changes([again])) == {1, 2, 3}
        journal.set_run_state(con, run.id, "done")
        at_threshold = journal.start_run(con, _plan(rows[:2]), actor="t", csv_threshold=2)
        assert at_threshold is not None
        assert not any(s.by_csv for s in journal.run_steps(con, at_threshold.id))


def test_steps_move_on_and_a_finished_run_is_no_longer_resumed(ws: Workspace) -> None:
    with ws.transaction() as con:
        run = journal.start_run(con, _plan([_row(1, Action.ADD)]), actor="t")
        assert run is not None
        first = journal.next_step(con, run.id)
        assert first is not None
        assert first.kind == "define_properties"
        journal.mark_step(con, first, "done", result="all defined already")
        job = journal.next_step(con, run.id)
        assert job is not None
        journal.mark_step(con, job, "sent", job_id=42)
        again = journal.next_step(con, run.id)
        assert again is not None
        assert (again.state, again.job_id) == ("sent", 42)
        journal.set_run_state(con, run.id, "cancelled", "stopped")
        assert journal.unfinished_run(con, 1) is not None  # (a cancelled run resumes)
        journal.set_run_state(con, run.id, "done", "pushed")
        assert journal.unfinished_run(con, 1) is None
        assert con.execute("SELECT finished_at IS NOT NULL FROM sync_runs").fetchone() == (1,)


def test_only_what_mailjet_shows_is_confirmed() -> None:
    wanted = {
        1: {"email": "a@x.org", "action": "add", "properties": PROPS},
        2: {"email": "b@x.org", "action": "add", "properties": PROPS},
        3: {"email": "C@x.org", "action": "update", "properties": PROPS},
        4: {"email": "d@x.org", "action": "add", "properties": PROPS},
        5: {"email": "e@x.org", "action": "unsubscribe", "properties": {}},
        6: {"email": "f@x.org", "action": "unsubscribe", "properties": {}},
    }
    seen = {
        "a@x.org": Seen(11, "a@x.org", "subscribed", {"MJDESK_CONSENT_STATUS": "granted"}),
        "b@x.org": Seen(12, "b@x.org", "subscribed", {}),
        "c@x.org": Seen(13, "c@x.org", "unsubscribed", {}),
        "e@x.org": Seen(15, "e@x.org", "unsubscribed"),
        "f@x.org": Seen(16, "f@x.org", "subscribed"),
    }
    check = journal.compare(wanted, seen)
    assert set(check.confirmed) == {1, 5}
    assert set(check.kept_unsubscribed) == {3}  # (never subscribed again)
    assert check.not_applied == {
        2: "properties not set",
        4: "not in the list",
        6: "still subscribed",
    }
