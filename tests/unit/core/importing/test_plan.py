"""The dry run, against fakes for the workspace: outcomes and the consent precedence rules."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime

from data.make_import_corpus import make_table
from hypothesis import given, settings
from hypothesis import strategies as st

from mjdesk.core.importing import plan as plan_module
from mjdesk.core.importing.cleaning import CleanedImport, clean_table
from mjdesk.core.importing.consent_values import ConsentSpec, ConsentState
from mjdesk.core.importing.mapping import guess_mapping
from mjdesk.core.importing.plan import ExistingContact, FieldChange, Outcome, Plan, plan_import

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


def _reference_plan(
    cleaned: CleanedImport,
    workspace: FakeWorkspace,
    confirmed: frozenset[int],
    dismissed: frozenset[int],
) -> tuple[list[Outcome], dict[int, str], dict[int, tuple[FieldChange, ...]], list[int]]:
    """The dry run's rules row by row, the plainest way (what plan_import does column-wise)."""
    outcomes, reasons, changes, record = [], {}, {}, []
    for i in range(len(cleaned)):
        key, consent = cleaned.keys[i], cleaned.consent[i]
        adds = 0
        if i in cleaned.problems:
            outcome, reasons[i] = Outcome.INVALID, cleaned.problems[i]
        elif i in cleaned.duplicates:
            outcome = Outcome.DUPLICATE
            reasons[i] = f"Same address as row {cleaned.row_number(cleaned.duplicates[i])}."
        elif i in cleaned.suggestions and i not in dismissed:
            outcome = Outcome.TYPO_SUGGESTION
            reasons[i] = f"Did you mean {cleaned.suggestions[i]}?"
        elif key in workspace.contacts:
            contact = workspace.contacts[key]
            found = plan_module._changes(cleaned, i, contact)
            granted, note = plan_module._consent_change(consent, cleaned.consent_at[i], contact)
            if granted:
                found.append(FieldChange("consent", contact.consent_status, consent.value))
                adds = 1
            if note:
                reasons[i] = note
            outcome = Outcome.UPDATE if found else Outcome.UNCHANGED
            if found:
                changes[i] = tuple(found)
        elif key in workspace.erased and not (
            i in confirmed and consent is ConsentState.GRANTED and cleaned.consent_at[i]
        ):
            outcome, reasons[i] = Outcome.BLOCKED_ERASED, plan_module._ERASED_REASON
        elif consent in (ConsentState.GRANTED, ConsentState.WITHDRAWN):
            outcome, adds = Outcome.NEW, 1
        else:
            outcome = Outcome.SKIPPED_NO_CONSENT
            reasons[i] = plan_module._NO_CONSENT_REASON[consent.value]
        outcomes.append(outcome)
        record.append(adds)
    return outcomes, reasons, changes, record


_ADDRESSES = st.sampled_from(
    [
        *("a@example.org", "B@example.org", "c@example.org", "gone@example.org"),
        *("d@gmial.com", "not an address", "", "e@example.org", "f@example.org"),
    ]
)
#: the columns as a file with addresses in them maps them (the drawn rows may hold none)
_MAPPING = guess_mapping(make_table(HEADERS, ["x@example.org", "A", "B", "yes", "", "T"]))


@given(
    rows=st.lists(
        st.tuples(
            _ADDRESSES,
            st.sampled_from(["", "Ann", "Bo"]),
            st.sampled_from(["yes", "no", "withdrawn", "maybe", ""]),
            st.sampled_from(["", "2024-01-01", "2026-06-01"]),
            st.sampled_from(["", "T1", "T2"]),
        ),
        min_size=1,
        max_size=25,
    ),
    statuses=st.lists(st.sampled_from(["granted", "withdrawn", "none"]), min_size=3, max_size=3),
    erased=st.sets(st.sampled_from(["gone@example.org", "e@example.org", "a@example.org"])),
    confirmed=st.frozensets(st.integers(0, 24)),
    dismissed=st.frozensets(st.integers(0, 24)),
)
@settings(max_examples=300, deadline=None)
def test_the_plan_is_the_rules_applied_row_by_row(
    rows: list[tuple[str, str, str, str, str]],
    statuses: list[str],
    erased: set[str],
    confirmed: frozenset[int],
    dismissed: frozenset[int],
) -> None:
    contacts = [
        ExistingContact(key, "Ann", "", {"team": "T1"}, status, datetime(2025, 1, 1))
        for key, status in zip(
            ["a@example.org", "b@example.org", "d@gmial.com"], statuses, strict=True
        )
    ]
    for workspace in (FakeWorkspace(contacts, erased), FakeWorkspace([], set())):
        table = make_table(HEADERS, *[[e, n, "", c, d, t] for e, n, c, d, t in rows])
        cleaned = clean_table(table, _MAPPING, ConsentSpec())
        if workspace.contacts or workspace.erased:
            lookup, is_erased = workspace.lookup, workspace.is_erased
        else:  # an empty workspace says so, and the plan then asks nothing
            lookup, is_erased = plan_module.no_contacts, plan_module.never_erased
        plan = plan_import(
            cleaned,
            lookup=lookup,
            is_erased=is_erased,
            confirmed_erased=confirmed,
            dismissed_suggestions=dismissed,
        )
        outcomes, reasons, changes, record = _reference_plan(
            cleaned, workspace, confirmed, dismissed
        )
        assert plan.outcomes == outcomes
        assert plan.reasons == reasons
        assert plan.changes == changes
        assert list(plan.record_consent) == record
        assert plan.counts == Counter(outcomes)
