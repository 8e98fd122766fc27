"""Undo and redo any step of the workspace history, by its activity.

Each kind of step has its own undo (an import's knows its batch and consent records); redo
is always the same: put back the before images its undo kept (`mjdesk.core.history`). Both
refuse, with a sentence that says what to do, when later work depends on the step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from mjdesk.core.bulk import BULK_ROWS
from mjdesk.core.changes import IMPORTED, Changes
from mjdesk.core.clock import current_user, now_iso
from mjdesk.core.edits import refresh_after, undo_edit
from mjdesk.core.flags import flags_outdated
from mjdesk.core.history import (
    EDIT_ACTIONS,
    image_conflicts,
    last_new_work,
    later_step,
    put_back,
    step_size,
)
from mjdesk.core.importing.undo import UndoRefused, undo_import
from mjdesk.core.journal import record_activity
from mjdesk.core.workspace import Workspace


@dataclass(frozen=True)
class StepResult:
    """What an undo or a redo did, in a sentence for the status bar, and what it changed."""

    activity_id: int
    message: str
    changes: Changes


def undo_step(workspace: Workspace, activity_id: int, *, actor: str | None = None) -> StepResult:
    """Undo step ``activity_id`` (`UndoRefused` says why it cannot be)."""
    kind, batch = _kind(workspace, activity_id)
    if kind in EDIT_ACTIONS:
        edit = undo_edit(workspace, activity_id, actor=actor)
        return StepResult(activity_id, edit.message, edit.changes)
    if kind != "import" or batch is None:
        raise UndoRefused(f"Step {activity_id} cannot be undone.")
    result = undo_import(workspace, batch, actor=actor)
    return StepResult(
        activity_id,
        f"Import undone: {result.removed:,} contacts removed, {result.restored:,} restored.",
        IMPORTED,
    )


def redo_step(workspace: Workspace, activity_id: int, *, actor: str | None = None) -> StepResult:
    """Do step ``activity_id`` again after its undo, exactly as it was (same contacts, same
    consent records), unless later work stands in the way."""
    actor = actor or current_user()
    with workspace.transaction() as con:
        row = con.execute(
            "SELECT a.action, a.summary, a.undone_by, u.undone_at, u.details "
            "FROM activity a LEFT JOIN activity u ON u.id = a.undone_by WHERE a.id = ?",
            (activity_id,),
        ).fetchone()
        if row is None or row[2] is None:
            raise UndoRefused("There is nothing to redo: that step is not undone.")
        action, summary, undo_id, redone, details_text = row
        if redone is not None:
            raise UndoRefused("That step was already done again.")
        current = not flags_outdated(con)
        later = later_step(con, undo_id)
        if later is not None:
            raise UndoRefused(
                f"“{summary}” cannot be done again: {later[3]:,} of its contacts were changed "
                f"since by “{later[0]}”. Undo that first."
            )
        readded, taken = image_conflicts(con, undo_id)
        if readded or taken:
            raise UndoRefused(
                f"“{summary}” cannot be done again: since its undo, "
                + (
                    f"{readded:,} of its addresses were added again"
                    if readded
                    else f"{taken:,} consent records took the numbers of its own"
                )
                + "."
            )
        details = json.loads(details_text or "{}")
        ledger_only = bool(details.get("ledger_only"))
        con.executemany(
            "INSERT INTO lists (id, name, mailjet_id, created_at) VALUES (?, ?, ?, ?)",
            [tuple(made_list) for made_list in details.get("lists_removed", [])],
        )
        if last_new_work(con) > undo_id:
            raise UndoRefused(
                f"“{summary}” cannot be done again: other work was done since it was undone."
            )
        if step_size(con, undo_id) >= BULK_ROWS:
            workspace.checkpoint_later()
        _deleted, made, restored = put_back(con, undo_id, ledger_only=ledger_only)
        con.executemany(
            "INSERT OR IGNORE INTO property_types (name, datatype) VALUES (?, ?)",
            [tuple(pair) for pair in details.get("property_types", [])],
        )
        now = now_iso()
        redo_id = record_activity(
            con,
            actor=actor,
            action="redo",
            summary=f"Redo: {summary}",
            count=made + restored,
            details={"redid_activity": activity_id, "undo_activity": undo_id},
        )
        con.execute(
            "UPDATE activity SET undone_at = ?, undone_by = ? WHERE id = ?",
            (now, redo_id, undo_id),
        )
        con.execute(
            "UPDATE activity SET undone_at = NULL, undone_by = NULL WHERE id = ?", (activity_id,)
        )
        if action == "import":
            con.execute(
                "UPDATE import_batches SET undone_at = NULL WHERE activity_id = ?", (activity_id,)
            )
        else:
            refresh_after(
                con,
                str(details.get("flags", "all")),
                among=f"SELECT contact_id FROM activity_changes WHERE activity_id = {int(undo_id)}",
                was_current=current,
            )
    if action == "import":
        return StepResult(
            activity_id, f"Redone: {made:,} contacts back, {restored:,} changed again.", IMPORTED
        )
    return StepResult(
        activity_id,
        f"Redone: {summary}.",
        Changes(contacts_added_or_removed=True, lists=True, activity=True, flags=True),
    )


def _kind(workspace: Workspace, activity_id: int) -> tuple[str, int | None]:
    with workspace.reading() as con:
        row = con.execute(
            "SELECT a.action, b.id FROM activity a "
            "LEFT JOIN import_batches b ON b.activity_id = a.id WHERE a.id = ?",
            (activity_id,),
        ).fetchone()
    if row is None:
        raise UndoRefused(f"There is no step {activity_id} in this workspace's history.")
    return str(row[0]), (int(row[1]) if row[1] is not None else None)
