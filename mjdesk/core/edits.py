"""The consent review's edits, each one undoable step of the workspace history.

Withdraw or expire consent, record consent, add to or remove from a list, accept typo fixes,
merge duplicates, delete contacts, edit one contact. Each takes the contacts' ids (a
selection or a whole filter result, a hundred thousand of them as easily as one: they go
into a temporary table and every change is a set-based statement over it), runs in one
transaction and leaves one row of ``activity`` (an action, a summary that names no one, a
count, details) with the before image of every contact it touched (`mjdesk.core.history`).

Undo (`undo_edit`) puts the images back, removes the consent records the step added (their
numbers are the range ``ledger_added`` of its details: the ledger numbers its rows in
order) and the list it created; it is itself a step whose images a redo puts back
(`mjdesk.core.undo.redo_step`). The ledger stays append-only: a removal names the contacts
it removes records of in ``ledger_release`` inside the same transaction, as an import's
undo does.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from datetime import date, datetime
from typing import NamedTuple

from mjdesk.core import wording
from mjdesk.core.addresses import clean_typed, email_key
from mjdesk.core.bulk import (
    BULK_ROWS,
    LEDGER_DELETE_TRIGGERS,
    LEDGER_INSERT_TRIGGERS,
    SUMMARY_INDEXES,
    bulk_cache,
    refresh_consent_summaries,
    triggers_suspended,
)
from mjdesk.core.changes import Changes
from mjdesk.core.clock import current_user, now_iso, parse_iso, to_iso
from mjdesk.core.filters import retention_months, stale_before
from mjdesk.core.flags import Flag, flags_outdated, refresh_consent_flags, refresh_sync_flags
from mjdesk.core.history import (
    EDIT_ACTIONS,
    image_conflicts,
    keep_step_images,
    later_step,
    put_back,
    restore_consent_summaries,
    step_size,
)
from mjdesk.core.importing.undo import UndoRefused
from mjdesk.core.indexing import defer_named
from mjdesk.core.journal import record_activity
from mjdesk.core.tombstones import erased_among
from mjdesk.core.work import UserError
from mjdesk.core.workspace import Workspace

SELECTED = "SELECT id FROM temp.edit_ids"
"""The contacts a step works on, once `_select` has put them in its temporary table."""


class NothingToEdit(UserError):
    """None of the contacts given can take the edit; nothing was done (the sentence says why)."""


class EditResult(NamedTuple):
    """What a step did: its activity, how many contacts it changed and passed over, a
    sentence for the status bar, and what the window should read again."""

    activity_id: int
    done: int
    skipped: int
    message: str
    changes: Changes


def _plural(count: int, word: str) -> str:
    return wording.count(count, word, "addresses" if word == "address" else None)


def _select(con: sqlite3.Connection, contact_ids: Iterable[int]) -> int:
    """Put ``contact_ids`` (those that are contacts) in the step's temporary table, in one
    statement; returns how many ids were given."""
    ids = sorted({int(ident) for ident in contact_ids})  # (in order, the B-tree is read in order)
    con.execute("CREATE TEMP TABLE IF NOT EXISTS edit_ids (id INTEGER PRIMARY KEY)")
    con.execute("DELETE FROM temp.edit_ids")
    con.execute(
        "INSERT OR IGNORE INTO temp.edit_ids SELECT value FROM json_each(?) "
        "WHERE EXISTS (SELECT 1 FROM contacts WHERE id = value)",
        (json.dumps(ids),),
    )
    return len(ids)


def _selected(con: sqlite3.Connection) -> int:
    return int(con.execute("SELECT count(*) FROM temp.edit_ids").fetchone()[0])


def _selected_ids(con: sqlite3.Connection) -> frozenset[int]:
    return frozenset(row[0] for row in con.execute(SELECTED))


def _ledger_mark(con: sqlite3.Connection) -> int:
    return int(con.execute("SELECT coalesce(max(id), 0) FROM consent_ledger").fetchone()[0])


def _added_since(con: sqlite3.Connection, mark: int) -> list[int] | None:
    """The numbers of the consent records added since ``mark``, as [first, last]."""
    last = _ledger_mark(con)
    return [mark + 1, last] if last > mark else None


def _finish(con: sqlite3.Connection, activity_id: int, details: Mapping[str, object]) -> None:
    con.execute(
        "UPDATE activity SET details = ? WHERE id = ?",
        (json.dumps(dict(details), ensure_ascii=False), activity_id),
    )


def refresh_after(
    con: sqlite3.Connection,
    which: str,
    org_domains: Iterable[str] = (),
    *,
    among: str | None = None,
    was_current: bool = True,
) -> None:
    """Compute the flags again after a step: ``which`` is 'consent' (only the consent
    records of the contacts whose ids the SQL ``among`` selects changed), 'none' (list
    memberships: only "never synced" follows them) or 'all' (addresses, names or contacts changed).
    ``was_current``: the flags were up to date before the step (`flags_outdated`), and so
    are after this. After 'all' the flags are left behind (`flags_outdated` says so), for
    the window to compute again in the background: seconds at a million contacts, which
    the step's transaction must not hold the workspace for. (A deleted contact's own
    flags go with it.)"""
    if which in ("consent", "none"):
        refresh_consent_flags(con, among, was_current=was_current)
    if which == "none":  # (a list linked to Mailjet: "never synced" follows its members)
        refresh_sync_flags(con, among, was_current=was_current)


@contextmanager
def _ledger_writes(
    con: sqlite3.Connection, contacts_sql: str, many: bool, *, summaries_of: int | None = None
) -> Iterator[None]:
    """For a block that adds or removes consent records of the contacts ``contacts_sql``
    selects: the ledger's per-record triggers off, and the contacts' summaries set again
    in one statement afterwards (with a page cache for big B-trees when ``many``): those
    the images of step ``summaries_of`` kept, if they did, else worked out again."""
    triggers = LEDGER_INSERT_TRIGGERS + LEDGER_DELETE_TRIGGERS
    with bulk_cache(con) if many else nullcontext(), triggers_suspended(con, triggers) as free:
        yield
        if free and not (summaries_of is not None and restore_consent_summaries(con, summaries_of)):
            refresh_consent_summaries(con, contacts_sql, many=many)


def _give_back_no_proof(con: sqlite3.Connection, ids: list[int], *, was_current: bool) -> None:
    """Put the "missing proof" flag back on the contacts ``ids`` (after undoing the
    withdrawal that took it away), through the usual refresh, over them alone."""
    con.execute("CREATE TEMP TABLE IF NOT EXISTS edit_flagged (id INTEGER PRIMARY KEY)")
    con.execute("DELETE FROM temp.edit_flagged")
    con.executemany("INSERT OR IGNORE INTO temp.edit_flagged VALUES (?)", [(i,) for i in ids])
    refresh_consent_flags(con, "SELECT id FROM temp.edit_flagged", was_current=was_current)


def _release_and_delete_ledger(con: sqlite3.Connection, contacts_sql: str, where: str) -> int:
    """Remove the consent records of the contacts ``contacts_sql`` selects that ``where``
    picks, naming those contacts in ``ledger_release`` for the moment (the ledger refuses
    any other removal). Returns how many records went."""
    con.execute(
        "INSERT OR IGNORE INTO ledger_release (kind, ref) "
        f"SELECT 'contact', id FROM ({contacts_sql})"
    )
    removed = con.execute(
        f"DELETE FROM consent_ledger WHERE contact_id IN ({contacts_sql}) AND ({where})"
    ).rowcount
    con.execute(f"DELETE FROM ledger_release WHERE kind = 'contact' AND ref IN ({contacts_sql})")
    return int(removed)


def _delete_selected(con: sqlite3.Connection, contacts_sql: str) -> int:
    """Delete the contacts ``contacts_sql`` selects, with their consent records (their
    memberships and flags go with them)."""
    with triggers_suspended(con, LEDGER_DELETE_TRIGGERS):  # (their summaries go with them)
        _release_and_delete_ledger(con, contacts_sql, "1")
    return int(con.execute(f"DELETE FROM contacts WHERE id IN ({contacts_sql})").rowcount)


def contacts_by_address(
    con: sqlite3.Connection, addresses: Iterable[str]
) -> tuple[list[int], list[str]]:
    """The contacts at ``addresses`` (any case or Unicode form: they are compared by their
    key), in one statement however many: (their ids, the addresses no contact has)."""
    wanted = {email_key(address): address for address in addresses if address.strip()}
    found = dict(
        con.execute(
            "SELECT c.email_key, c.id FROM json_each(?) j JOIN contacts c ON c.email_key = j.value",
            (json.dumps(list(wanted)),),
        ).fetchall()
    )
    return list(found.values()), [address for key, address in wanted.items() if key not in found]


# -- consent -------------------------------------------------------------------------------


def withdraw_consent(
    workspace: Workspace,
    contact_ids: Iterable[int],
    reason: str,
    *,
    actor: str | None = None,
    source: str | None = None,
) -> EditResult:
    """Withdraw the consent of every contact of ``contact_ids`` that has a current one: a
    'withdrawn' record dated now, with ``reason`` as its wording and ``source`` (say, the
    file the removal requests came in) as its source. Contacts without a current consent
    are passed over and counted."""
    reason = _required(reason, "A withdrawal needs a reason (for example “asked by e-mail”).")
    with workspace.transaction() as con:
        given = _select(con, contact_ids)
        return _withdraw(
            con,
            given,
            reason,
            actor or current_user(),
            source,
            expired=False,
            workspace=workspace,
        )


def expire_consent(
    workspace: Workspace,
    reason: str,
    *,
    actor: str | None = None,
    today: datetime | None = None,
) -> EditResult:
    """Withdraw every stale consent (granted before the workspace's retention period) in
    one step, with ``reason`` recorded."""
    reason = _required(reason, "Expiring consent needs a reason (for example “re-permission”).")
    with workspace.transaction() as con:
        cutoff = stale_before(retention_months(con), today)
        ids = [
            row[0]
            for row in con.execute(
                "SELECT contact_id FROM consent_summaries "
                "WHERE consent_status = 'granted' AND consent_at < ?",
                (cutoff,),
            )
        ]
        given = _select(con, ids)
        # (the source says why, so an expiry is never taken for a person's own request)
        source = f"Retention period: consent older than {retention_months(con)} months"
        return _withdraw(
            con,
            given,
            reason,
            actor or current_user(),
            source,
            expired=True,
            workspace=workspace,
        )


def _withdraw(
    con: sqlite3.Connection,
    given: int,
    reason: str,
    actor: str,
    source: str | None,
    *,
    expired: bool,
    workspace: Workspace,
) -> EditResult:
    con.execute(
        "DELETE FROM temp.edit_ids WHERE NOT EXISTS (SELECT 1 FROM consent_summaries s "
        "WHERE s.contact_id = edit_ids.id AND s.consent_status = 'granted')"
    )
    count = _selected(con)
    if not count:
        raise NothingToEdit(
            "No stale consent to expire."
            if expired
            else f"None of the {_plural(given, 'contact')} has a current consent to withdraw."
        )
    current = not flags_outdated(con)
    now = now_iso()
    action, verb = ("expire_consent", "expired") if expired else ("withdraw_consent", "withdrawn")
    act = record_activity(
        con,
        actor=actor,
        action=action,
        summary=f"Consent {verb} for {_plural(count, 'contact')}",
        count=count,
    )
    big = count >= BULK_ROWS
    if big:
        workspace.checkpoint_later()
    mark = _ledger_mark(con)
    with (
        bulk_cache(con) if big else nullcontext(),
        triggers_suspended(con, LEDGER_INSERT_TRIGGERS) as free,
    ):
        # (its undo only removes the records it adds: the contacts' fields are not kept)
        keep_step_images(con, act, SELECTED, ledger_alone=True)
        con.execute(
            "INSERT INTO consent_ledger (contact_id, status, given_at, source_file, wording, "
            "recorded_by, recorded_at) "
            "SELECT id, 'withdrawn', ?1, ?2, ?3, ?4, ?1 FROM temp.edit_ids ORDER BY id",
            (now, source, reason, actor),
        )
        if free:
            if big:
                defer_named(con, SUMMARY_INDEXES)
            # Dated now, each new record is its contact's latest (a withdrawal wins a tie),
            # unless a record of the contact is dated later.
            con.execute(
                "UPDATE consent_summaries SET consent_status = 'withdrawn', consent_at = ?, "
                f"consent_source = coalesce(?, '') WHERE contact_id IN ({SELECTED})",
                (now, source),
            )
            refresh_consent_summaries(
                con,
                "SELECT DISTINCT l.contact_id AS id FROM temp.edit_ids e "
                "JOIN consent_ledger l ON l.contact_id = e.id AND l.given_at > ?",
                (now,),
            )
    skipped = given - count
    # A withdrawal can only take a "missing proof" flag away: only the contacts that had
    # one are looked at again (their latest record may still be a later-dated grant).
    con.execute("CREATE TEMP TABLE IF NOT EXISTS edit_flagged (id INTEGER PRIMARY KEY)")
    con.execute("DELETE FROM temp.edit_flagged")
    con.execute(
        "INSERT INTO temp.edit_flagged SELECT contact_id FROM contact_flags "
        f"WHERE flag = ? AND contact_id IN ({SELECTED})",
        (Flag.NO_PROOF.stored,),
    )
    refresh_consent_flags(con, "SELECT id FROM temp.edit_flagged", was_current=current)
    # (kept for the undo, which gives exactly these their flag back)
    unflagged = [
        int(row[0])
        for row in con.execute(
            "SELECT id FROM temp.edit_flagged WHERE id NOT IN "
            "(SELECT contact_id FROM contact_flags WHERE flag = ?)",
            (Flag.NO_PROOF.stored,),
        )
    ]
    _finish(
        con,
        act,
        {
            "ledger_added": _added_since(con, mark),
            "ledger_only": True,
            "flags": "consent",
            "no_proof_removed": unflagged,
            "skipped": skipped,
        },
    )
    ids = _selected_ids(con)
    message = f"Consent {verb} for {_plural(count, 'contact')}" + (
        f"; {_plural(skipped, 'contact')} had no current consent." if skipped else "."
    )
    return EditResult(act, count, skipped, message, Changes.edited(ids)._replace(flags=True))


def record_consents(
    workspace: Workspace,
    contact_ids: Iterable[int],
    *,
    wording: str,
    source: str,
    given_at: datetime | date | str,
    lawful_basis: str = "consent",
    actor: str | None = None,
) -> EditResult:
    """Record a consent ('granted', dated ``given_at``, with ``wording`` and ``source`` as
    its proof) for every contact of ``contact_ids``."""
    wording = _required(wording, "Recording consent needs the wording the person agreed to.")
    source = _required(source, "Recording consent needs its source (a form, a file, a meeting).")
    when = _moment(given_at)
    if when > now_iso():
        raise UserError("A consent cannot be dated in the future.")
    actor = actor or current_user()
    with workspace.transaction() as con:
        _select(con, contact_ids)
        count = _selected(con)
        if not count:
            raise NothingToEdit("None of those contacts is in this workspace.")
        current = not flags_outdated(con)
        act = record_activity(
            con,
            actor=actor,
            action="record_consent",
            summary=f"Consent recorded for {_plural(count, 'contact')}",
            count=count,
        )
        if count >= BULK_ROWS:
            workspace.checkpoint_later()
        # (its undo only removes the records it adds: the contacts' fields are not kept)
        keep_step_images(con, act, SELECTED, ledger_alone=True)
        mark = _ledger_mark(con)
        with _ledger_writes(con, SELECTED, count >= BULK_ROWS):
            con.execute(
                "INSERT INTO consent_ledger (contact_id, status, given_at, source_file, "
                "wording, lawful_basis, recorded_by, recorded_at) "
                "SELECT id, 'granted', ?, ?, ?, ?, ?, ? FROM temp.edit_ids ORDER BY id",
                (when, source, wording, lawful_basis, actor, now_iso()),
            )
        _finish(
            con,
            act,
            {"ledger_added": _added_since(con, mark), "ledger_only": True, "flags": "consent"},
        )
        refresh_consent_flags(con, SELECTED, was_current=current)
        ids = _selected_ids(con)
    return EditResult(
        act,
        count,
        0,
        f"Consent recorded for {_plural(count, 'contact')}.",
        Changes.edited(ids)._replace(flags=True),
    )


def _required(text: str, why: str) -> str:
    text = (text or "").strip()
    if not text:
        raise UserError(why)
    return text


def _moment(value: datetime | date | str) -> str:
    """A consent date in the stored form; a day alone is that day at midnight UTC."""
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, date):
        return f"{value.isoformat()}T00:00:00Z"
    text = value.strip()
    try:
        if len(text) == 10:
            return f"{date.fromisoformat(text).isoformat()}T00:00:00Z"
        return to_iso(parse_iso(text))
    except ValueError:
        raise UserError(f"“{text}” is not a date (write it as 2025-01-31).") from None


# -- lists ---------------------------------------------------------------------------------


def add_to_list(
    workspace: Workspace,
    contact_ids: Iterable[int],
    list_name: str,
    *,
    actor: str | None = None,
) -> EditResult:
    """Put every contact of ``contact_ids`` on the local list ``list_name`` (made if new);
    those already on it are passed over."""
    name = _required(list_name, "A list needs a name.")
    with workspace.transaction() as con:
        given = _select(con, contact_ids)
        row = con.execute("SELECT id FROM lists WHERE name = ?", (name,)).fetchone()
        if row is not None:
            con.execute(
                "DELETE FROM temp.edit_ids WHERE EXISTS (SELECT 1 FROM memberships "
                "WHERE contact_id = edit_ids.id AND list_id = ?)",
                (row[0],),
            )
        count = _selected(con)
        if not count:
            raise NothingToEdit(f"All {_plural(given, 'contact')} are on that list already.")
        now = now_iso()
        created: list[object] | None = None
        if row is None:
            list_id = int(
                con.execute(
                    "INSERT INTO lists (name, created_at) VALUES (?, ?)", (name, now)
                ).lastrowid
                or 0
            )
            created = [list_id, name, None, now]
        else:
            list_id = int(row[0])
        current = not flags_outdated(con)
        act = record_activity(
            con,
            actor=actor or current_user(),
            action="add_to_list",
            summary=f"{_plural(count, 'contact')} added to a list",
            count=count,
        )
        keep_step_images(con, act, SELECTED, memberships=True)
        con.execute(
            "INSERT INTO memberships (contact_id, list_id, added_at) "
            "SELECT id, ?, ? FROM temp.edit_ids ORDER BY id",
            (list_id, now),
        )
        _finish(
            con,
            act,
            {"list_id": list_id, "created_list": created, "memberships": True, "flags": "none"},
        )
        refresh_after(con, "none", among=SELECTED, was_current=current)
        ids = _selected_ids(con)
    return EditResult(
        act,
        count,
        given - count,
        f"{_plural(count, 'contact')} added to {name}"
        + (" (a new list)." if created else ".")
        + (f" {given - count:,} were on it already." if given > count else ""),
        Changes(contact_ids=ids, lists=True, activity=True, flags=True),
    )


def remove_from_list(
    workspace: Workspace,
    contact_ids: Iterable[int],
    list_name: str,
    *,
    actor: str | None = None,
) -> EditResult:
    """Take every contact of ``contact_ids`` off the local list ``list_name``."""
    name = _required(list_name, "Say which list to remove the contacts from.")
    with workspace.transaction() as con:
        row = con.execute("SELECT id FROM lists WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NothingToEdit(f"There is no list called “{name}”.")
        list_id = int(row[0])
        given = _select(con, contact_ids)
        con.execute(
            "DELETE FROM temp.edit_ids WHERE NOT EXISTS (SELECT 1 FROM memberships "
            "WHERE contact_id = edit_ids.id AND list_id = ?)",
            (list_id,),
        )
        count = _selected(con)
        if not count:
            raise NothingToEdit(f"None of the {_plural(given, 'contact')} is on that list.")
        current = not flags_outdated(con)
        act = record_activity(
            con,
            actor=actor or current_user(),
            action="remove_from_list",
            summary=f"{_plural(count, 'contact')} removed from a list",
            count=count,
        )
        keep_step_images(con, act, SELECTED, memberships=True)
        # Whom Mailjet's list has subscribed stay here unsubscribed: the next push then
        # unsubscribes them there too (a membership gone would leave Mailjet mailing them).
        kept = con.execute(
            "UPDATE memberships SET status = 'unsubscribed' WHERE list_id = ? "
            f"AND mailjet_status = 'subscribed' AND contact_id IN ({SELECTED})",
            (list_id,),
        ).rowcount
        con.execute(
            f"DELETE FROM memberships WHERE list_id = ? AND contact_id IN ({SELECTED}) "
            "AND coalesce(mailjet_status, '') <> 'subscribed'",
            (list_id,),
        )
        _finish(con, act, {"list_id": list_id, "memberships": True, "flags": "none"})
        refresh_after(con, "none", among=SELECTED, was_current=current)
        ids = _selected_ids(con)
    return EditResult(
        act,
        count,
        given - count,
        f"{_plural(count, 'contact')} removed from {name}."
        + (
            f" {_plural(kept, 'contact')} subscribed in Mailjet are unsubscribed there by "
            "the next push."
            if kept
            else ""
        ),
        Changes(contact_ids=ids, lists=True, activity=True, flags=True),
    )


# -- addresses -----------------------------------------------------------------------------


def accept_typo_fixes(
    workspace: Workspace,
    contact_ids: Iterable[int],
    *,
    actor: str | None = None,
    org_domains: Iterable[str] = (),
) -> EditResult:
    """Give every contact of ``contact_ids`` flagged as a possible typo the address its
    flag suggests. Passed over: contacts without the flag, and those whose fixed address
    is another contact's already (merge those instead) or another fix's (the first keeps it)."""
    with workspace.transaction() as con:
        given = _select(con, contact_ids)
        con.create_function("mj_email_key", 1, email_key, deterministic=True)
        con.execute(
            "CREATE TEMP TABLE IF NOT EXISTS edit_fixes (id INTEGER PRIMARY KEY, "
            "email TEXT NOT NULL, email_key TEXT NOT NULL)"
        )
        con.execute("DELETE FROM temp.edit_fixes")
        con.execute(
            "INSERT INTO temp.edit_fixes SELECT f.contact_id, f.hint, mj_email_key(f.hint) "
            "FROM contact_flags f JOIN temp.edit_ids e ON e.id = f.contact_id "
            "WHERE f.flag = ? AND f.hint <> '' ORDER BY f.contact_id",
            (Flag.TYPO.stored,),
        )
        con.execute(
            "DELETE FROM temp.edit_fixes WHERE email_key IN (SELECT email_key FROM contacts) "
            "OR id NOT IN (SELECT min(id) FROM temp.edit_fixes GROUP BY email_key)"
        )
        # (nor an address erased on request: its person is not to come back this way)
        fixes = [str(r[0]) for r in con.execute("SELECT email FROM temp.edit_fixes")]
        erased = erased_among(con, fixes)
        if erased:
            con.executemany("DELETE FROM temp.edit_fixes WHERE email = ?", [(e,) for e in erased])
        con.execute("DELETE FROM temp.edit_ids WHERE id NOT IN (SELECT id FROM temp.edit_fixes)")
        count = _selected(con)
        if not count:
            raise NothingToEdit(
                "None of those contacts has a typo fix that can be accepted (the fixed "
                "address may be another contact's already: merge them instead)."
            )
        act = record_activity(
            con,
            actor=actor or current_user(),
            action="fix_typos",
            summary=f"Typo fixes accepted for {_plural(count, 'contact')}",
            count=count,
        )
        keep_step_images(con, act, SELECTED)
        con.execute(
            "UPDATE contacts SET email = f.email, email_key = f.email_key, updated_at = ? "
            "FROM temp.edit_fixes f WHERE contacts.id = f.id",
            (now_iso(),),
        )
        _finish(con, act, {"flags": "all", "skipped": given - count})
        refresh_after(con, "all", org_domains)
        ids = _selected_ids(con)
    skipped = given - count
    return EditResult(
        act,
        count,
        skipped,
        f"{_plural(count, 'address')} corrected"
        + (f"; {_plural(skipped, 'contact')} passed over." if skipped else "."),
        Changes.edited(ids)._replace(flags=True),
    )


# -- merge and delete ----------------------------------------------------------------------


def _merged(gone: int, kept: int) -> str:
    """ "2 contacts merged into another", "5 contacts merged into 2 others"."""
    into = "another" if kept == 1 else f"{kept:,} others"
    return f"{_plural(gone, 'contact')} merged into {into}"


def merge_contacts(
    workspace: Workspace,
    groups: Iterable[tuple[int, Sequence[int]]],
    *,
    actor: str | None = None,
    org_domains: Iterable[str] = (),
) -> EditResult:
    """Merge each group (survivor, others) into its survivor, all groups in one step.

    Every consent record of the others is recorded again on the survivor (the same status,
    dates and proof), their memberships move to it (where it is not on that list already),
    their properties are kept where the survivor has no value of its own (the survivor's
    wins; among the others, the first given), and so are their names where the survivor's
    are empty; then the others are deleted.
    """
    pairs: list[tuple[int, int, int]] = []
    survivors: dict[int, list[int]] = {}
    for survivor, others in groups:
        merged = [int(o) for o in others if int(o) != int(survivor)]
        if merged:
            survivors.setdefault(int(survivor), []).extend(merged)
    for survivor, others in survivors.items():
        pairs += [(other, survivor, rank) for rank, other in enumerate(others)]
    gone = [other for other, _s, _r in pairs]
    if len(set(gone)) != len(gone) or set(gone) & set(survivors):
        raise UserError("A contact can be merged into one survivor only, and a survivor is kept.")
    if not pairs:
        raise NothingToEdit("Choose a survivor and at least one other contact to merge into it.")
    with workspace.transaction() as con:
        everyone = [*survivors, *gone]
        if _select(con, everyone) != _selected(con):
            raise NothingToEdit("Some of those contacts are no longer in this workspace.")
        rows = {
            ident: (first, last, json.loads(props))
            for ident, first, last, props in con.execute(
                "SELECT c.id, c.first_name, c.last_name, c.properties FROM contacts c "
                f"WHERE c.id IN ({SELECTED})"
            )
        }
        merged_rows = []
        for survivor, others in survivors.items():
            first, last, props = rows[survivor]
            kept: dict[str, object] = {}
            for other in others:
                o_first, o_last, o_props = rows[other]
                first, last = first or o_first, last or o_last
                kept = {**o_props, **kept}
            merged_rows.append(
                (survivor, first, last, json.dumps({**kept, **props}, ensure_ascii=False))
            )
        con.execute(
            "CREATE TEMP TABLE IF NOT EXISTS edit_merge (other INTEGER PRIMARY KEY, "
            "survivor INTEGER NOT NULL, rank INTEGER NOT NULL)"
        )
        con.execute("DELETE FROM temp.edit_merge")
        con.executemany("INSERT INTO temp.edit_merge VALUES (?, ?, ?)", pairs)
        count = len(everyone)
        act = record_activity(
            con,
            actor=actor or current_user(),
            action="merge_contacts",
            summary=_merged(len(gone), len(survivors)),
            count=count,
        )
        others_sql = "SELECT other AS id FROM temp.edit_merge"
        keep_step_images(con, act, "SELECT survivor FROM temp.edit_merge", memberships=True)
        keep_step_images(con, act, others_sql, ledger="1", memberships=True)
        mark = _ledger_mark(con)
        with _ledger_writes(con, "SELECT survivor AS id FROM temp.edit_merge", False):
            con.execute(
                "INSERT INTO consent_ledger (contact_id, status, given_at, source_file, "
                "source_sha256, source_sheet, source_row, wording, lawful_basis, recorded_by, "
                "recorded_at, batch_id) SELECT m.survivor, l.status, l.given_at, l.source_file, "
                "l.source_sha256, l.source_sheet, l.source_row, l.wording, l.lawful_basis, "
                "l.recorded_by, l.recorded_at, l.batch_id FROM consent_ledger l "
                "JOIN temp.edit_merge m ON m.other = l.contact_id ORDER BY l.id"
            )
        con.execute(
            "INSERT OR IGNORE INTO memberships (contact_id, list_id, status, added_at, "
            "mailjet_status, mailjet_changed_at, synced_at) SELECT m.survivor, x.list_id, "
            "x.status, x.added_at, x.mailjet_status, x.mailjet_changed_at, x.synced_at "
            "FROM memberships x JOIN temp.edit_merge m ON m.other = x.contact_id "
            "ORDER BY m.survivor, m.rank"
        )
        now = now_iso()
        con.executemany(
            "UPDATE contacts SET first_name = ?2, last_name = ?3, properties = ?4, "
            "updated_at = ?5 WHERE id = ?1",
            [(*row, now) for row in merged_rows],
        )
        _delete_selected(con, others_sql)
        _finish(
            con,
            act,
            {"ledger_added": _added_since(con, mark), "memberships": True, "flags": "all"},
        )
        refresh_after(con, "all", org_domains)
    return EditResult(
        act,
        len(gone),
        0,
        _merged(len(gone), len(survivors)) + ".",
        Changes(contacts_added_or_removed=True, lists=True, activity=True, flags=True),
    )


def delete_contacts(
    workspace: Workspace,
    contact_ids: Iterable[int],
    *,
    actor: str | None = None,
    org_domains: Iterable[str] = (),
) -> EditResult:
    """Delete every contact of ``contact_ids`` with its consent records and memberships
    (undo brings them all back; erasing a person for good is `gdpr erase`)."""
    with workspace.transaction() as con:
        _select(con, contact_ids)
        count = _selected(con)
        if not count:
            raise NothingToEdit("None of those contacts is in this workspace.")
        act = record_activity(
            con,
            actor=actor or current_user(),
            action="delete_contacts",
            summary=f"{_plural(count, 'contact')} deleted",
            count=count,
        )
        keep_step_images(con, act, SELECTED, ledger="1", memberships=True)
        _delete_selected(con, SELECTED)
        _finish(con, act, {"memberships": True, "flags": "all"})
        refresh_after(con, "all", org_domains)
    return EditResult(
        act,
        count,
        0,
        f"{_plural(count, 'contact')} deleted.",
        Changes(contacts_added_or_removed=True, lists=True, activity=True, flags=True),
    )


def edit_contact(
    workspace: Workspace,
    contact_id: int,
    *,
    email: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    properties: Mapping[str, object] | None = None,
    actor: str | None = None,
    org_domains: Iterable[str] = (),
) -> EditResult:
    """Change one contact's address, names or properties (``properties`` replaces them
    all); None leaves a field as it is."""
    with workspace.transaction() as con:
        row = con.execute(
            "SELECT email, first_name, last_name, properties FROM contacts WHERE id = ?",
            (contact_id,),
        ).fetchone()
        if row is None:
            raise NothingToEdit("That contact is no longer in this workspace.")
        new_email = row[0] if email is None else clean_typed(email)
        if not new_email:
            raise UserError("A contact needs an address.")
        new = (
            new_email,
            row[1] if first_name is None else first_name.strip(),
            row[2] if last_name is None else last_name.strip(),
            row[3] if properties is None else json.dumps(dict(properties), ensure_ascii=False),
        )
        if new == tuple(row) or (
            properties is not None
            and new[:3] == tuple(row[:3])
            and json.loads(row[3]) == dict(properties)
        ):
            raise NothingToEdit("Nothing was changed.")
        key = email_key(new_email)
        if con.execute(
            "SELECT 1 FROM contacts WHERE email_key = ? AND id <> ?", (key, contact_id)
        ).fetchone():
            raise UserError("Another contact has that address already: merge the two instead.")
        if new_email != row[0] and erased_among(con, [new_email]):
            raise UserError(
                "That address belongs to a person erased on request: it cannot be given to "
                "a contact. (An import can bring it back only with a new, dated consent.)"
            )
        current = not flags_outdated(con)
        act = record_activity(
            con,
            actor=actor or current_user(),
            action="edit_contact",
            summary="Contact edited",
            count=1,
        )
        keep_step_images(con, act, "SELECT ?", (contact_id,))
        con.execute(
            "UPDATE contacts SET email = ?, email_key = ?, first_name = ?, last_name = ?, "
            "properties = ?, updated_at = ? WHERE id = ?",
            (new[0], key, new[1], new[2], new[3], now_iso(), contact_id),
        )
        refreshed = "all" if new[:3] != tuple(row[:3]) else "none"
        _finish(con, act, {"flags": refreshed})
        refresh_after(con, refreshed, org_domains, among=str(int(contact_id)), was_current=current)
    return EditResult(
        act, 1, 0, "Contact saved.", Changes.edited([contact_id])._replace(flags=True)
    )


# -- undo ----------------------------------------------------------------------------------


def undo_edit(
    workspace: Workspace,
    activity_id: int,
    *,
    actor: str | None = None,
    org_domains: Iterable[str] = (),
) -> EditResult:
    """Undo edit step ``activity_id`` exactly; `UndoRefused` says why it cannot be."""
    with workspace.transaction() as con:
        row = con.execute(
            "SELECT action, summary, details, undone_at FROM activity WHERE id = ?",
            (activity_id,),
        ).fetchone()
        if row is None or row[0] not in EDIT_ACTIONS:
            raise UndoRefused(f"Step {activity_id} is not an edit that can be undone.")
        action, summary, details_text, undone_at = row
        if undone_at is not None:
            raise UndoRefused(f"“{summary}” was already undone on {undone_at}.")
        later = later_step(con, activity_id)
        if later is not None:
            raise UndoRefused(
                f"“{summary}” cannot be undone: {_plural(later[3], 'contact')} it changed were "
                f"changed again later by “{later[0]}” ({later[1]}, {later[2]}). Undo that first."
            )
        details = json.loads(details_text)
        ledger_only = bool(details.get("ledger_only"))
        # (a step that only added consent records deleted nothing that could be in the way)
        readded, taken = (0, 0) if ledger_only else image_conflicts(con, activity_id)
        if readded or taken:
            raise UndoRefused(
                f"“{summary}” cannot be undone: "
                + (
                    f"{_plural(readded, 'address')} it deleted are in the workspace again"
                    if readded
                    else f"{_plural(taken, 'consent record')} took the numbers of its own"
                )
                + "."
            )
        added = details.get("ledger_added")
        memberships = bool(details.get("memberships"))
        current = not flags_outdated(con)
        undo_id = record_activity(
            con, actor=actor or current_user(), action="undo", summary=f"Undo: {summary}"
        )
        step_contacts = "SELECT contact_id FROM activity_changes WHERE activity_id = ?"
        # The undo's own images (what a redo puts back): the contacts as the step left them,
        # with the records it added; those it deleted, which the undo makes again, as new.
        keep_step_images(
            con,
            undo_id,
            step_contacts,
            (activity_id,),
            ledger="l.id BETWEEN ? AND ?" if added else None,
            ledger_params=tuple(added) if added else (),
            memberships=memberships,
            ledger_alone=ledger_only,
        )
        con.execute(
            "INSERT OR IGNORE INTO activity_changes (activity_id, contact_id, before) "
            "SELECT ?, contact_id, NULL FROM activity_changes a WHERE a.activity_id = ? "
            "AND NOT EXISTS (SELECT 1 FROM contacts WHERE id = a.contact_id)",
            (undo_id, activity_id),
        )
        # (the contacts as they are after the undo, once it has made deleted ones again)
        contacts = (
            "SELECT contact_id AS id FROM activity_changes a WHERE activity_id = "
            f"{int(activity_id)} AND EXISTS (SELECT 1 FROM contacts WHERE id = a.contact_id)"
        )
        count = step_size(con, activity_id)
        if count >= BULK_ROWS:
            workspace.checkpoint_later()
        # (a step on consent records alone kept its contacts' summaries: they go back)
        summaries_of = activity_id if ledger_only else None
        with _ledger_writes(con, contacts, count >= BULK_ROWS, summaries_of=summaries_of):
            if added:
                _release_and_delete_ledger(
                    con,
                    f"SELECT contact_id AS id FROM activity_changes WHERE activity_id = {undo_id}",
                    f"id BETWEEN {int(added[0])} AND {int(added[1])}",
                )
            _deleted, made, _changed = put_back(con, activity_id, ledger_only=ledger_only)
        lists_removed = []
        created = details.get("created_list")
        if (
            created
            and con.execute(
                "DELETE FROM lists WHERE id = ? AND NOT EXISTS "
                "(SELECT 1 FROM memberships WHERE list_id = lists.id)",
                (created[0],),
            ).rowcount
        ):
            lists_removed.append(created)
        _finish(
            con,
            undo_id,
            {
                "undid_activity": activity_id,
                "ledger_only": ledger_only,
                "lists_removed": lists_removed,
                "flags": details.get("flags", "all"),
            },
        )
        con.execute("UPDATE activity SET count = ? WHERE id = ?", (count, undo_id))
        con.execute(
            "UPDATE activity SET undone_at = ?, undone_by = ? WHERE id = ?",
            (now_iso(), undo_id, activity_id),
        )
        if "no_proof_removed" in details:
            # A withdrawal only took "missing proof" flags away: exactly those come back.
            _give_back_no_proof(con, details["no_proof_removed"], was_current=current)
        else:
            refresh_after(
                con,
                str(details.get("flags", "all")),
                org_domains,
                among=contacts,
                was_current=current,
            )
    gone_or_back = action in ("merge_contacts", "delete_contacts")
    return EditResult(
        undo_id,
        count,
        0,
        f"Undone: {summary}" + (f" ({_plural(made, 'contact')} back)." if gone_or_back else "."),
        Changes(contacts_added_or_removed=True, lists=True, activity=True, flags=True)
        if gone_or_back or memberships
        else Changes(contacts_added_or_removed=True, activity=True, flags=True),
    )
