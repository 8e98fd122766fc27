"""The plan of a push: for each member of a list linked to Mailjet, what a push would do
and why, from three states: the contact here now (consent, list membership, flags), the
membership as both sides last agreed (``synced_status``), and Mailjet as the last pull saw
it (``mailjet_status``, ``mailjet_contacts``). Nothing is sent until the user confirms.

Suppression comes first: whoever unsubscribed, is excluded, bounced for good or
complained in Mailjet is blocked, whatever this workspace says; so is whoever has no
current consent here. Nobody is ever subscribed again by a sync.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from mjdesk.core.exporting import write_csv
from mjdesk.core.filters import retention_months, stale_before
from mjdesk.core.flags import Flag
from mjdesk.core.sync.consent_properties import NAMES, SharedConsent, latest_shared_on_list
from mjdesk.core.work import UserError


class Action(Enum):
    """What a push does for one contact, with the word the window shows."""

    ADD = ("add", "Add")
    UPDATE = ("update", "Update properties")
    UNSUBSCRIBE = ("unsubscribe", "Unsubscribe in Mailjet")
    ERASE = ("erase", "Erase in Mailjet")
    BLOCKED = ("blocked", "Blocked")
    NONE = ("none", "Nothing to do")

    def __init__(self, stored: str, label: str) -> None:
        self.stored = stored
        self.label = label


class Reason:
    """Why a contact is blocked (or unsubscribed), in the words the window shows."""

    UNSUBSCRIBED = "Unsubscribed in Mailjet"
    EXCLUDED = "Excluded in Mailjet"
    BOUNCED = "Hard bounce"
    SPAM = "Spam complaint"
    INVALID = "Invalid address"
    NO_CONSENT = "No consent"
    WITHDRAWN = "Consent withdrawn"
    STALE = "Consent too old"
    REMOVED = "Removed from the list in Mailjet"
    LEFT_LIST = "Unsubscribed from the list here"
    ERASED = "Erased here"
    IN_STEP = "Already in Mailjet as here"
    NEW_THERE = "Consented here, not in the Mailjet list yet"
    PROPERTIES = "Their consent in Mailjet's properties is not the one here"
    STILL_MAILED = " (still subscribed in Mailjet)"
    """Added to a reason a contact is blocked for while Mailjet still mails them."""


@dataclass(frozen=True)
class PlanRow:
    """One contact's part of the plan."""

    contact_id: int | None
    """None for an erasure: the person is gone from this workspace."""
    email: str
    mailjet_id: int | None
    action: Action
    reason: str
    properties: dict[str, str]
    """The consent properties an add or update sends."""


@dataclass(frozen=True)
class Plan:
    """The plan for one list."""

    list_id: int
    list_name: str
    mailjet_list_id: int
    pulled_at: str | None
    rows: list[PlanRow]

    def count(self, action: Action) -> int:
        return sum(1 for row in self.rows if row.action is action)

    def reasons(self) -> Counter[str]:
        """How many are blocked for each reason."""
        return Counter(row.reason for row in self.rows if row.action is Action.BLOCKED)

    @property
    def writes(self) -> int:
        """How many contacts a push would change in Mailjet."""
        return sum(1 for row in self.rows if row.action not in (Action.BLOCKED, Action.NONE))

    @property
    def still_mailed(self) -> int:
        """Blocked contacts whom Mailjet still has subscribed (no current consent here)."""
        return sum(1 for row in self.rows if row.reason.endswith(Reason.STILL_MAILED))

    def summary(self) -> str:
        parts = [
            f"{self.count(action):,} {words}"
            for action, words in (
                (Action.ADD, "to add"),
                (Action.UPDATE, "to update"),
                (Action.UNSUBSCRIBE, "to unsubscribe in Mailjet"),
                (Action.ERASE, "to erase in Mailjet"),
            )
            if self.count(action)
        ]
        blocked = self.count(Action.BLOCKED)
        if blocked:
            mailed = self.still_mailed
            parts.append(
                f"{blocked:,} blocked"
                + (f" ({mailed:,} of them still subscribed in Mailjet)" if mailed else "")
            )
        if not parts:
            return f"“{self.list_name}”: nothing to send; Mailjet is in step."
        return f"“{self.list_name}”: " + ", ".join(parts) + "."


class NotLinked(UserError):
    """The list is not linked to a Mailjet list (never pulled)."""


_MEMBERS = """
    SELECT c.id, c.email, c.consent_status, c.consent_at, s.status, s.mailjet_status,
        s.synced_status, m.mailjet_id, m.is_excluded, m.is_spam, m.hard_bounced_at,
        m.properties,
        EXISTS (SELECT 1 FROM contact_flags f WHERE f.flag = ? AND f.contact_id = c.id)
    FROM memberships s
    JOIN contacts_with_consent c ON c.id = s.contact_id
    LEFT JOIN mailjet_contacts m ON m.email_key = c.email_key AND NOT m.is_anonymized
    WHERE s.list_id = ?
    ORDER BY c.id
"""


