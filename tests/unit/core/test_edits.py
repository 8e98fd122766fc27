"""The consent review's edits: each one step that undo puts back exactly and redo does again,
also after a restart; refused when later steps changed the same contacts."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mjdesk.core.contacts import ConsentRecord, NewContact, add_contacts
from mjdesk.core.edits import (
    NothingToEdit,
    accept_typo_fixes,
    add_to_list,
    delete_contacts,
    edit_contact,
    expire_consent,
    merge_contacts,
    record_consents,
    remove_from_list,
    withdraw_consent,
)
from mjdesk.core.flags import flags_outdated, refresh_flags
from mjdesk.core.history import last_new_work, redo_stack, steps
from mjdesk.core.importing.undo import UndoRefused
from mjdesk.core.journal import record_activity
from mjdesk.core.undo import redo_step, undo_step
from mjdesk.core.work import UserError
from mjdesk.core.workspace import Workspace

from support.importing import check_derived, dump

PROOF = ConsentRecord("granted", "2025-01-01T00:00:00Z", "form.csv", wording="Yes please")
OLD = ConsentRecord("granted", "2020-01-01T00:00:00Z", "old.csv", wording="Old yes")
PEOPLE = [
    NewContact("ann@york.ac.uk", "Ann", "Smith", {"phone": "1", "dept": "Maths"}, PROOF),
    NewContact("ann.smith@york.ac.uk", "", "Smith", {"phone": "2", "room": "B1"}, OLD),
    NewContact("bob@gmial.com", "Bob", "", {}, PROOF),
    NewContact("none@york.ac.uk", "Nia", "None"),
    NewContact("wd@york.ac.uk", "Wanda", "", {}, ConsentRecord("withdrawn", "2025-02-01")),
]
ANN, ANN2, BOB, NIA, WANDA = 1, 2, 3, 4, 5


@pytest.fixture
def ws(tmp_path: Path) -> Any:
    with Workspace.open(tmp_path / "ws.sqlite3") as workspace:
        with workspace.transaction() as con:
            add_contacts(con, PEOPLE, actor="seeder")
            con.execute("INSERT INTO lists (name, created_at) VALUES ('News', '2024-01-01')")
            con.execute(
                "INSERT INTO memberships (contact_id, list_id, status, added_at) "
                "VALUES (2, 1, 'unsubscribed', '2024-01-01'), (3, 1, 'subscribed', '2024-01-02')"
            )
            refresh_flags(con)
        yield workspace


def state(ws: Workspace) -> dict[str, list[tuple[Any, ...]]]:
    """The workspace's logical state, its flags computed again first if a step left them
    behind (as the window does in the background)."""
    with ws.transaction() as con:
        if flags_outdated(con):
            refresh_flags(con)
    out = dump(ws)
    out["flags"] = ws.fetch("SELECT * FROM contact_flags ORDER BY flag, contact_id")
    return out


class _RolledBack(Exception):
    pass


def flags_as_computed_afresh(ws: Workspace) -> bool:
    """Whether the stored flags (and each contact's flag summary) are what computing every
    flag again gives (the computing is rolled back)."""
    query = "SELECT flag, contact_id, hint FROM contact_flags ORDER BY 1, 2"
    summaries = "SELECT id, flags FROM contacts ORDER BY id"
    stored = (ws.fetch(query), ws.fetch(summaries))
    afresh: list[object] = []

    def compute_and_roll_back() -> None:
        with ws.transaction() as con:
            refresh_flags(con)
            afresh.extend([con.execute(query).fetchall(), con.execute(summaries).fetchall()])
            raise _RolledBack

    with pytest.raises(_RolledBack):
        compute_and_roll_back()
    return stored == tuple(afresh)


def ledger(ws: Workspace, contact_id: int) -> list[tuple[Any, ...]]:
    return ws.fetch(
        "SELECT status, given_at, source_file, wording, recorded_by FROM consent_ledger "
        "WHERE contact_id = ? ORDER BY id",
        (contact_id,),
    )


EDITS: dict[str, Callable[[Workspace], Any]] = {
    "withdraw": lambda ws: withdraw_consent(ws, [ANN, ANN2, NIA, 99], "asked by e-mail"),
    "expire": lambda ws: expire_consent(ws, "re-permission"),
    "record": lambda ws: record_consents(
        ws, [NIA, WANDA], wording="Yes to news", source="Open day", given_at="2025-03-01"
    ),
    "add to new list": lambda ws: add_to_list(ws, [ANN, BOB, NIA], "Alumni"),
    "add to list": lambda ws: add_to_list(ws, [ANN, BOB], "News"),
    "remove from list": lambda ws: remove_from_list(ws, [ANN2, BOB, NIA], "News"),
    "typo": lambda ws: accept_typo_fixes(ws, [BOB, ANN]),
    "merge": lambda ws: merge_contacts(ws, [(ANN, [ANN2])]),
    "delete": lambda ws: delete_contacts(ws, [ANN2, BOB]),
    "edit": lambda ws: edit_contact(
        ws, ANN2, email="Ann.Smyth@york.ac.uk", first_name="Annie", properties={"phone": "9"}
    ),
}


@pytest.mark.parametrize("name", list(EDITS))
def test_each_edit_is_one_step_undone_exactly_and_redone_after_a_restart(
    ws: Workspace, name: str
) -> None:
    before = state(ws)
    result = EDITS[name](ws)
    after = state(ws)
    assert after != before
    assert flags_as_computed_afresh(ws)
    check_derived(ws)
    [(action, summary, count, details)] = ws.fetch(
        "SELECT action, summary, count, details FROM activity WHERE id = ?", (result.activity_id,)
    )
    assert count >= result.done > 0
    assert "@" not in summary
    assert "Ann" not in summary
    assert json.loads(details)["flags"] in ("consent", "all", "none")
    images = ws.fetch(
        "SELECT count(*) FROM activity_changes WHERE activity_id = ? AND before IS NOT NULL",
        (result.activity_id,),
    )
    assert images[0][0] >= result.done
    undo_step(ws, result.activity_id, actor="tester")
    assert state(ws) == before
    check_derived(ws)
    stack, done = redo_stack(steps(ws._con))
    assert ([s.activity_id for s in stack], done) == ([result.activity_id], 0)
    assert stack[0].action == action
    path = ws.path
    ws.close()
    with Workspace.open(path) as again:
        redo_step(again, result.activity_id, actor="tester")
        assert state(again) == after
        check_derived(again)
        undo_step(again, result.activity_id, actor="tester")
        assert state(again) == before
        redo_step(again, result.activity_id, actor="tester")
        assert state(again) == after


def test_withdraw_appends_a_dated_record_with_the_reason_and_skips_those_without_consent(
    ws: Workspace,
) -> None:
    result = withdraw_consent(ws, [ANN, NIA, WANDA, 99], "asked by e-mail", actor="clerk")
    assert (result.done, result.skipped) == (1, 3)
    assert result.changes.contact_ids == {ANN}
    [granted, withdrawn] = ledger(ws, ANN)
    assert granted[0] == "granted"
    assert withdrawn[0] == "withdrawn"
    assert withdrawn[2:] == (None, "asked by e-mail", "clerk")
    assert abs(datetime.fromisoformat(withdrawn[1]) - datetime.now(UTC)) < timedelta(minutes=1)
    assert ws.fetch("SELECT consent_status FROM contacts_with_consent WHERE id = ?", (ANN,)) == [
        ("withdrawn",)
    ]
    with pytest.raises(NothingToEdit, match="current consent"):
        withdraw_consent(ws, [NIA, WANDA], "again")
    with pytest.raises(UserError, match="reason"):
        withdraw_consent(ws, [ANN2], "  ")


def test_expire_withdraws_only_the_stale_consents(ws: Workspace) -> None:
    result = expire_consent(ws, "re-permission")
    assert result.done == 1
    assert ledger(ws, ANN2)[-1][0::3] == ("withdrawn", "re-permission")
    assert ws.fetch("SELECT consent_status FROM contacts_with_consent WHERE id = ?", (ANN,)) == [
        ("granted",)
    ]
    assert ws.fetch("SELECT action FROM activity WHERE id = ?", (result.activity_id,)) == [
        ("expire_consent",)
    ]


def test_record_consent_needs_wording_source_and_a_past_date(ws: Workspace) -> None:
    with pytest.raises(UserError, match="wording"):
        record_consents(ws, [NIA], wording="", source="x", given_at="2025-01-01")
    with pytest.raises(UserError, match="source"):
        record_consents(ws, [NIA], wording="w", source=" ", given_at="2025-01-01")
    with pytest.raises(UserError, match="future"):
        record_consents(ws, [NIA], wording="w", source="s", given_at="2999-01-01")
    record_consents(
        ws, [NIA], wording="Yes", source="Open day", given_at="2025-03-01", actor="clerk"
    )
    assert ledger(ws, NIA) == [("granted", "2025-03-01T00:00:00Z", "Open day", "Yes", "clerk")]
    assert ws.fetch("SELECT consent_status FROM contacts_with_consent WHERE id = ?", (NIA,)) == [
        ("granted",)
    ]


def test_list_edits_make_the_list_and_pass_over_members(ws: Workspace) -> None:
    added = add_to_list(ws, [ANN, BOB], "News")
    assert (added.done, added.skipped) == (1, 1)
    made = add_to_list(ws, [ANN], "Alumni")
    assert ws.fetch("SELECT name FROM lists ORDER BY id") == [("News",), ("Alumni",)]
    undo_step(ws, made.activity_id)
    assert ws.fetch("SELECT name FROM lists ORDER BY id") == [("News",)]
    with pytest.raises(NothingToEdit, match="no list"):
        remove_from_list(ws, [ANN], "Nope")
    with pytest.raises(NothingToEdit, match="already"):
        add_to_list(ws, [ANN, BOB], "news")


def test_typo_fix_takes_the_hint_and_passes_over_a_taken_address(ws: Workspace) -> None:
    with ws.transaction() as con:
        add_contacts(con, [NewContact("carl@gmial.com"), NewContact("carl@gmail.com")], actor="t")
        refresh_flags(con)
    result = accept_typo_fixes(ws, [BOB, 6, ANN])
    assert (result.done, result.skipped) == (1, 2)
    assert ws.fetch("SELECT email, email_key FROM contacts WHERE id = ?", (BOB,)) == [
        ("bob@gmail.com", "bob@gmail.com")
    ]
    state(ws)  # (the flags computed again, as the window does after the step)
    assert ws.fetch("SELECT flag FROM contact_flags WHERE contact_id = ?", (BOB,)) == []


def test_merge_keeps_every_ledger_record_property_and_membership(ws: Workspace) -> None:
    survivor_before = ledger(ws, ANN)
    other_before = ledger(ws, ANN2)
    merge_contacts(ws, [(ANN, [ANN2])])
    assert ws.fetch("SELECT count(*) FROM contacts WHERE id = ?", (ANN2,)) == [(0,)]
    assert sorted(ledger(ws, ANN)) == sorted(survivor_before + other_before)
    [(first, props)] = ws.fetch("SELECT first_name, properties FROM contacts WHERE id = ?", (ANN,))
    assert first == "Ann"
    assert json.loads(props) == {"phone": "1", "dept": "Maths", "room": "B1"}
    assert ws.fetch("SELECT list_id, status FROM memberships WHERE contact_id = ?", (ANN,)) == [
        (1, "unsubscribed")
    ]
    with pytest.raises(UserError, match="one survivor"):
        merge_contacts(ws, [(BOB, [NIA]), (WANDA, [NIA])])


def test_edit_refuses_an_address_another_contact_has(ws: Workspace) -> None:
    with pytest.raises(UserError, match="merge"):
        edit_contact(ws, ANN2, email="ANN@york.ac.uk")
    with pytest.raises(NothingToEdit):
        edit_contact(ws, ANN2, first_name="")


def test_undo_is_refused_when_a_later_step_changed_the_same_contacts(ws: Workspace) -> None:
    first = withdraw_consent(ws, [ANN, ANN2], "asked")
    second = add_to_list(ws, [ANN], "Alumni")
    state_now = state(ws)
    with pytest.raises(UndoRefused, match="Undo that first"):
        undo_step(ws, first.activity_id)
    assert state(ws) == state_now
    undo_step(ws, second.activity_id)
    undo_step(ws, first.activity_id)
    with pytest.raises(UndoRefused, match="already undone"):
        undo_step(ws, first.activity_id)


def test_redo_is_refused_when_later_work_changed_the_contacts(ws: Workspace) -> None:
    first = withdraw_consent(ws, [ANN], "asked")
    undo_step(ws, first.activity_id)
    edit_contact(ws, ANN, first_name="Anne")
    with pytest.raises(UndoRefused, match="Undo that first"):
        redo_step(ws, first.activity_id)


def test_undo_of_a_delete_is_refused_once_the_address_is_back(ws: Workspace) -> None:
    gone = delete_contacts(ws, [BOB])
    with ws.transaction() as con:
        add_contacts(con, [NewContact("bob@gmial.com")], actor="t")
    with pytest.raises(UndoRefused, match="in the workspace again"):
        undo_step(ws, gone.activity_id)


def test_a_hundred_thousand_ids_go_in_at_once_and_unknown_ones_are_passed_over(
    ws: Workspace,
) -> None:
    ids = list(range(1, 100_001))
    result = withdraw_consent(ws, ids, "asked")
    assert (result.done, result.skipped) == (3, 99_997)


#: steps that change addresses, names or which contacts there are: their flags are computed
#: again in the background (seconds at a million contacts), not inside the step
LEFT_BEHIND = {"typo", "merge", "delete", "edit"}


@pytest.mark.parametrize("name", list(EDITS))
def test_flags_stay_current_after_consent_edits_and_are_left_behind_after_others(
    ws: Workspace, name: str
) -> None:
    with ws.reading() as con:
        assert not flags_outdated(con)
    result = EDITS[name](ws)
    undo_step(ws, result.activity_id)
    redo_step(ws, result.activity_id)
    with ws.reading() as con:
        assert flags_outdated(con) == (name in LEFT_BEHIND)


def test_nothing_undone_before_new_work_can_be_redone(ws: Workspace) -> None:
    typo = accept_typo_fixes(ws, [BOB])
    undo_step(ws, typo.activity_id, actor="tester")
    with ws.reading() as con:
        stack, done = redo_stack(steps(con), last_new_work(con))
    assert [s.activity_id for s in stack[done:]] == [typo.activity_id]
    with ws.transaction() as con:  # new work that is no step of its own (an erasure, say)
        record_activity(con, actor="t", action="erase", summary="Erased one person", count=1)
    with ws.reading() as con:
        stack, done = redo_stack(steps(con), last_new_work(con))
    assert stack[done:] == []
    with pytest.raises(UndoRefused, match="other work was done since"):
        redo_step(ws, typo.activity_id, actor="tester")


def test_an_erased_address_is_never_given_back_by_an_edit_or_a_typo_fix(ws: Workspace) -> None:
    from mjdesk.core.erasure import erase_contact

    with ws.transaction() as con:
        add_contacts(con, [NewContact("carl@gmail.com"), NewContact("carl@gmial.com")], actor="t")
        refresh_flags(con)
    [(erased,)] = ws.fetch("SELECT id FROM contacts WHERE email = 'carl@gmail.com'")
    [(typo,)] = ws.fetch("SELECT id FROM contacts WHERE email = 'carl@gmial.com'")
    erase_contact(ws, erased, actor="t")
    with pytest.raises(UserError, match="erased on request"):
        edit_contact(ws, ANN, email="Carl@gmail.com")
    with pytest.raises(NothingToEdit):
        accept_typo_fixes(ws, [typo])
    assert ws.fetch("SELECT count(*) FROM contacts WHERE email_key = 'carl@gmail.com'") == [(0,)]


def test_a_withdrawal_takes_a_missing_proof_flag_away_and_its_undo_gives_it_back(
    ws: Workspace,
) -> None:
    with ws.transaction() as con:
        add_contacts(
            con,
            [NewContact("bare@x.org", consent=ConsentRecord("granted", "2025-01-01", None))],
            actor="t",
        )
        refresh_flags(con)
    [(bare,)] = ws.fetch("SELECT id FROM contacts WHERE email = 'bare@x.org'")
    flagged = "SELECT count(*) FROM contact_flags WHERE flag = 'no_proof' AND contact_id = ?"
    assert ws.fetch(flagged, (bare,)) == [(1,)]
    result = withdraw_consent(ws, [bare, ANN], "asked")
    assert ws.fetch(flagged, (bare,)) == [(0,)]
    assert flags_as_computed_afresh(ws)
    undo_step(ws, result.activity_id, actor="tester")
    assert ws.fetch(flagged, (bare,)) == [(1,)]
    assert flags_as_computed_afresh(ws)


def test_a_big_consent_step_leaves_the_summary_indexes_to_be_built_again(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mjdesk.core import edits
    from mjdesk.core.bulk import SUMMARY_INDEXES
    from mjdesk.core.indexing import backlog, catch_up

    monkeypatch.setattr(edits, "BULK_ROWS", 2)  # (a "big" step of three contacts)
    result = withdraw_consent(ws, [ANN, ANN2, NIA], "asked")
    with ws.reading() as con:
        assert sorted(backlog(con).indexes) == sorted(SUMMARY_INDEXES)
    catch_up(ws)
    with ws.reading() as con:
        assert backlog(con).empty
    check_derived(ws)
    undo_step(ws, result.activity_id, actor="tester")
    catch_up(ws)
    check_derived(ws)


def test_an_undo_sets_back_the_consent_summaries_its_step_kept(ws: Workspace) -> None:
    result = withdraw_consent(ws, [ANN, ANN2], "asked")
    kept = ws.fetch(
        "SELECT contact_id, before FROM activity_changes WHERE activity_id = ? ORDER BY 1",
        (result.activity_id,),
    )
    # (a consent-only step keeps each contact's summary, not its fields)
    assert [(ident, json.loads(before)) for ident, before in kept] == [
        (ANN, {"consent": ["granted", PROOF.given_at, "form.csv"]}),
        (ANN2, {"consent": ["granted", OLD.given_at, "old.csv"]}),
    ]
    undo_step(ws, result.activity_id, actor="tester")
    check_derived(ws)
    assert ws.fetch(
        "SELECT id, consent_status, consent_at, consent_source "
        "FROM contacts_with_consent WHERE id IN (1, 2)"
    ) == [(ANN, "granted", PROOF.given_at, "form.csv"), (ANN2, "granted", OLD.given_at, "old.csv")]


def test_a_step_kept_without_summaries_is_undone_from_the_consent_records(
    ws: Workspace,
) -> None:
    result = withdraw_consent(ws, [ANN, ANN2], "asked")
    with ws.transaction() as con:  # (as a step kept before its images held summaries)
        con.execute(
            "UPDATE activity_changes SET before = '{}' WHERE activity_id = ?",
            (result.activity_id,),
        )
    undo_step(ws, result.activity_id, actor="tester")
    check_derived(ws)
    assert ws.fetch("SELECT consent_status FROM contacts_with_consent WHERE id IN (1, 2)") == [
        ("granted",),
        ("granted",),
    ]


def test_a_big_step_leaves_copying_the_log_to_the_next_write(ws: Workspace) -> None:
    with ws.reading() as con:
        automatic = con.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    with ws.transaction() as con:
        ws.checkpoint_later()
        assert con.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    with ws.transaction() as con:
        assert con.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == automatic

    def big_step_that_fails() -> None:
        with ws.transaction():
            ws.checkpoint_later()
            raise _RolledBack

    with pytest.raises(_RolledBack):
        big_step_that_fails()
    assert ws.fetch("PRAGMA wal_autocheckpoint") == [(automatic,)]
