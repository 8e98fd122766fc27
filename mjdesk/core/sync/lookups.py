"""People a push would add whom no pull has seen in Mailjet, and what Mailjet turned out to
know of them (`mjdesk.mailjet.suppression` reads it).

A pull reads the target list's members only, so someone excluded from campaigns, with a
permanent bounce or a spam complaint in Mailjet, but not on that list yet, is unknown to the
workspace and would be planned as an add. What Mailjet knows of them is kept beside what the
pulls keep (``mailjet_contacts``), so the plan blocks them for that reason, and the Contacts
page flags them, as it does the list's members.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from mjdesk.core.addresses import email_key
from mjdesk.core.clock import now_iso
from mjdesk.core.flags import flags_outdated, refresh_sync_flags


@dataclass(frozen=True)
class Known:
    """A person as Mailjet holds them, found outside the target list."""

    mailjet_id: int
    email: str
    is_excluded: bool
    is_spam: bool
    hard_bounced_at: str | None


def unknown_members(con: sqlite3.Connection, list_id: int) -> list[str]:
    """The addresses of the list's members (subscribed here) of whom no pull or lookup has
    kept anything from Mailjet: those a plan may add without knowing their state there."""
    return [
        str(email)
        for (email,) in con.execute(
            "SELECT c.email FROM memberships s JOIN contacts c ON c.id = s.contact_id "
            "WHERE s.list_id = ? AND s.status = 'subscribed' AND NOT EXISTS "
            "(SELECT 1 FROM mailjet_contacts m WHERE m.email_key = c.email_key) "
            "ORDER BY c.id",
            (list_id,),
        )
    ]


def _checked_key(list_id: int) -> str:
    return f"mailjet_checked_list_{int(list_id)}"


def checked_since_last_change(con: sqlite3.Connection, list_id: int) -> bool:
    """Whether the list's unknown members were looked up in Mailjet after the workspace's
    last change (its latest activity entry): then a push right after a pull need not ask
    again."""
    row = con.execute("SELECT value FROM meta WHERE key = ?", (_checked_key(list_id),)).fetchone()
    latest = con.execute("SELECT coalesce(max(id), 0) FROM activity").fetchone()[0]
    return row is not None and int(row[0]) == int(latest)


def mark_checked(con: sqlite3.Connection, list_id: int) -> None:
    """The list's unknown members were just looked up (as of the latest activity entry)."""
    con.execute(
        "INSERT OR REPLACE INTO meta (key, value) SELECT ?, coalesce(max(id), 0) FROM activity",
        (_checked_key(list_id),),
    )


def record_known(con: sqlite3.Connection, found: Sequence[Known]) -> int:
    """Keep what Mailjet knows of these people (in the caller's transaction), their sync
    flags set again; how many of them Mailjet blocks (excluded, bounced, complained).

    Their properties are not read: ``updated_at`` stays empty, so the next pull that meets
    them reads them."""
    current = not flags_outdated(con)
    con.executemany(
        "INSERT INTO mailjet_contacts (mailjet_id, email_key, email, is_excluded, is_spam, "
        "hard_bounced_at, pulled_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (mailjet_id) DO UPDATE SET is_excluded = excluded.is_excluded, "
        "is_spam = excluded.is_spam, "
        "hard_bounced_at = coalesce(excluded.hard_bounced_at, mailjet_contacts.hard_bounced_at)",
        [
            (
                k.mailjet_id,
                email_key(k.email),
                k.email,
                int(k.is_excluded),
                int(k.is_spam),
                k.hard_bounced_at,
                now_iso(),
            )
            for k in found
        ],
    )
    keys = sorted({email_key(k.email) for k in found})
    con.execute("CREATE TEMP TABLE IF NOT EXISTS known_keys (key TEXT PRIMARY KEY)")
    con.execute("DELETE FROM temp.known_keys")
    con.executemany("INSERT OR IGNORE INTO temp.known_keys VALUES (?)", [(k,) for k in keys])
    refresh_sync_flags(
        con,
        "SELECT c.id FROM contacts c JOIN temp.known_keys k ON k.key = c.email_key",
        was_current=current,
    )
    return sum(1 for k in found if k.is_excluded or k.is_spam or k.hard_bounced_at is not None)
