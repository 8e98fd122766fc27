"""The activity journal: who did what, when, to how many contacts. The base for undo."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping

from mjdesk.core.clock import now_iso


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
