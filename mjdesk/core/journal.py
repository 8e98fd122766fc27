"""The activity journal: who did what, when, to how many contacts. The base for undo."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass

from mjdesk.core.clock import now_iso


@dataclass(frozen=True)
class Activity:
    """One journal entry."""

    id: int
    at: str
    actor: str
    action: str
    summary: str
    count: int
    undone_at: str | None


def record_activity(
    con: sqlite3.Connection,
    *,
    actor: str,
    action: str,
    summary: str,
    count: int = 0,
    details: Mapping[str, object] | None = None,
) -> int:
    """Append an entry (inside the action's own transaction); returns its id."""
    cursor = con.execute(
        "INSERT INTO activity (at, actor, action, summary, count, details) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (now_iso(), actor, action, summary, count, json.dumps(dict(details or {}))),
    )
    return int(cursor.lastrowid or 0)


def remember_before(con: sqlite3.Connection, activity_id: int, contact_id: int) -> None:
    """Keep a contact's row as it is now, so ``activity_id`` can be undone later.

    Call before changing the contact. A contact the activity creates needs no copy:
    undo knows it by the missing one (``before`` is NULL).
    """
    con.execute(
        "INSERT OR IGNORE INTO activity_changes (activity_id, contact_id, before) "
        "SELECT ?, id, json_object('email', email, 'first_name', first_name, "
        "'last_name', last_name, 'properties', json(properties), 'flags', flags) "
        "FROM contacts WHERE id = ?",
        (activity_id, contact_id),
    )


def remember_created(con: sqlite3.Connection, activity_id: int, contact_id: int) -> None:
    con.execute(
        "INSERT OR IGNORE INTO activity_changes (activity_id, contact_id, before) "
        "VALUES (?, ?, NULL)",
        (activity_id, contact_id),
    )


def recent_activity(con: sqlite3.Connection, limit: int = 100) -> list[Activity]:
    rows = con.execute(
        "SELECT id, at, actor, action, summary, count, undone_at FROM activity "
        "ORDER BY id DESC LIMIT ?",
        (limit,),
    )
    return [Activity(*row) for row in rows]
