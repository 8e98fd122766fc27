"""Undoing an import, right after it or later (also after a restart), and the list of imports.

Undo puts the workspace back exactly as it was before the import: the contacts it created
are deleted with their consent records (released through ``ledger_release``, the one
sanctioned way to remove ledger rows), the contacts it updated get their rows back from
``activity_changes``, the batch's other ledger records are removed, the property types it
introduced go if nothing uses them, the batch is marked undone and an 'undo' activity is
recorded. It refuses, with a message that says what to do, when something done later and
not undone touched the same contacts: undoing then would throw that work away.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass

from mjdesk.core.bulk import (
    BULK_ROWS,
    DELETE_TRIGGERS,
    LEDGER_DELETE_TRIGGERS,
    bulk_cache,
    indexes_suspended,
    triggers_suspended,
)
from mjdesk.core.clock import current_user, now_iso
from mjdesk.core.history import keep_images, later_step, restore_changed
from mjdesk.core.importing.errors import CommitError
from mjdesk.core.journal import record_activity
from mjdesk.core.schema import CONSENT_LATEST
from mjdesk.core.workspace import Workspace


class UndoRefused(CommitError):
    """This import cannot be undone (already undone, or later work depends on it)."""


@dataclass(frozen=True)
class ImportSummary:
    """One line of the imports list."""

    batch_id: int
    activity_id: int | None
    file_name: str
    file_sha256: str
    sheet: str | None
    imported_by: str
    imported_at: str
    counts: Mapping[str, int]
    undone_at: str | None

    @property
    def added(self) -> int:
        return int(self.counts.get("added", 0))

    @property
    def updated(self) -> int:
        return int(self.counts.get("updated", 0))

    @property
    def undoable(self) -> bool:
        """Recorded for undo and not undone yet (`check_undo` tells whether it may be now)."""
        return self.activity_id is not None and self.undone_at is None


@dataclass(frozen=True)
class UndoResult:
    """What an undo did."""

    batch_id: int
    activity_id: int
    """The 'undo' activity entry."""
    removed: int
    """Contacts the import had created, now deleted."""
    restored: int
    """Contacts the import had updated, now as they were."""
    ledger_removed: int


def list_imports(con: sqlite3.Connection, limit: int | None = None) -> list[ImportSummary]:
    """Every import batch, newest first."""
    sql = (
        "SELECT id, activity_id, file_name, file_sha256, sheet, imported_by, imported_at, "
        "counts, undone_at FROM import_batches ORDER BY id DESC"
    )
    rows = con.execute(
        sql + (" LIMIT ?" if limit is not None else ""), ((limit,) if limit is not None else ())
    )
    out = []
    for batch, activity, name, sha, sheet, who, when, counts, undone in rows:
        try:
            parsed = json.loads(counts)
        except ValueError:
            parsed = {}
        out.append(
            ImportSummary(
                batch,
                activity,
                name,
                sha,
                sheet,
                who,
                when,
                {str(k): int(v) for k, v in parsed.items() if isinstance(v, int)},
                undone,
            )
        )
    return out


@dataclass(frozen=True)
class UndoTarget:
    batch_id: int
    activity_id: int
    file_name: str
    imported_at: str
    ledger_mark: int
    new_property_types: list[str]


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def check_undo(con: sqlite3.Connection, batch_id: int) -> UndoTarget:
    """Raise `UndoRefused` (saying why, and what to do) unless the import can be undone."""
    row = con.execute(
        "SELECT b.activity_id, b.file_name, b.imported_at, b.undone_at, a.details "
        "FROM import_batches b LEFT JOIN activity a ON a.id = b.activity_id WHERE b.id = ?",
        (batch_id,),
    ).fetchone()
    if row is None:
        raise UndoRefused(f"There is no import number {batch_id} in this workspace.")
    activity_id, name, at, undone_at, details_text = row
    if undone_at is not None:
        raise UndoRefused(f"The import of {name} ({at}) was already undone on {undone_at}.")
    if activity_id is None or details_text is None:
        raise UndoRefused(
            f"The import of {name} ({at}) was not recorded with what undo needs, so it "
            "cannot be undone."
        )
    details = json.loads(details_text)
    later = later_step(con, activity_id)
    if later is not None:
        summary, actor, when, count = later
        raise UndoRefused(
            f"The import of {name} cannot be undone: {_plural(count, 'contact')} it changed "
            f"were changed again later by “{summary}” ({actor}, {when}). Undo that first."
        )
    mark = int(details.get("ledger_mark", 0))
    consent = con.execute(
        "SELECT count(*) FROM consent_ledger l WHERE l.id > ?1 AND l.batch_id IS NOT ?2 "
        "AND EXISTS (SELECT 1 FROM activity_changes WHERE activity_id = ?3 "
        "AND contact_id = l.contact_id)",
        (mark, batch_id, activity_id),
    ).fetchone()[0]
    if consent:
        raise UndoRefused(
            f"The import of {name} cannot be undone: {_plural(consent, 'consent record')} "
            "about its contacts were added after it. Undoing it would lose them."
        )
    gone = con.execute(
        "SELECT count(*) FROM activity_changes ac WHERE ac.activity_id = ? "
        "AND NOT EXISTS (SELECT 1 FROM contacts WHERE id = ac.contact_id)",
        (activity_id,),
    ).fetchone()[0]
    if gone:
        raise UndoRefused(
            f"The import of {name} cannot be undone: {_plural(gone, 'contact')} it added or "
            "changed have since been erased or deleted."
        )
    listed = con.execute(
        "SELECT count(*) FROM activity_changes ac WHERE ac.activity_id = ? "
        "AND ac.before IS NULL AND EXISTS (SELECT 1 FROM memberships WHERE contact_id = "
        "ac.contact_id)",
        (activity_id,),
    ).fetchone()[0]
    if listed:
        raise UndoRefused(
            f"The import of {name} cannot be undone: {_plural(listed, 'contact')} it added "
            "have since been put on a list. Remove them from their lists first."
        )
    edited = con.execute(
        "SELECT count(*) FROM activity_changes ac JOIN contacts c ON c.id = ac.contact_id "
        "WHERE ac.activity_id = ? AND c.updated_at > ?",
        (activity_id, at),
    ).fetchone()[0]
    if edited:
        raise UndoRefused(
            f"The import of {name} cannot be undone: {_plural(edited, 'contact')} it added or "
            "changed were edited after it."
        )
    return UndoTarget(
        batch_id, activity_id, name, at, mark, list(details.get("new_property_types", []))
    )


def _latest(col: str) -> str:
    return CONSENT_LATEST.format(col=col, who="consent_summaries.contact_id")


_REFRESH_CONSENT = f"""
    UPDATE consent_summaries SET
        consent_status = coalesce(({_latest("status")}), 'none'),
        consent_at = ({_latest("given_at")}),
        consent_source = coalesce(({_latest("coalesce(source_file, '')")}), '')
    WHERE contact_id IN (SELECT contact_id FROM activity_changes WHERE activity_id = ?
                 AND before IS NOT NULL)