def make_plan(con: sqlite3.Connection, list_name: str) -> Plan:
    """The plan for the list ``list_name`` (`NotLinked` if no pull linked it to Mailjet)."""
    row = con.execute(
        "SELECT id, name, mailjet_id, pulled_at FROM lists WHERE name = ?", (list_name,)
    ).fetchone()
    if row is None:
        raise UserError(f"There is no list “{list_name}” in this workspace.")
    list_id, name, mailjet_list, pulled_at = row
    if mailjet_list is None:
        raise NotLinked(
            f"“{name}” is not linked to a Mailjet list yet. Pull it first (a list of the "
            "same name in Mailjet is linked by the pull)."
        )
    cutoff = stale_before(retention_months(con))
    shared = latest_shared_on_list(con, list_id)
    rows = [
        _decide(member, cutoff, shared)
        for member in con.execute(_MEMBERS, (Flag.INVALID.stored, list_id)).fetchall()
    ]
    rows += [
        PlanRow(None, "", int(mailjet_id), Action.ERASE, Reason.ERASED, {})
        for (mailjet_id,) in con.execute(
            "SELECT mailjet_id FROM mailjet_erasures WHERE done_at IS NULL ORDER BY mailjet_id"
        )
    ]
    return Plan(int(list_id), str(name), int(mailjet_list), pulled_at, rows)


def _decide(
    member: tuple[object, ...], cutoff: str, latest: Mapping[int, SharedConsent]
) -> PlanRow:
    (
        contact_id,
        email,
        consent,
        consent_at,
        status,
        remote,
        _synced,
        mailjet_id,
        excluded,
        spam,
        bounced,
        remote_properties,
        invalid,
    ) = member
    ident = int(str(contact_id))
    jet = None if mailjet_id is None else int(str(mailjet_id))

    def row(action: Action, reason: str = "", properties: dict[str, str] | None = None) -> PlanRow:
        return PlanRow(ident, str(email), jet, action, reason, properties or {})

    remote_subscribed = remote == "subscribed"
    if consent == "withdrawn" or status == "unsubscribed":
        why = Reason.WITHDRAWN if consent == "withdrawn" else Reason.LEFT_LIST
        if remote_subscribed:
            # (the withdrawal travels in the properties too: colleagues' pulls record it)
            shared = latest.get(ident) if consent == "withdrawn" else None
            return row(Action.UNSUBSCRIBE, why, shared.as_properties() if shared else None)
        if consent != "withdrawn" and remote == "unsubscribed":
            why = Reason.UNSUBSCRIBED  # (they did it in Mailjet; the pull followed)
        return row(Action.BLOCKED, why)  # (never mailed: nothing to send)
    for blocked, why in (
        (remote == "unsubscribed", Reason.UNSUBSCRIBED),
        (bool(excluded), Reason.EXCLUDED),
        (bounced is not None, Reason.BOUNCED),
        (bool(spam), Reason.SPAM),
        (bool(invalid), Reason.INVALID),
        (consent != "granted", Reason.NO_CONSENT),
        (str(consent_at or "") < cutoff, Reason.STALE),
        (remote == "removed", Reason.REMOVED),
    ):
        if blocked:
            # (said plainly: Mailjet keeps mailing them, whatever the plan)
            mailed = remote_subscribed and why in (Reason.INVALID, Reason.NO_CONSENT, Reason.STALE)
            return row(Action.BLOCKED, why + (Reason.STILL_MAILED if mailed else ""))
    shared = latest.get(ident)
    wanted = shared.as_properties() if shared is not None else {}
    if not remote_subscribed:
        return row(Action.ADD, Reason.NEW_THERE, wanted)
    if _differs(wanted, str(remote_properties or "{}")):
        return row(Action.UPDATE, Reason.PROPERTIES, wanted)
    return row(Action.NONE, Reason.IN_STEP)


def _differs(wanted: dict[str, str], pulled: str) -> bool:
    """Whether Mailjet's consent properties (as pulled) differ from those wanted."""
    have = {str(k).lower(): "" if v is None else str(v) for k, v in json.loads(pulled).items()}
    return any(have.get(name, "") != wanted.get(name, "") for name in NAMES)


def write_plan_csv(plan: Plan, path: Path) -> Path:
    """The plan as CSV (address, action, reason, Mailjet id), for the record; cells a
    spreadsheet would run are neutralised."""
    return write_csv(
        path,
        ["email", "action", "reason", "mailjet_id"],
        ([row.email, row.action.label, row.reason, row.mailjet_id or ""] for row in plan.rows),
    )
