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
from itertools import compress, count, repeat
from operator import attrgetter, is_

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
    """Every row's outcome, kept column-wise like `CleanedImport`; `row` gives one row."""

    cleaned: CleanedImport
    outcomes: list[Outcome]
    counts: Counter[Outcome]
    reasons: dict[int, str] = field(default_factory=dict)
    changes: dict[int, tuple[FieldChange, ...]] = field(default_factory=dict)
    record_consent: bytearray = field(default_factory=bytearray)
    """1 where committing adds a consent-ledger record for the row."""
    kept_consent: dict[int, str] = field(default_factory=dict)
    """For rows of existing contacts whose consent the import leaves as it is: that consent
    ('granted', 'withdrawn' or 'none'), which is what they have after the import, whatever
    the file says."""

    def consent_after(self, index: int) -> str:
        """The consent row ``index``'s person has after the import: 'granted', 'withdrawn'
        or 'none' (a row the import skips gets none from it)."""
        kept = self.kept_consent.get(index)
        if kept is not None:
            return kept
        state = self.cleaned.consent[index]
        if self.record_consent and self.record_consent[index]:
            return state.value
        return "none"

    def __len__(self) -> int:
        return len(self.outcomes)

    def row(self, index: int) -> ReviewRow:
        cleaned = self.cleaned
        first = cleaned.duplicates.get(index)
        return ReviewRow(
            index=index,
            row_number=cleaned.table.row_numbers[index],
            email=cleaned.emails[index],
            outcome=self.outcomes[index],
            reason=self.reasons.get(index, ""),
            changes=self.changes.get(index, ()),
            consent=cleaned.consent[index],
            record_consent=bool(self.record_consent[index]),
            duplicate_of_row=None if first is None else cleaned.table.row_numbers[first],
            suggestion=cleaned.suggestions.get(index)
            if self.outcomes[index] is Outcome.TYPO_SUGGESTION
            else None,
            role_address=index in cleaned.role_addresses,
        )

    @property
    def rows(self) -> list[ReviewRow]:
        """All rows as objects (for small files, reports and tests)."""
        return [self.row(i) for i in range(len(self))]

    def indexes_with(self, outcome: Outcome) -> list[int]:
        """The indexes of the rows with ``outcome``, in order (found in C)."""
        if not self.counts.get(outcome):
            return []
        return list(compress(count(), map(is_, self.outcomes, repeat(outcome))))

    def with_outcome(self, outcome: Outcome) -> list[ReviewRow]:
        return [self.row(i) for i in self.indexes_with(outcome)]


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


def no_contacts(keys: Sequence[str]) -> Mapping[str, ExistingContact]:
    """The `Lookup` of a workspace without contacts: the plan then asks nothing."""
    return {}


def never_erased(key: str) -> bool:
    """The ``is_erased`` of a workspace without erasures: the plan then asks nothing."""
    return False


_NO_CONTACT_OUTCOME = {
    ConsentState.GRANTED.value: Outcome.NEW,
    ConsentState.WITHDRAWN.value: Outcome.NEW,
    ConsentState.NOT_GIVEN.value: Outcome.SKIPPED_NO_CONSENT,
    ConsentState.UNRECOGNISED.value: Outcome.SKIPPED_NO_CONSENT,
}
_NO_CONSENT_REASON = {
    ConsentState.NOT_GIVEN.value: "No consent in this row.",
    ConsentState.UNRECOGNISED.value: "The consent value is not one of the known yes/no values.",
}
_ERASED_REASON = (
    "This person was erased on request; confirm a new, dated consent to add them again."
)


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
    with its tombstone salt); it is asked only for addresses with no contact. Rows in
    ``confirmed_erased`` are those for which the user confirmed a new, dated consent;
    ``dismissed_suggestions`` rows whose typo suggestion the user rejected (the address is
    then kept as typed).

    Every row starts as a row with no contact (new, or skipped for want of consent, worked
    out column-wise in C); then, from the weakest rule to the strongest, the rows an
    existing contact, an erasure, a typo suggestion, a duplicate or an invalid address
    decides are set one by one.
    """
    problems, duplicates, suggestions = cleaned.problems, cleaned.duplicates, cleaned.suggestions
    keys = cleaned.keys
    n = len(cleaned)
    states = list(map(attrgetter("_value_"), cleaned.consent))
    outcomes: list[Outcome] = list(map(_NO_CONTACT_OUTCOME.__getitem__, states))
    record = bytearray(map(is_, outcomes, repeat(Outcome.NEW)))
    reasons: dict[int, str] = {}
    changes: dict[int, tuple[FieldChange, ...]] = {}
    kept: dict[int, str] = {}
    typos = suggestions.keys() - dismissed_suggestions
    held = problems.keys() | duplicates.keys() | typos

    existing: Mapping[str, ExistingContact] = {}
    if lookup is not no_contacts:
        wanted = (keys[i] for i in range(n) if i not in problems and i not in duplicates)
        existing = _existing((key for key in wanted if key), lookup)
    known = list(compress(count(), map(existing.__contains__, keys))) if existing else []
    for index in known:
        if index in held:
            continue
        contact = existing[keys[index]]
        consent = cleaned.consent[index]
        found = _changes(cleaned, index, contact)
        adds, note = _consent_change(consent, cleaned.consent_at[index], contact)
        record[index] = adds
        if adds:
            found.append(FieldChange("consent", contact.consent_status, consent.value))
        else:
            kept[index] = contact.consent_status
        if note:
            reasons[index] = note
        if found:
            outcomes[index] = Outcome.UPDATE
            changes[index] = tuple(found)
        else:
            outcomes[index] = Outcome.UNCHANGED

    if is_erased is not never_erased:
        with_contact = set(known)
        for index in range(n):
            if index in held or index in with_contact or not is_erased(keys[index]):
                continue
            confirmed = (
                index in confirmed_erased
                and cleaned.consent[index] is ConsentState.GRANTED
                and cleaned.consent_at[index] is not None
            )
            if not confirmed:
                outcomes[index] = Outcome.BLOCKED_ERASED
                reasons[index] = _ERASED_REASON
                record[index] = 0

    for index in compress(count(), map(is_, outcomes, repeat(Outcome.SKIPPED_NO_CONSENT))):
        reasons[index] = _NO_CONSENT_REASON[states[index]]

    def hold(index: int, outcome: Outcome, reason: str) -> None:
        outcomes[index] = outcome
        reasons[index] = reason
        record[index] = 0
        changes.pop(index, None)

    numbers = cleaned.table.row_numbers
    for index in typos:  # the strongest rule last
        hold(index, Outcome.TYPO_SUGGESTION, f"Did you mean {suggestions[index]}?")
    for index, first in duplicates.items():
        hold(index, Outcome.DUPLICATE, f"Same address as row {numbers[first]}.")
    for index, problem in problems.items():
        hold(index, Outcome.INVALID, problem)
    counts = Counter({o: outcomes.count(o) for o in Outcome})
    return Plan(cleaned, outcomes, +counts, reasons, changes, record, kept)


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
