"""The lists of a workspace as the Lists page shows them: each local list, the Mailjet list
it is linked to, and its members counted by subscription state."""

from __future__ import annotations

import sqlite3
from typing import NamedTuple


class ListOverview(NamedTuple):
    """One list and its counts."""

    list_id: int
    name: str
    mailjet_id: int | None
    pulled_at: str | None
    members: int
    subscribed: int
    unsubscribed: int
    """Unsubscribed here or in Mailjet: never mailed by this list."""
    never_synced: int
    """Members a linked list has here that Mailjet's list does not have yet."""
    removed: int
    """Members Mailjet's list no longer holds (taken out there)."""

    @property
    def linked(self) -> bool:
        return self.mailjet_id is not None


_OVERVIEW = """
    SELECT l.id, l.name, l.mailjet_id, l.pulled_at, count(s.contact_id),
        total(s.status = 'subscribed' AND coalesce(s.mailjet_status, '') NOT IN
            ('unsubscribed', 'removed')),
        total(s.status = 'unsubscribed' OR s.mailjet_status = 'unsubscribed'),
        total(l.mailjet_id IS NOT NULL AND s.mailjet_status IS NULL
            AND s.status = 'subscribed'),
        total(s.mailjet_status = 'removed')
    FROM lists l LEFT JOIN memberships s ON s.list_id = l.id
    GROUP BY l.id ORDER BY l.name COLLATE NOCASE
"""


def list_overview(con: sqlite3.Connection) -> list[ListOverview]:
    """Every list of the workspace, by name."""
    return [
        ListOverview(
            int(ident),
            str(name),
            None if mailjet is None else int(mailjet),
            pulled,
            int(members),
            int(subscribed),
            int(unsubscribed),
            int(never),
            int(removed),
        )
        for ident, name, mailjet, pulled, members, subscribed, unsubscribed, never, removed in (
            con.execute(_OVERVIEW)
        )
    ]