"""

_CREATED = "SELECT contact_id FROM activity_changes WHERE activity_id = ? AND before IS NULL"


def undo_import(
    workspace: Workspace, batch_id: int, *, actor: str | None = None, bulk: bool | None = None
) -> UndoResult:
    """Undo import ``batch_id`` in one transaction; `UndoRefused` says why it cannot be.

    ``bulk`` forces or forbids the set-based path (default: from `BULK_ROWS` contacts on).
    """
    actor = actor or current_user()
    with workspace.transaction() as con:
        batch = check_undo(con, batch_id)
        act = batch.activity_id
        created, restored = con.execute(
            "SELECT total(before IS NULL), total(before IS NOT NULL) FROM activity_changes "
            "WHERE activity_id = ?",
            (act,),
        ).fetchone()
        created, restored = int(created), int(restored)
        use_bulk = created + restored >= BULK_ROWS if bulk is None else bulk
        # The undo is a step of its own: its before images (the contacts as the import left
        # them, with the import's consent records) are what a redo puts back.
        undo_id = record_activity(con, actor=actor, action="undo", summary="", count=0)
        keep_images(
            con,
            undo_id,
            "SELECT contact_id FROM activity_changes WHERE activity_id = ?",
            (act,),
            removed_batch=batch_id,
        )
        property_types = con.execute(
            "SELECT name, datatype FROM property_types WHERE name IN "
            f"({', '.join('?' for _ in batch.new_property_types)})",
            batch.new_property_types,
        ).fetchall()
        con.execute(
            "INSERT OR IGNORE INTO ledger_release (kind, ref) VALUES ('batch', ?)", (batch_id,)
        )
        ledger_removed = 0
        total = int(con.execute("SELECT value FROM counters WHERE name = 'contacts'").fetchone()[0])
        with (
            triggers_suspended(con, LEDGER_DELETE_TRIGGERS if use_bulk else ()) as ledger_free,
            triggers_suspended(con, DELETE_TRIGGERS if use_bulk else ()) as contacts_free,
            bulk_cache(con) if use_bulk else nullcontext(),
            # Removing most of the table: rebuilding what is left of the indexes is cheaper.
            indexes_suspended(con, "contacts" if use_bulk and 2 * created >= total else None),
            indexes_suspended(
                con, "consent_summaries" if use_bulk and 2 * created >= total else None
            ),
        ):
            ledger_removed = con.execute(
                "DELETE FROM consent_ledger WHERE batch_id = ?", (batch_id,)
            ).rowcount
            if use_bulk and contacts_free:
                con.execute(f"DELETE FROM contacts_search WHERE rowid IN ({_CREATED})", (act,))
                con.execute(
                    f"DELETE FROM consent_summaries WHERE contact_id IN ({_CREATED})", (act,)
                )
            con.execute(f"DELETE FROM contacts WHERE id IN ({_CREATED})", (act,))
            if use_bulk and contacts_free:
                con.execute(
                    "UPDATE counters SET value = value - ? WHERE name = 'contacts'", (created,)
                )
            if use_bulk and ledger_free:
                con.execute(_REFRESH_CONSENT, (act,))
        restore_changed(con, act)
        con.execute("DELETE FROM ledger_release WHERE kind = 'batch' AND ref = ?", (batch_id,))
        _release_property_types(con, batch)
        now = now_iso()
        details = {
            "batch_id": batch_id,
            "undid_activity": act,
            "ledger_removed": ledger_removed,
            "property_types": [list(row) for row in property_types],
        }
        con.execute(
            "UPDATE activity SET summary = ?, count = ?, details = ? WHERE id = ?",
            (
                f"Undo of the import of {batch.file_name} ({batch.imported_at}): "
                f"{created:,} removed, {restored:,} restored",
                created + restored,
                json.dumps(details, ensure_ascii=False),
                undo_id,
            ),
        )
        con.execute(
            "UPDATE activity SET undone_at = ?, undone_by = ? WHERE id = ?", (now, undo_id, act)
        )
        con.execute("UPDATE import_batches SET undone_at = ? WHERE id = ?", (now, batch_id))
    return UndoResult(batch_id, undo_id, created, restored, ledger_removed)


def _release_property_types(con: sqlite3.Connection, batch: UndoTarget) -> None:
    """Remove the property types the import introduced, as if it never ran; a type that a
    later import (not undone) also maps is handed over to it instead, to go when it goes."""
    for name in batch.new_property_types:
        heir = None
        later = con.execute(
            "SELECT b.activity_id, b.mapping FROM import_batches b WHERE b.id > ? "
            "AND b.undone_at IS NULL AND b.activity_id IS NOT NULL ORDER BY b.id",
            (batch.batch_id,),
        )
        for activity_id, mapping in later:
            columns = json.loads(mapping).get("columns", [])
            if any(
                c.get("role") == "property"
                and str(c.get("property_name", "")).casefold() == name.casefold()
                for c in columns
            ):
                heir = activity_id
                break
        if heir is None:
            con.execute("DELETE FROM property_types WHERE name = ?", (name,))
            continue
        details = json.loads(
            con.execute("SELECT details FROM activity WHERE id = ?", (heir,)).fetchone()[0]
        )
        details["new_property_types"] = [*details.get("new_property_types", []), name]
        con.execute(
            "UPDATE activity SET details = ? WHERE id = ?",
            (json.dumps(details, ensure_ascii=False), heir),
        )
