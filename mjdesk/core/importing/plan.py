"""The dry run: what importing each cleaned row would do, decided without touching anything.

`plan_import` is pure. It asks a lookup for the contacts that already exist (by contact
key, in batches) and a predicate for erased addresses, so the workspace, a test fake or
the sandbox can answer. The commit step carries out the plan's NEW and UPDATE rows.

Rules (issue #3): an invalid address or an in-file duplicate is never imported; an erased
address is blocked unless the user confirms a new, dated consent for that row; a row
without consent adds nobody new; a withdrawal is never overridden by an older (or undated)
grant; an import never changes a Mailjet subscription status, so the plan has no field for it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from functools import partial

from mjdesk.core.importing.cleaning import CleanedImport
from mjdesk.core.importing.consent_values import ConsentState


class Outcome(Enum):
    """What happens to one row."""

    NEW = "new"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    SKIPPED_NO_CONSENT = "skipped_no_consent"
    INVALID = "invalid"
    DUPLICATE = "duplicate"
    BLOCKED_ERASED = "blocked_erased"
    TYPO_SUGGESTION = "typo_suggestion"
    """Held back until the user accepts the suggestion (an edit) or dismisses it."""


@dataclass(frozen=True)
class ExistingContact:
    """What the workspace holds for an address, as far as an import can change it."""

    key: str
    first_name: str = ""
    last_name: str = ""
    properties: Mapping[str, str] = field(default_factory=dict)
    consent_status: str = "none"
    """'none', 'granted' or 'withdrawn' (the latest ledger record)."""
    consent_at: datetime | None = None


@dataclass(frozen=True)
class FieldChange:
    """One field an update changes."""

    name: str
    before: str
    after: str


@dataclass(frozen=True)
class ReviewRow:
    """One row of the review page."""

    index: int
    row_number: int
    email: str
    outcome: Outcome
    reason: str = ""
    changes: tuple[FieldChange, ...] = ()
    consent: ConsentState = ConsentState.NOT_GIVEN
    record_consent: bool = False
    """Whether committing adds a consent-ledger record for this row."""
    duplicate_of_row: int | None = None
    suggestion: str | None = None
    role_address: bool = False


@dataclass
class Plan:
    """Every row's outcome, in file order, with counts per outcome."""

    rows: list[ReviewRow]
    counts: Counter[Outcome]

    def with_outcome(self, outcome: Outcome) -> list[ReviewRow]:
        return [row for row in self.rows if row.outcome is outcome]


Lookup = Callable[[Sequence[str]], Mapping[str, ExistingContact]]
"""Given contact keys, the existing contacts among them (missing keys: no contact)."""

_BATCH = 900  # under SQLite's default limit of host parameters per statement


def _existing(keys: Iterable[str], lookup: Lookup) -> dict[str, ExistingContact]:
    found: dict[str, ExistingContact] = {}
    batch: list[str] = []
    for key in keys:
        batch.append(key)
        if len(batch) == _BATCH:
            found.update(lookup(batch))
            batch = []
    if batch:
        found.update(lookup(batch))
    return found


def _changes(cleaned: CleanedImport, index: int, contact: ExistingContact) -> list[FieldChange]:
    """Fields the row would change; an empty cell never blanks a stored value."""
    changes = []
    for name, new, old in (
        ("first_name", cleaned.first_names[index], contact.first_name),
        ("last_name", cleaned.last_names[index], contact.last_name),
    ):
        if new and new != old:
            changes.append(FieldChange(name, old, new))
    for name, value in cleaned.properties(index).items():
        old = contact.properties.get(name, "")
        if value != old:
            changes.append(FieldChange(name, old, value))
    return changes


