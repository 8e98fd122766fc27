"""The workspace's history of changes to contacts, as steps that can be undone and redone.

Every change to contacts is one row of ``activity`` (who, when, what, how many) and, for
each contact it touches, one row of ``activity_changes`` holding the contact's **before
image**: the contact as it was before the step (`CONTACT_IMAGE`, plus the consent records
the step removed), or NULL when the step created it. Undoing a step puts its before images
back; the undo is itself a step whose before images are the contacts as the step had left
them, so redoing is undoing the undo. An import is one kind of step; the consent review's
bulk edits are others.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from mjdesk.core.bulk import (
    BULK_ROWS,
    LEDGER_INSERT_TRIGGERS,
    SUMMARY_INDEXES,
    refresh_consent_summaries,
    triggers_suspended,
)
from mjdesk.core.indexing import defer_named

CONTACT_IMAGE = (
    "json_object('email', email, 'first_name', first_name, 'last_name', last_name, "
    "'properties', json(properties), 'flags', flags, 'properties_text', properties, "
    "'updated_at', updated_at, 'email_key', email_key, 'created_at', created_at)"
)
"""A contact's row as a before image (SQL over ``contacts``): what undo writes back, and,
for a contact the step deleted, what it is made again from (its id is the change's)."""

CONSENT_IMAGE = (
    "json_object('consent', json_array(s.consent_status, s.consent_at, s.consent_source))"
)
"""A contact's consent summary as a before image (SQL over ``consent_summaries s``), for a step that
changes its consent records alone: undo sets the summary back from it, instead of working
it out again from the records (a second a hundred thousand contacts)."""

LEDGER_COLUMNS = (
    "id, contact_id, status, given_at, source_file, source_sha256, source_sheet, source_row, "
    "wording, lawful_basis, recorded_by, recorded_at, batch_id"
)
_LEDGER_IMAGE = "json_array(" + ", ".join(f"l.{c.strip()}" for c in LEDGER_COLUMNS.split(",")) + ")"

EDIT_ACTIONS = (
    "withdraw_consent",
    "expire_consent",
    "record_consent",
    "add_to_list",
    "remove_from_list",
    "fix_typos",
    "merge_contacts",
    "delete_contacts",
    "edit_contact",
)
"""The consent review's edits (`mjdesk.core.edits`), each an undoable step."""

UNDOABLE = ("import", *EDIT_ACTIONS)
"""The kinds of step that can be undone (the ``action`` of their activity)."""


@dataclass(frozen=True)
class Step:
    """One undoable step of the history."""

    activity_id: int
    action: str
    summary: str
    actor: str
    at: str
    count: int
    undone_at: str | None
    undone_by: int | None
    details: dict[str, object]

    @property
    def done(self) -> bool:
        return self.undone_at is None


def steps(con: sqlite3.Connection) -> list[Step]:
    """Every undoable step, oldest first."""
    marks = ", ".join("?" for _ in UNDOABLE)
    rows = con.execute(
        "SELECT id, action, summary, actor, at, count, undone_at, undone_by, details "
        f"FROM activity WHERE action IN ({marks}) ORDER BY id",
        UNDOABLE,
    ).fetchall()
    return [
        Step(ident, action, summary, actor, at, count, undone_at, undone_by, json.loads(details))
        for ident, action, summary, actor, at, count, undone_at, undone_by, details in rows
    ]


NOT_WORK = ("undo", "redo", "export")
"""Activity that changes no contact of its own accord: every other kind is new work, after
which nothing undone before can be redone (as in a text editor)."""


def last_new_work(con: sqlite3.Connection) -> int:
    """The activity id of the newest new work (a step, an erasure, …; not an undo, a redo
    or an export), 0 when there is none."""
    marks = ", ".join("?" for _ in NOT_WORK)
    row = con.execute(
        f"SELECT coalesce(max(id), 0) FROM activity WHERE action NOT IN ({marks})", NOT_WORK
    ).fetchone()
    return int(row[0])


def redo_stack(all_steps: list[Step], new_work: int = 0) -> tuple[list[Step], int]:
    """The history as a linear undo stack, as a text editor keeps one: the steps that are
    done, then the steps undone since the last one done and since ``new_work`` (the newest
    new work, `last_new_work`) (redoable, in their order), with the number of done ones. A
    step undone out of order (an older import undone from the Import History), or before
    new work was done, leaves the stack."""
    last_done = max((i for i, s in enumerate(all_steps) if s.done), default=-1)
    done = [s for s in all_steps[: last_done + 1] if s.done]
    undone = [
        s for s in all_steps[last_done + 1 :] if s.undone_by is not None and s.undone_by > new_work
    ]
    return done + undone, len(done)


def later_step(con: sqlite3.Connection, activity_id: int) -> tuple[str, str, str, int] | None:
    """The newest step after ``activity_id``, not undone, that changed some of the same
    contacts: (summary, actor, when, how many of them), or None. Undoing or redoing
    ``activity_id`` then would throw that work away. An undo's images (kept for its redo)
    are no later work on the contacts."""
    row = con.execute(
        "SELECT a.summary, a.actor, a.at, count(*) FROM activity_changes later "
        "JOIN activity a ON a.id = later.activity_id "
        "WHERE later.activity_id > ?1 AND a.undone_at IS NULL AND a.action <> 'undo' "
        "AND EXISTS ("
        "  SELECT 1 FROM activity_changes mine "
        "  WHERE mine.activity_id = ?1 AND mine.contact_id = later.contact_id) "
        "GROUP BY a.id ORDER BY a.id DESC LIMIT 1",
        (activity_id,),
    ).fetchone()
    return None if row is None else (str(row[0]), str(row[1]), str(row[2]), int(row[3]))


MEMBERSHIP_COLUMNS = (
    "contact_id, list_id, status, added_at, mailjet_status, mailjet_changed_at, synced_at"
)
MEMBERSHIP_IMAGE = (
    "(SELECT json_group_array(json_array(m.list_id, m.status, m.added_at, m.mailjet_status, "
    "m.mailjet_changed_at, m.synced_at)) FROM memberships m WHERE m.contact_id = {who})"
)
"""A contact's list memberships (SQL, ``who`` its contact's id), kept in the before image of a
step that adds, removes or moves memberships, so that undo can put them back as they were."""


def keep_images(
    con: sqlite3.Connection,
    activity_id: int,
    contacts_sql: str,
    params: tuple[object, ...],
    *,
    removed_batch: int | None,
) -> None:
    """Record, for step ``activity_id``, the before image of each contact whose id
    ``contacts_sql`` (with ``params``) selects, with the consent records the step will
    remove: those of import ``removed_batch`` (None: none)."""
    con.execute(
        "INSERT OR IGNORE INTO activity_changes (activity_id, contact_id, before) "
        f"SELECT ?, c.id, json_set({CONTACT_IMAGE}, '$.ledger', "
        f"json((SELECT json_group_array({_LEDGER_IMAGE}) FROM consent_ledger l "
        "WHERE l.contact_id = c.id AND l.batch_id = ?))) "
        f"FROM contacts c WHERE c.id IN ({contacts_sql})",
        (activity_id, removed_batch, *params),
    )


def keep_step_images(
    con: sqlite3.Connection,
    activity_id: int,
    contacts_sql: str,
    params: tuple[object, ...] = (),
    *,
    ledger: str | None = None,
    ledger_params: tuple[object, ...] = (),
    memberships: bool = False,
    ledger_alone: bool = False,
) -> None:
    """Record, for step ``activity_id``, the before image of each contact whose id
    ``contacts_sql`` (with ``params``) selects: with the consent records the step will
    remove (those of the contact ``l`` that the SQL condition ``ledger`` with
    ``ledger_params`` picks; None: none) and, if ``memberships``, its list memberships.
    ``ledger_alone`` keeps, instead of the contact's fields, its consent summary
    (`CONSENT_IMAGE`), for a step that adds or removes consent records and nothing else (a
    withdrawal, its undo: ``put_back(ledger_only=True)`` puts them back)."""
    # (a consent-only image reads the narrow summaries alone, not the contacts' rows)
    image, rows, who = (
        (CONSENT_IMAGE, "consent_summaries s", "s.contact_id")
        if ledger_alone
        else (CONTACT_IMAGE, "contacts c", "c.id")
    )
    if ledger is not None:
        image = (
            f"json_set({image}, '$.ledger', json((SELECT json_group_array({_LEDGER_IMAGE}) "
            f"FROM consent_ledger l WHERE l.contact_id = {who} AND ({ledger}))))"
        )
    if memberships:
        image = f"json_set({image}, '$.memberships', json({MEMBERSHIP_IMAGE.format(who=who)}))"
    con.execute(
        "INSERT OR IGNORE INTO activity_changes (activity_id, contact_id, before) "
        f"SELECT ?, {who}, {image} FROM {rows} WHERE {who} IN ({contacts_sql})",
        (activity_id, *ledger_params, *params),
    )


def put_memberships_back(con: sqlite3.Connection, activity_id: int) -> None:
    """Give every contact whose before image in step ``activity_id`` holds its list
    memberships exactly those memberships again (its lists must exist)."""
    kept = (
        "SELECT contact_id FROM activity_changes WHERE activity_id = ? "
        "AND json_type(before, '$.memberships') IS NOT NULL"
    )
    con.execute(f"DELETE FROM memberships WHERE contact_id IN ({kept})", (activity_id,))
    columns = ", ".join(f"json_extract(r.value, '$[{i}]')" for i in range(6))
    con.execute(
        f"INSERT INTO memberships ({MEMBERSHIP_COLUMNS}) SELECT i.contact_id, {columns} "
        "FROM activity_changes i, json_each(i.before, '$.memberships') AS r "
        "WHERE i.activity_id = ? AND i.before IS NOT NULL",
        (activity_id,),
    )


def step_size(con: sqlite3.Connection, activity_id: int) -> int:
    """How many contacts step ``activity_id`` kept an image of."""
    return int(
        con.execute(
            "SELECT count(*) FROM activity_changes WHERE activity_id = ?", (activity_id,)
        ).fetchone()[0]
    )


def _field(name: str, column: str = "before") -> str:
    return f"json_extract({column}, '$.{name}')"


def put_back(
    con: sqlite3.Connection, activity_id: int, *, ledger_only: bool = False
) -> tuple[int, int, int]:
    """Put step ``activity_id``'s before images back: contacts it created are deleted (with
    their consent records), contacts it deleted are made again with their ids, contacts it
    changed get their fields back, consent records it removed are recorded again and list
    memberships it kept are as they were. ``ledger_only`` says the images differ from the
    contacts in their consent records alone (the undo of a withdrawal: no contact made,
    deleted or edited), and only those are put back. Returns (deleted, made again,
    changed). The caller checks first that nothing done since depends on the step, and
    runs this inside its transaction."""
    if ledger_only:
        _put_ledger_back(con, activity_id, "")
        return 0, 0, 0
    created = "SELECT contact_id FROM activity_changes WHERE activity_id = ? AND before IS NULL"
    con.execute(
        "INSERT OR IGNORE INTO ledger_release (kind, ref) SELECT 'contact', contact_id "
        "FROM activity_changes WHERE activity_id = ? AND before IS NULL",
        (activity_id,),
    )
    con.execute(f"DELETE FROM consent_ledger WHERE contact_id IN ({created})", (activity_id,))
    deleted = con.execute(f"DELETE FROM contacts WHERE id IN ({created})", (activity_id,)).rowcount
    con.execute(
        f"DELETE FROM ledger_release WHERE kind = 'contact' AND ref IN ({created})", (activity_id,)
    )
    images = "FROM activity_changes WHERE activity_id = ? AND before IS NOT NULL"
    fields = ", ".join(
        _field(name)
        for name in (
            "email_key",
            "email",
            "first_name",
            "last_name",
            "properties_text",
            "flags",
            "created_at",
            "updated_at",
        )
    )
    made = con.execute(
        "INSERT INTO contacts (id, email_key, email, first_name, last_name, properties, flags, "
        f"created_at, updated_at) SELECT contact_id, {fields} {images} "
        "AND NOT EXISTS (SELECT 1 FROM contacts WHERE id = contact_id)",
        (activity_id,),
    ).rowcount
    changed = restore_changed(con, activity_id)
    _put_ledger_back(con, activity_id, "AND json_array_length(before, '$.ledger') > 0")
    put_memberships_back(con, activity_id)
    return deleted, made, changed


def restore_consent_summaries(con: sqlite3.Connection, activity_id: int) -> bool:
    """Set back the consent summaries step ``activity_id``'s images hold (`CONSENT_IMAGE`),
    when every image holds one (a step kept before they did: False, nothing done). Only
    right when nothing since changed those contacts' consent records (undo and redo check
    that first)."""
    kept = con.execute(
        "SELECT count(*), count(json_extract(before, '$.consent')) "
        "FROM activity_changes WHERE activity_id = ?",
        (activity_id,),
    ).fetchone()
    if not kept[0] or kept[0] != kept[1]:
        return False
    if kept[0] >= BULK_ROWS:
        defer_named(con, SUMMARY_INDEXES)
    con.execute(
        "UPDATE consent_summaries AS s SET "
        "consent_status = json_extract(b.before, '$.consent[0]'), "
        "consent_at = json_extract(b.before, '$.consent[1]'), "
        "consent_source = json_extract(b.before, '$.consent[2]') "
        "FROM activity_changes b WHERE b.activity_id = ? AND s.contact_id = b.contact_id",
        (activity_id,),
    )
    return True


def _put_ledger_back(con: sqlite3.Connection, activity_id: int, holding: str) -> None:
    """Record again the consent records step ``activity_id``'s images hold, with their
    numbers; ``holding`` narrows the images to those that hold some (SQL)."""
    images = "FROM activity_changes WHERE activity_id = ? AND before IS NOT NULL"
    columns = ", ".join(f"json_extract(r.value, '$[{i}]')" for i in range(13))
    # The records go back in one statement and the summaries of their contacts follow in
    # another (the ledger's trigger would update a contact row per record).
    with triggers_suspended(con, LEDGER_INSERT_TRIGGERS) as suspended:
        con.execute(
            f"INSERT INTO consent_ledger ({LEDGER_COLUMNS}) SELECT {columns} "
            f"FROM (SELECT before {images}) AS i, json_each(i.before, '$.ledger') AS r "
            "ORDER BY json_extract(r.value, '$[0]')",
            (activity_id,),
        )
        if suspended and not restore_consent_summaries(con, activity_id):
            many = step_size(con, activity_id) >= BULK_ROWS
            refresh_consent_summaries(
                con, f"SELECT contact_id AS id {images} {holding}", (activity_id,), many=many
            )


_RESTORE = """
    UPDATE contacts SET
        email_key = coalesce(b.email_key, contacts.email_key),
        email = b.email,
        first_name = b.first_name,
        last_name = b.last_name,
        properties = b.properties,
        flags = b.flags,
        updated_at = coalesce(b.updated_at, contacts.updated_at)
    FROM (
        SELECT contact_id,
            json_extract(before, '$.email_key') AS email_key,
            json_extract(before, '$.email') AS email,
            json_extract(before, '$.first_name') AS first_name,
            json_extract(before, '$.last_name') AS last_name,
            coalesce(json_extract(before, '$.properties_text'),
                     json(json_extract(before, '$.properties'))) AS properties,
            json_extract(before, '$.flags') AS flags,
            json_extract(before, '$.updated_at') AS updated_at
        FROM activity_changes WHERE activity_id = ? AND before IS NOT NULL
    ) AS b
    WHERE contacts.id = b.contact_id AND (
        contacts.email_key IS NOT coalesce(b.email_key, contacts.email_key)
        OR contacts.email IS NOT b.email
        OR contacts.first_name IS NOT b.first_name COLLATE BINARY
        OR contacts.last_name IS NOT b.last_name COLLATE BINARY
        OR contacts.properties IS NOT b.properties
        OR contacts.flags IS NOT b.flags COLLATE BINARY
        OR contacts.updated_at IS NOT coalesce(b.updated_at, contacts.updated_at))
"""


def restore_changed(con: sqlite3.Connection, activity_id: int) -> int:
    """Give every contact that step ``activity_id`` kept a before image of its fields back
    (an image from before the stored properties text was kept rebuilds it from the JSON).
    Only rows that differ from their image are written (a consent-only step left its
    100,000 rows as they were: rewriting them would cost the search index its work for
    nothing). Returns how many rows were set."""
    return con.execute(_RESTORE, (activity_id,)).rowcount


def image_conflicts(con: sqlite3.Connection, activity_id: int) -> tuple[int, int]:
    """What stands in the way of putting ``activity_id``'s images back: (contacts to make
    again whose address is in the workspace again, consent records whose number is taken)."""
    images = "FROM activity_changes WHERE activity_id = ? AND before IS NOT NULL"
    readded = con.execute(
        f"SELECT count(*) {images} AND NOT EXISTS (SELECT 1 FROM contacts WHERE id = "
        f"contact_id) AND EXISTS (SELECT 1 FROM contacts WHERE email_key = {_field('email_key')})",
        (activity_id,),
    ).fetchone()[0]
    taken = con.execute(
        f"SELECT count(*) FROM (SELECT before {images}) AS i, json_each(i.before, '$.ledger') r "
        "WHERE EXISTS (SELECT 1 FROM consent_ledger WHERE id = json_extract(r.value, '$[0]'))",
        (activity_id,),
    ).fetchone()[0]
    return int(readded), int(taken)
