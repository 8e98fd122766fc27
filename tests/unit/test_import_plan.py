"""The dry run, against fakes for the workspace: outcomes and the consent precedence rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from data.make_import_corpus import make_table

from mjdesk.core.importing.cleaning import clean_table
from mjdesk.core.importing.consent_values import ConsentSpec
from mjdesk.core.importing.mapping import guess_mapping
from mjdesk.core.importing.plan import ExistingContact, Outcome, Plan, plan_import

HEADERS = ["Email", "First name", "Last name", "Consent", "Consent date", "Team"]


class FakeWorkspace:
    """Existing contacts by key, and erased keys; counts lookups to check batching."""

    def __init__(self, contacts: Sequence[ExistingContact], erased: set[str]) -> None:
        self.contacts = {c.key: c for c in contacts}
        self.erased = erased
        self.batches: list[int] = []

    def lookup(self, keys: Sequence[str]) -> Mapping[str, ExistingContact]:
        self.batches.append(len(keys))
        return {k: self.contacts[k] for k in keys if k in self.contacts}

    def is_erased(self, key: str) -> bool:
        return key in self.erased


def plan_rows(rows: list[list[str]], workspace: FakeWorkspace, **kwargs: frozenset[int]) -> Plan:
    table = make_table(HEADERS, *rows)
    cleaned = clean_table(table, guess_mapping(table), ConsentSpec())
    return plan_import(cleaned, lookup=workspace.lookup, is_erased=workspace.is_erased, **kwargs)


def test_every_outcome() -> None:
    workspace = FakeWorkspace(
        [
            ExistingContact("same@example.org", "Sam", "Same", {"team": "A"}, "granted"),
            ExistingContact("upd@example.org", "Old", "Name", {}, "granted"),
        ],
        erased={"gone@example.org"},
    )
    plan = plan_rows(
        [
            ["new@example.org", "Nia", "New", "yes", "2025-01-01", "A"],
            ["same@example.org", "Sam", "Same", "yes", "", "A"],
            ["upd@example.org", "Una", "", "yes", "", "B"],
            ["nope@example.org", "No", "One", "no", "", ""],
            ["broken", "B", "", "yes", "", ""],
            ["NEW@example.org", "Nia", "Again", "yes", "", ""],
            ["gone@example.org", "G", "", "yes", "2025-01-01", ""],
            ["ty@gmial.com", "T", "", "yes", "", ""],
        ],
        workspace,
    )
    outcomes = [row.outcome for row in plan.rows]
    assert outcomes == [
        Outcome.NEW,
        Outcome.UNCHANGED,
        Outcome.UPDATE,
        Outcome.SKIPPED_NO_CONSENT,
        Outcome.INVALID,
        Outcome.DUPLICATE,
        Outcome.BLOCKED_ERASED,
        Outcome.TYPO_SUGGESTION,
    ]
    assert plan.counts[Outcome.NEW] == 1
    assert plan.rows[0].record_consent
    update = plan.rows[2]
    assert {(c.name, c.before, c.after) for c in update.changes} == {
        ("first_name", "Old", "Una"),
        ("team", "", "B"),
    }  # the empty last name does not blank the stored one
    assert plan.rows[5].duplicate_of_row == 2
    assert "row 2" in plan.rows[5].reason
    assert plan.rows[7].suggestion == "ty@gmail.com"
    assert [r.row_number for r in plan.with_outcome(Outcome.INVALID)] == [6]


def test_confirmed_new_consent_unblocks_an_erased_address_and_dismissed_typos_pass() -> None:
    workspace = FakeWorkspace([], erased={"gone@example.org"})
    rows = [
        ["gone@example.org", "G", "", "yes", "2025-01-01", ""],
        ["ty@gmial.com", "T", "", "yes", "", ""],
    ]
    plan = plan_rows(
        rows, workspace, confirmed_erased=frozenset({0}), dismissed_suggestions=frozenset({1})
    )
    assert [row.outcome for row in plan.rows] == [Outcome.NEW, Outcome.NEW]
    # A confirmation without a dated grant is not enough.
    rows[0][4] = ""
    plan = plan_rows(rows, workspace, confirmed_erased=frozenset({0}))
    assert plan.rows[0].outcome is Outcome.BLOCKED_ERASED


def test_withdrawal_is_never_overridden_by_an_older_or_undated_grant() -> None:
    withdrawn = ExistingContact("w@example.org", "W", "", {}, "withdrawn", datetime(2025, 3, 1))
    workspace = FakeWorkspace([withdrawn], set())
    for date, restored in (("2025-02-01", False), ("", False), ("2025-04-01", True)):
        plan = plan_rows([["w@example.org", "W", "", "yes", date, ""]], workspace)
        row = plan.rows[0]
        assert row.record_consent is restored, date
        assert row.outcome is (Outcome.UPDATE if restored else Outcome.UNCHANGED)
        if not restored:
            assert "not restored" in row.reason


def test_withdrawal_in_the_file_is_recorded() -> None:
    granted = ExistingContact("g@example.org", "G", "", {}, "granted", datetime(2024, 1, 1))
    plan = plan_rows(
        [["g@example.org", "G", "", "unsubscribed", "", ""]], FakeWorkspace([granted], set())
    )
    assert plan.rows[0].outcome is Outcome.UPDATE
    assert plan.rows[0].record_consent


def test_lookups_are_batched() -> None:
    workspace = FakeWorkspace([], set())
    rows = [[f"p{i}@example.org", "P", "", "yes", "", ""] for i in range(2000)]
    plan = plan_rows(rows, workspace)
    assert workspace.batches == [900, 900, 200]
    assert plan.counts[Outcome.NEW] == 2000