def plan_import(
    cleaned: CleanedImport,
    *,
    lookup: Lookup,
    is_erased: Callable[[str], bool],
    confirmed_erased: frozenset[int] = frozenset(),
    dismissed_suggestions: frozenset[int] = frozenset(),
) -> Plan:
    """Decide each row's outcome.

    ``is_erased(key)`` says whether an address was erased (the workspace hashes the key
    with its tombstone salt). ``confirmed_erased`` holds row indexes for which the user
    confirmed a new, dated consent; ``dismissed_suggestions`` rows whose typo suggestion
    the user rejected (the address is kept as typed).
    """
    wanted = (
        cleaned.keys[i]
        for i in range(len(cleaned))
        if i not in cleaned.problems and i not in cleaned.duplicates and cleaned.keys[i]
    )
    existing = _existing(wanted, lookup)
    rows: list[ReviewRow] = []
    counts: Counter[Outcome] = Counter()
    numbers = cleaned.table.row_numbers
    for index in range(len(cleaned)):
        email = cleaned.emails[index]
        key = cleaned.keys[index]
        consent = cleaned.consent[index]
        base = partial(
            ReviewRow,
            index=index,
            row_number=numbers[index],
            email=email,
            consent=consent,
            role_address=index in cleaned.role_addresses,
        )
        problem = cleaned.problems.get(index)
        if problem is not None:
            row = base(outcome=Outcome.INVALID, reason=problem)
        elif index in cleaned.duplicates:
            first = numbers[cleaned.duplicates[index]]
            row = base(
                outcome=Outcome.DUPLICATE,
                reason=f"Same address as row {first}.",
                duplicate_of_row=first,
            )
        else:
            contact = existing.get(key)
            row = _decide(
                cleaned,
                index,
                contact,
                erased=contact is None and is_erased(key),
                confirmed_erased=confirmed_erased,
                dismissed=dismissed_suggestions,
                base=base,
            )
        rows.append(row)
        counts[row.outcome] += 1
    return Plan(rows, counts)


def _decide(
    cleaned: CleanedImport,
    index: int,
    contact: ExistingContact | None,
    *,
    erased: bool,
    confirmed_erased: frozenset[int],
    dismissed: frozenset[int],
    base: Callable[..., ReviewRow],
) -> ReviewRow:
    consent = cleaned.consent[index]
    when = cleaned.consent_at[index]
    suggestion = cleaned.suggestions.get(index)
    if suggestion is not None and index not in dismissed:
        return base(
            outcome=Outcome.TYPO_SUGGESTION,
            reason=f"Did you mean {suggestion}?",
            suggestion=suggestion,
        )
    confirmed = index in confirmed_erased and consent is ConsentState.GRANTED and when is not None
    if erased and not confirmed:
        return base(
            outcome=Outcome.BLOCKED_ERASED,
            reason="This person was erased on request; confirm a new, dated consent to add "
            "them again.",
        )
    if contact is None:
        if consent in (ConsentState.GRANTED, ConsentState.WITHDRAWN):
            return base(outcome=Outcome.NEW, record_consent=True)
        reason = "No consent in this row."
        if consent is ConsentState.UNRECOGNISED:
            reason = "The consent value is not one of the known yes/no values."
        return base(outcome=Outcome.SKIPPED_NO_CONSENT, reason=reason)
    changes = _changes(cleaned, index, contact)
    record, note = _consent_change(consent, when, contact)
    if record:
        changes.append(FieldChange("consent", contact.consent_status, consent.value))
    if changes:
        return base(
            outcome=Outcome.UPDATE,
            changes=tuple(changes),
            record_consent=record,
            reason=note,
        )
    return base(outcome=Outcome.UNCHANGED, reason=note)


def _consent_change(
    consent: ConsentState, when: datetime | None, contact: ExistingContact
) -> tuple[bool, str]:
    """Whether the row adds a ledger record to an existing contact, and a note if not."""
    if consent is ConsentState.WITHDRAWN:
        return contact.consent_status != "withdrawn", ""
    if consent is not ConsentState.GRANTED:
        return False, ""
    if contact.consent_status == "withdrawn":
        if when is None or contact.consent_at is None or when <= contact.consent_at:
            return False, "Consent not restored: it was withdrawn after (or without a date"
            " before) this grant."
        return True, ""
    if contact.consent_status == "granted":
        return False, ""
    return True, ""
