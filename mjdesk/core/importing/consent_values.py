"""How consent is shown in a file: the words that mean yes, no or withdrawn, and the spec
the user gives for one import (a column, or "every row consented" with its wording).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum

from mjdesk.core.importing.dates import DateOrder
from mjdesk.core.work import UserError


class ConsentState(Enum):
    """What one row says about consent."""

    GRANTED = "granted"
    WITHDRAWN = "withdrawn"
    NOT_GIVEN = "not_given"
    UNRECOGNISED = "unrecognised"
    """A value in none of the lists: treated as not given, and shown so the list can grow."""


def normalise_value(value: str) -> str:
    """A consent cell as compared: NFC, case-folded, single spaces, no trailing full stop."""
    text = unicodedata.normalize("NFKC", value).casefold()
    return re.sub(r"\s+", " ", text).strip().rstrip(".!…").strip()


_GRANTED = (
    "yes,y,true,1,x,✓,✔,☑,✅,ok,agreed,agree,accepted,accept,consented,consent,granted,"
    "given,opted in,opt-in,opt in,optin,subscribed,subscribe,on,checked,ticked,tick,ja,oui,"
    "si,sí,sim,tak,kyllä,да,はい,是"
)
_NOT_GIVEN = (
    "no,n,false,0,-,–,—,none,not given,not consented,declined,decline,off,unchecked,nein,"
    "non,nee,nej,nie,não,нет,いいえ,否,n/a,na"
)
_WITHDRAWN = (
    "withdrawn,withdrew,withdraw,unsubscribed,unsubscribe,opted out,opt-out,opt out,optout,"
    "revoked,removed"
)
_GRANTED_PREFIXES = (
    "i agree",
    "i consent",
    "i accept",
    "i would like",
    "yes",
    "agreed",
    "i'd like",
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split(","))


@dataclass(frozen=True)
class ConsentValues:
    """The editable lists of values that mean granted, withdrawn and not given.

    Values are compared after `normalise_value`. Text starting with a granted prefix
    ("I agree to receive...") counts as granted; an empty cell is not given.
    """

    granted: frozenset[str] = field(default_factory=lambda: _words(_GRANTED))
    not_given: frozenset[str] = field(default_factory=lambda: _words(_NOT_GIVEN))
    withdrawn: frozenset[str] = field(default_factory=lambda: _words(_WITHDRAWN))
    granted_prefixes: tuple[str, ...] = _GRANTED_PREFIXES

    def classify(self, value: str) -> ConsentState:
        """The state one cell gives."""
        text = normalise_value(value)
        if not text or text in self.not_given:
            return ConsentState.NOT_GIVEN
        if text in self.granted:
            return ConsentState.GRANTED
        if text in self.withdrawn:
            return ConsentState.WITHDRAWN
        if text.startswith(("i do not", "i don't", "no,", "no ")):
            return ConsentState.NOT_GIVEN
        if text.startswith(self.granted_prefixes):
            return ConsentState.GRANTED
        return ConsentState.UNRECOGNISED

    def classify_column(self, values: Iterable[str]) -> list[ConsentState]:
        """Every cell's state, working out each distinct value once."""
        values = values if isinstance(values, list) else list(values)
        states = {value: self.classify(value) for value in set(values)}
        return list(map(states.__getitem__, values))

    def with_value(self, value: str, state: ConsentState) -> ConsentValues:
        """A copy where ``value`` means ``state`` (the user teaching the list a new word)."""
        text = normalise_value(value)
        lists = {
            ConsentState.GRANTED: self.granted - {text},
            ConsentState.NOT_GIVEN: self.not_given - {text},
            ConsentState.WITHDRAWN: self.withdrawn - {text},
        }
        if state in lists:
            lists[state] = lists[state] | {text}
        return replace(
            self,
            granted=lists[ConsentState.GRANTED],
            not_given=lists[ConsentState.NOT_GIVEN],
            withdrawn=lists[ConsentState.WITHDRAWN],
        )

    def to_json(self) -> dict[str, list[str]]:
        """A plain form to keep in settings."""
        return {
            "granted": sorted(self.granted),
            "not_given": sorted(self.not_given),
            "withdrawn": sorted(self.withdrawn),
            "granted_prefixes": list(self.granted_prefixes),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, list[str]]) -> ConsentValues:
        default = cls()
        return cls(
            granted=frozenset(data.get("granted", default.granted)),
            not_given=frozenset(data.get("not_given", default.not_given)),
            withdrawn=frozenset(data.get("withdrawn", default.withdrawn)),
            granted_prefixes=tuple(data.get("granted_prefixes", default.granted_prefixes)),
        )


class ConsentMode(Enum):
    """Where consent comes from in one import."""

    COLUMN = "column"
    """A column says, row by row (the mapping's consent column)."""
    ALL_ROWS = "all_rows"
    """Every row consented (a sign-up form export): wording and source are then required."""
    NONE = "none"
    """The file says nothing about consent: new people are skipped, existing ones updated."""


class ConsentSpecError(UserError, ValueError):
    """The consent settings of an import are incomplete; ``user_message`` says what to add."""


@dataclass(frozen=True)
class ConsentSpec:
    """What the user states about consent for one import."""

    mode: ConsentMode = ConsentMode.COLUMN
    values: ConsentValues = field(default_factory=ConsentValues)
    wording: str = ""
    """The text people agreed to (required for ALL_ROWS, recorded in the ledger)."""
    source: str = ""
    """Where the consent was collected ("Open day sign-up form 2025")."""
    given_at: datetime | None = None
    """The consent date for rows without a date column value."""
    lawful_basis: str = "consent"
    date_order: DateOrder | None = None
    """The order of numeric dates in the consent date column, once the user has chosen."""

    def check(self) -> None:
        """Raise `ConsentSpecError` when the spec cannot be used as it is."""
        if self.mode is ConsentMode.ALL_ROWS:
            missing = [
                name
                for name, value in (
                    ("the wording they agreed to", self.wording),
                    ("where consent was collected", self.source),
                )
                if not value.strip()
            ]
            if missing:
                raise ConsentSpecError(
                    "When every row in the file consented, give " + " and ".join(missing) + "."
                )
