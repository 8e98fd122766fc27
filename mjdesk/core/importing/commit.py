"""Carrying out a dry run: one transaction that adds and updates contacts and records consent.

    plan = plan_for_workspace(workspace, cleaned)   # plan_import over workspace_lookup(con)...
    result = commit_import(workspace, cleaned, plan, mapping, spec, actor=current_user())

Everything an import writes happens inside one workspace transaction: the `import_batches`
row, the `activity` entry, the new contacts, the updates (each contact's row as it was is kept
in `activity_changes` first, for undo), the property types and a consent-ledger record, with
its provenance, for every granted or withdrawn consent. Memberships are never touched, so an
unsubscribed person stays unsubscribed. Cancelling, or any error, before COMMIT leaves the
workspace exactly as it was.

Big imports take a bulk path inside the same transaction: the per-row triggers that keep the
contact summaries, the search index and the contact counter are dropped, the rows go in
with their summaries already worked out, the counter is brought up to date with one
statement, and the triggers are created again from their stored SQL. An import that at
least doubles the table drops the address key's unique index too, inserts in file order
(reading the columns in order) and builds the index once before it commits (a duplicate
is then refused as it would have been on insert); a smaller one inserts in address order,
so the index is written at its end rather than all over. DDL is
transactional in SQLite, so a cancel or a crash leaves the triggers as they were. The
references it writes are its own (each record's contact was inserted just before it), so
foreign keys are not looked up, and the CHECKs of values it made itself are not run.
Contacts go in 64 to an INSERT; a chunk's consent records and journal rows are then made
from the contacts' summary columns by set-based statements that run on a helper thread
while the next chunk is built (SQLite steps without the GIL). The search index, and the
sort indexes when the import at least doubles the table, catch up after the commit in the
background (`mjdesk.core.indexing`); until then searches read the new rows themselves.

Here: the transaction, its journal and the updates. Beside it: `lookups` (the workspace as
the dry run sees it), `new_contacts` (the new contacts, row by row or bulk), `commit_context`
(what one commit knows) and `mjdesk.core.bulk` (the SQLite tools of the bulk path).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass

from mjdesk.core.bulk import BULK_ROWS, Stop, chunks, literal
from mjdesk.core.clock import current_user, now_iso, to_iso
from mjdesk.core.history import CONTACT_IMAGE
from mjdesk.core.importing.cleaning import CleanedImport
from mjdesk.core.importing.commit_context import (
    CommitContext,
    IsoCache,
    property_columns,
    property_value,
)
from mjdesk.core.importing.consent_values import ConsentSpec, ConsentState
from mjdesk.core.importing.errors import StalePlanError
from mjdesk.core.importing.lookups import workspace_is_erased
from mjdesk.core.importing.mapping import ColumnMapping
from mjdesk.core.importing.new_contacts import add_new
from mjdesk.core.importing.plan import Outcome, Plan, never_erased
from mjdesk.core.importing.table import SourceInfo, collector_paused
from mjdesk.core.work import CancelCheck, CancelToken, Progress
from mjdesk.core.workspace import Workspace


@dataclass(frozen=True)
class ImportResult:
    """What a committed import did."""

    batch_id: int
    activity_id: int
    file_name: str
    sheet: str | None
    added: int
    updated: int
    consent_records: int
    counts: Mapping[str, int]
    """Rows per outcome (`Outcome.value` -> rows), as the dry run decided."""

    @property
    def summary(self) -> str:
        return f"{self.added:,} new, {self.updated:,} updated"


def commit_import(
    workspace: Workspace,
    cleaned: CleanedImport,
    plan: Plan,
    mapping: ColumnMapping | None = None,
    spec: ConsentSpec | None = None,
    *,
    source: SourceInfo | None = None,
    actor: str | None = None,
    progress: Progress | None = None,
    cancel: CancelCheck | CancelToken | None = None,
    bulk: bool | None = None,
) -> ImportResult:
    """Carry out ``plan`` (made from ``cleaned``) in one transaction; see the module notes.

    ``mapping`` and ``spec`` are the ones ``cleaned`` was made with (the default), recorded in
    the import batch; ``source`` (file name, SHA-256, sheet) defaults to the table's.
    ``cancel`` is a `CancelToken` or a callable that raises to stop: it is checked between
    chunks and during long statements, and the workspace is then left untouched (the
    exception, e.g. `Cancelled`, propagates). ``bulk`` forces or forbids the bulk path
    (default: from `BULK_ROWS` new contacts on). Raises `StalePlanError` when the
    workspace changed since the dry run (a new address now exists, an updated one is gone).
    """
    if plan.cleaned is not cleaned:
        raise ValueError("the plan was made from another cleaned import")
    ctx = CommitContext(
        cleaned=cleaned,
        plan=plan,
        mapping=mapping or cleaned.mapping,
        spec=spec or cleaned.spec,
        source=source or cleaned.table.source,
        actor=actor or current_user(),
        now=now_iso(),
    )
    stop = Stop(cancel)
    new_rows = plan.indexes_with(Outcome.NEW)
    updates = plan.indexes_with(Outcome.UPDATE)
    total = len(new_rows) + len(updates)
    use_bulk = len(new_rows) >= BULK_ROWS if bulk is None else bulk
    stop.check()
    with (
        collector_paused(),  # a million rows make a million tuples, and no cycles
        workspace.bulk_writing() if use_bulk else nullcontext(),
        workspace.transaction() as con,
        stop.watching(con),
    ):
        _start(con, ctx, len(new_rows), len(updates))
        ledger_mark = con.execute("SELECT coalesce(max(id), 0) FROM consent_ledger").fetchone()[0]
        new_types = _property_types(con, ctx)
        _check_erased(con, ctx, new_rows)
        # Updates first: their consent records need the ledger's indexes, which a big
        # import of new contacts then drops (to build them once, after the commit).
        updated, consents = _apply_updates(con, ctx, updates, stop, progress, total, 0)
        after_updates = (
            None if progress is None else lambda done, whole: progress(updated + done, whole)
        )
        added, more = add_new(con, ctx, new_rows, use_bulk, stop, after_updates, total, ledger_mark)
        consents += more
        counts = {o.value: plan.counts.get(o, 0) for o in Outcome}
        result = ImportResult(
            batch_id=ctx.batch_id,
            activity_id=ctx.activity_id,
            file_name=ctx.source.file_name,
            sheet=ctx.source.sheet,
            added=added,
            updated=updated,
            consent_records=consents,
            counts=counts,
        )
        _finish(con, ctx, result, ledger_mark, new_types)
        stop.check()  # the last moment a cancel can still leave nothing behind
    if progress is not None:
        progress(total, total)
    return result


def _mapping_json(ctx: CommitContext) -> str:
    spec = ctx.spec
    return json.dumps(
        {
            "columns": json.loads(ctx.mapping.to_json()),
            "header_row": ctx.source.header_row,
            "encoding": ctx.source.encoding,
            "delimiter": ctx.source.delimiter,
            "consent": {
                "mode": spec.mode.value,
                "wording": spec.wording,
                "source": spec.source,
                "given_at": None if spec.given_at is None else to_iso(spec.given_at),
                "lawful_basis": spec.lawful_basis,
            },
        },
        ensure_ascii=False,
    )


def _start(con: sqlite3.Connection, ctx: CommitContext, new: int, updates: int) -> None:
    source = ctx.source
    where = source.file_name + (f" (sheet {source.sheet})" if source.sheet else "")
    cursor = con.execute(
        "INSERT INTO activity (at, actor, action, summary, count, details) "
        "VALUES (?, ?, 'import', ?, ?, '{}')",
        (ctx.now, ctx.actor, f"Import of {where}: {new:,} new, {updates:,} updated", new + updates),
    )
    ctx.activity_id = int(cursor.lastrowid or 0)
    cursor = con.execute(
        "INSERT INTO import_batches (activity_id, file_name, file_sha256, sheet, mapping, "
        "counts, imported_by, imported_at) VALUES (?, ?, ?, ?, ?, '{}', ?, ?)",
        (
            ctx.activity_id,
            source.file_name,
            source.sha256,
            source.sheet,
            _mapping_json(ctx),
            ctx.actor,
            ctx.now,
        ),
    )
    ctx.batch_id = int(cursor.lastrowid or 0)


def _finish(
    con: sqlite3.Connection,
    ctx: CommitContext,
    result: ImportResult,
    ledger_mark: int,
    new_types: list[str],
) -> None:
    counts = {**result.counts, "added": result.added, "updated": result.updated}
    counts["consent_records"] = result.consent_records
    con.execute(
        "UPDATE import_batches SET counts = ? WHERE id = ?", (json.dumps(counts), ctx.batch_id)
    )
    details = {
        "batch_id": ctx.batch_id,
        "file_name": ctx.source.file_name,
        "file_sha256": ctx.source.sha256,
        "sheet": ctx.source.sheet,
        "added": result.added,
        "updated": result.updated,
        "consent_records": result.consent_records,
        "ledger_mark": ledger_mark,
        "new_property_types": new_types,
    }
    con.execute(
        "UPDATE activity SET details = ?, count = ? WHERE id = ?",
        (json.dumps(details, ensure_ascii=False), result.added + result.updated, ctx.activity_id),
    )


def _property_types(con: sqlite3.Connection, ctx: CommitContext) -> list[str]:
    """Give each property column its type unless the workspace already has one."""
    added = []
    for choice in ctx.mapping.properties():
        cursor = con.execute(
            "INSERT OR IGNORE INTO property_types (name, datatype) VALUES (?, ?)",
            (choice.property_name, choice.property_type.value),
        )
        if cursor.rowcount:
            added.append(choice.property_name)
    return added


def _check_erased(con: sqlite3.Connection, ctx: CommitContext, new_rows: Sequence[int]) -> None:
    """A second look at tombstones, at commit time: only confirmed, dated consent passes."""
    is_erased = workspace_is_erased(con)
    if is_erased is never_erased:
        return
    cleaned = ctx.cleaned
    for index in new_rows:
        if is_erased(cleaned.keys[index]) and not (
            cleaned.consent[index] is ConsentState.GRANTED and cleaned.consent_at[index] is not None
        ):
            raise StalePlanError(
                f"Row {cleaned.row_number(index)}: {cleaned.emails[index]} belongs to a person "
                "erased on request. Run the dry run again; they can only be added with a new, "
                "dated consent that you confirm."
            )


def _property_sql(ctx: CommitContext, target: str, first_param: int | None = None) -> str:
    """SQL merging the row's non-empty property values (bound in column order, NULL when
    empty) into ``target``; json_patch drops the NULLs, so an empty cell never blanks a
    stored value. ``first_param`` numbers the parameters (?N) from there on."""
    names = [choice.property_name for choice in ctx.mapping.properties()]
    if not names:
        return target
    marks = (
        ["?"] * len(names)
        if first_param is None
        else [f"?{first_param + n}" for n in range(len(names))]
    )
    pairs = ", ".join(f"{literal(name)}, {mark}" for name, mark in zip(names, marks, strict=True))
    return f"json_patch({target}, json_object({pairs}))"


def _apply_updates(
    con: sqlite3.Connection,
    ctx: CommitContext,
    rows: Sequence[int],
    stop: Stop,
    progress: Progress | None,
    total: int,
    done: int,
) -> tuple[int, int]:
    """Update existing contacts (their rows kept for undo first); returns (contacts, records).

    Names change only where the file has one, properties are merged, flags and memberships
    are left alone; a consent record is added where the plan says so.
    """
    if not rows:
        return 0, 0
    cleaned, plan, spec, source = ctx.cleaned, ctx.plan, ctx.spec, ctx.source
    now = literal(ctx.now)
    keep_sql = (
        f"INSERT OR IGNORE INTO activity_changes (activity_id, contact_id, before) "
        f"SELECT {ctx.activity_id}, id, {CONTACT_IMAGE} FROM contacts WHERE email_key = ?"
    )
    update_sql = (
        "UPDATE contacts SET first_name = CASE WHEN ?1 = '' THEN first_name ELSE ?1 END, "
        "last_name = CASE WHEN ?2 = '' THEN last_name ELSE ?2 END, "
        f"properties = {_property_sql(ctx, 'properties', 4)}, updated_at = {now} "
        "WHERE email_key = ?3"
    )
    ledger_sql = (
        "INSERT INTO consent_ledger (contact_id, status, given_at, source_row, wording, "
        "source_file, source_sha256, source_sheet, lawful_basis, recorded_by, recorded_at, "
        f"batch_id) SELECT id, ?, ?, ?, ?, {literal(source.file_name)}, "
        f"{literal(source.sha256)}, {literal(source.sheet)}, {literal(spec.lawful_basis)}, "
        f"{literal(ctx.actor)}, {now}, {ctx.batch_id} FROM contacts WHERE email_key = ?"
    )
    keys, firsts, lasts = cleaned.keys, cleaned.first_names, cleaned.last_names
    columns = property_columns(ctx)
    iso = IsoCache(ctx.now)
    status_of = {ConsentState.GRANTED: "granted", ConsentState.WITHDRAWN: "withdrawn"}
    updated = records = 0
    for chunk in chunks(rows):
        stop.check()
        kept = con.executemany(keep_sql, ((keys[i],) for i in chunk)).rowcount
        if kept != len(chunk):
            raise StalePlanError(
                "Some contacts this import would update are no longer in the workspace. "
                "Run the dry run again."
            )
        con.executemany(
            update_sql,
            (
                (firsts[i], lasts[i], keys[i], *(property_value(c[i]) for c in columns))
                for i in chunk
            ),
        )
        ledger = [
            (
                status_of[cleaned.consent[i]],
                iso[cleaned.consent_at[i]],
                cleaned.row_number(i),
                ctx.wording(i),
                keys[i],
            )
            for i in chunk
            if plan.record_consent[i] and cleaned.consent[i] in status_of
        ]
        con.executemany(ledger_sql, ledger)
        updated += len(chunk)
        records += len(ledger)
        if progress is not None:
            progress(done + updated, total)
    return updated, records
