"""The workspace's activity, as the Activity page and its CSV export read it: every entry of
the journal (imports, edits, bulk actions, exports, erasures, undos), newest first, filtered
by kind, words and dates, and whether one can still be undone.

Pages are read by id (``before``: the id of the last entry shown), not by offset, so the
thousandth page of a long history costs what the first does.

Who did it: the journal keeps the login name of whoever was at the keyboard (``actor``); the
profile is the workspace's own (one workspace per profile, `AppPaths.workspace_file`), so it
is said once for the whole history and written beside every row of an export.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from mjdesk.core import wording
from mjdesk.core.exporting import is_same_file, write_csv
from mjdesk.core.history import UNDOABLE, later_step
from mjdesk.core.work import UserError

PAGE = 200
"""Entries read at a time."""

KIND_LABELS = {
    "import": "Import",
    "undo": "Undo",
    "redo": "Redo",
    "add": "Contacts added",
    "edit": "Edit",
    "export": "Export",
    "erase": "Erasure",
    "withdraw_consent": "Consent withdrawn",
    "expire_consent": "Consent expired",
    "record_consent": "Consent recorded",
    "add_to_list": "Added to list",
    "remove_from_list": "Removed from list",
    "fix_typos": "Typos fixed",
    "merge_contacts": "Merge",
    "delete_contacts": "Delete",
    "edit_contact": "Contact edited",
    "practice": "Practice data",
    "pull": "Pull from Mailjet",
    "push": "Push to Mailjet",
}
"""How the page names the kinds it knows; another kind is shown by its own name."""

EXPORT_HEADER = (
    "id",
    "when (UTC)",
    "who",
    "profile",
    "kind",
    "what",
    "how many",
    "undone at (UTC)",
    "undone by entry",
    "details",
)


def kind_label(action: str) -> str:
    """'import' as 'Import', 'bulk_withdraw' as 'Bulk withdraw'."""
    return KIND_LABELS.get(action) or action.replace("_", " ").capitalize()


class ActivityFilter(NamedTuple):
    """Which entries to show. Empty ``actions``: every kind; ``text`` is looked for in what
    was done and who did it (any case); ``since`` and ``until`` are stored time stamps (UTC,
    ISO 8601), ``since`` included, ``until`` not."""

    actions: tuple[str, ...] = ()
    text: str = ""
    since: str | None = None
    until: str | None = None

    def where(self) -> tuple[str, list[object]]:
        """The SQL condition over ``activity`` and its parameters."""
        clauses: list[str] = []
        params: list[object] = []
        if self.actions:
            clauses.append(f"action IN ({', '.join('?' for _ in self.actions)})")
            params.extend(self.actions)
        text = self.text.strip()
        if text:
            pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern += "%"
            clauses.append("(summary LIKE ? ESCAPE '\\' OR actor LIKE ? ESCAPE '\\')")
            params.extend((pattern, pattern))
        if self.since is not None:
            clauses.append("at >= ?")
            params.append(self.since)
        if self.until is not None:
            clauses.append("at < ?")
            params.append(self.until)
        return (" AND ".join(clauses) or "1"), params


class ActivityEntry(NamedTuple):
    """One row of the journal."""

    id: int
    at: str
    actor: str
    action: str
    summary: str
    how_many: int
    """The journal's ``count``: contacts (or entries) the step touched."""
    details: str
    """JSON, as stored (parsed only when asked for, by `detail`)."""
    undone_at: str | None
    undone_by: int | None

    @property
    def kind(self) -> str:
        return kind_label(self.action)

    @property
    def undoable_kind(self) -> bool:
        """Of a kind that can be undone and not undone yet (`undo_blocker` tells whether
        later work stands in the way)."""
        return self.action in UNDOABLE and self.undone_at is None

    def detail(self) -> dict[str, object]:
        try:
            parsed = json.loads(self.details)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}


_COLUMNS = "id, at, actor, action, summary, count, details, undone_at, undone_by"


def list_activity(
    con: sqlite3.Connection,
    where: ActivityFilter = ActivityFilter(),  # noqa: B008 - a NamedTuple, immutable
    *,
    before: int | None = None,
    limit: int = PAGE,
) -> list[ActivityEntry]:
    """Up to ``limit`` entries that match, newest first, older than entry ``before``."""
    condition, params = where.where()
    if before is not None:
        condition += " AND id < ?"
        params.append(before)
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM activity WHERE {condition} ORDER BY id DESC LIMIT ?",
        (*params, limit),
    )
    return [ActivityEntry(*row) for row in rows]


def count_activity(con: sqlite3.Connection, where: ActivityFilter = ActivityFilter()) -> int:  # noqa: B008
    condition, params = where.where()
    return int(
        con.execute(f"SELECT count(*) FROM activity WHERE {condition}", params).fetchone()[0]
    )


def activity_kinds(con: sqlite3.Connection) -> list[str]:
    """The kinds of entry this workspace holds, for the page's kind filter."""
    return [str(row[0]) for row in con.execute("SELECT DISTINCT action FROM activity ORDER BY 1")]


def undo_blocker(con: sqlite3.Connection, activity_id: int) -> str | None:
    """Why entry ``activity_id`` cannot be undone now, in a sentence; None when it can be
    tried (the undo itself checks the rest of its own kind's rules, and may still refuse)."""
    row = con.execute(
        "SELECT action, summary, undone_at FROM activity WHERE id = ?", (activity_id,)
    ).fetchone()
    if row is None:
        return "This entry is no longer in the workspace's history."
    action, summary, undone_at = row
    if undone_at is not None:
        return f"“{summary}” was already undone on {when_text(undone_at)}."
    if action == "undo":
        return "An undo is taken back with Edit › Redo."
    if action == "redo":
        return "A redo is taken back with Edit › Undo."
    if action not in UNDOABLE:
        return f"{kind_label(action)} entries cannot be undone."
    later = later_step(con, activity_id)
    if later is not None:
        later_summary, actor, when, count = later
        return (
            f"“{summary}” cannot be undone now: {wording.count(count, 'contact')} it changed "
            f"were changed again later by “{later_summary}” ({actor}, {when_text(when)}). "
            "Undo that first."
        )
    return None


def when_text(iso: str) -> str:
    """'2025-06-01T10:22:03Z' as '2025-06-01 10:22' (UTC, as stored)."""
    return iso.replace("T", " ")[:16]


def export_activity(
    con: sqlite3.Connection,
    where: ActivityFilter,
    target: Path,
    *,
    profile: str,
    workspace: Path,
) -> int:
    """Write the entries that match to ``target`` as CSV (newest first; cells that a
    spreadsheet would run are neutralised); returns how many. Refuses to write over the
    workspace itself."""
    for part in (workspace, *(workspace.with_name(workspace.name + e) for e in ("-wal", "-shm"))):
        if is_same_file(target, part):
            raise UserError(
                f"{target.name} is this profile's workspace. Writing the export over it would "
                "destroy your contacts; choose another name."
            )
    written = 0

    def rows() -> Iterator[tuple[object, ...]]:
        nonlocal written
        before = None
        while True:
            page = list_activity(con, where, before=before, limit=5_000)
            for entry in page:
                written += 1
                yield (
                    entry.id,
                    entry.at,
                    entry.actor,
                    profile,
                    entry.action,
                    entry.summary,
                    entry.how_many,
                    entry.undone_at or "",
                    entry.undone_by or "",
                    entry.details,
                )
            if len(page) < 5_000:
                return
            before = page[-1].id

    write_csv(target, EXPORT_HEADER, rows())
    return written
