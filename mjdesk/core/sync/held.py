"""What Mailjet holds about one person, for a GDPR access request: read from Mailjet when
it can be reached (`mjdesk.mailjet.held`), else as the last pull saw it, and said so."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from mjdesk.core.addresses import email_key


@dataclass(frozen=True)
class MailjetHeld:
    """One person's record in Mailjet."""

    source: str
    """Where this comes from: "Mailjet, read now" or "the last pull (…); Mailjet was not
    reached: …"."""
    contact: dict[str, object] = field(default_factory=dict)
    """The contact's own fields (ID, address, name, exclusion, spam complaint, dates)."""
    properties: dict[str, object] = field(default_factory=dict)
    lists: list[dict[str, object]] = field(default_factory=list)
    """Each list: name, subscribed or unsubscribed, since when."""


def pulled_held(con: sqlite3.Connection, email: str, why: str) -> MailjetHeld | None:
    """What the last pull saw of the person at ``email`` (None when it saw nothing), with
    ``why`` Mailjet itself was not read."""
    row = con.execute(
        "SELECT mailjet_id, email, is_excluded, is_spam, hard_bounced_at, properties, "
        "pulled_at FROM mailjet_contacts WHERE email_key = ? AND NOT is_anonymized",
        (email_key(email),),
    ).fetchone()
    if row is None:
        return None
    ident, address, excluded, spam, bounced, properties, pulled = row
    lists = [
        {"list": name, "status": status, "since": since or ""}
        for name, status, since in con.execute(
            "SELECT l.name, s.mailjet_status, s.mailjet_changed_at FROM memberships s "
            "JOIN lists l ON l.id = s.list_id JOIN contacts c ON c.id = s.contact_id "
            "WHERE c.email_key = ? AND s.mailjet_status IN ('subscribed', 'unsubscribed') "
            "ORDER BY l.name",
            (email_key(email),),
        )
    ]
    return MailjetHeld(
        f"the last pull ({pulled}); Mailjet itself was not read: {why}",
        {
            "ID": ident,
            "Email": address,
            "IsExcludedFromCampaigns": bool(excluded),
            "IsSpamComplaining": bool(spam),
            "HardBouncedAt": bounced or "",
        },
        json.loads(properties),
        lists,
    )
