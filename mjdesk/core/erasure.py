"""Erasing one person on request (GDPR article 17), so that no byte of their address or name
stays in the workspace: not in its rows, not in its free pages, not in its write-ahead log.

SQLite keeps deleted bytes unless told otherwise, so the erasure runs with deleted content
overwritten by zeros (`Workspace.transaction` with ``zero_deleted``), and then empties the
log (`Workspace.empty_log`). What else would keep the person, and how it goes:

- the contact's row, consent records (released through ``ledger_release``, the one
  sanctioned way to remove them), memberships and flags;
- what the last pull saw of them in Mailjet: only their Mailjet id stays, queued for the
  next push to erase them there too (``mailjet_erasures``);
- the before images kept for undo (``activity_changes``): the person's own are deleted (an
  erasure cannot be undone), and their address is taken out of any other step's record;
- the search index: a full-text index keeps the trigrams of a deleted row in its segments
  until they are merged. SQLite 3.42 and later remove them at once (FTS5 ``secure-delete``);
  older ones merge the whole index into one segment (``optimize``), which takes longer;
- the pages freed on the way, and older free pages that may hold earlier copies of the
  person's rows, are overwritten with zeros. Pages in use hold no such copies in a workspace
  whose deletes were always zeroed (`ZEROED_SINCE`); one written before that is made again
  from its rows (VACUUM) by its first erasure.

What is left is a tombstone, a keyed hash of the address that stops a later import from
adding the person back without a new, dated consent, and an activity entry with the date
and the count, never the person. Backups mjdesk made before still hold the person: the
erasure names them (`backups_holding`) so that the user can delete them.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from mjdesk.core.atomic import TEMP_PREFIX, TEMP_SUFFIX
from mjdesk.core.clock import current_user, now_iso
from mjdesk.core.details import NoSuchPerson, find_contact
from mjdesk.core.flags import Flag, mailbox_key
from mjdesk.core.journal import record_activity
from mjdesk.core.tombstones import add_tombstone
from mjdesk.core.workspace import ZEROED_SINCE, Workspace

SECURE_FTS = sqlite3.sqlite_version_info >= (3, 42, 0)
"""Whether this SQLite removes a deleted row's entries from a full-text index at once."""

ERASED = "(erased)"
"""What the address becomes where another record quoted it."""


@dataclass(frozen=True)
class Erasure:
    """What an erasure did."""

    activity_id: int
    """The 'erase' activity entry (date and count only)."""
    backups: list[Path]
    """Copies of the workspace made before the erasure that still hold the person."""
    log_emptied: bool
    """Whether the write-ahead log was emptied at once (else on the next write or close)."""


def backups_holding(workspace: Path) -> list[Path]:
    """The copies mjdesk made of ``workspace`` beside it (before each upgrade of its format,
    and any half copy a killed one left), oldest first. Copies the user made elsewhere with
    File › Back Up Workspace or ``mjdesk backup`` are theirs to find."""
    folder = workspace.parent
    found = [*folder.glob(f"{workspace.stem}.*.bak.sqlite3")]
    found += folder.glob(f"{TEMP_PREFIX}{workspace.stem}.*.bak.sqlite3-*{TEMP_SUFFIX}")
    return sorted(found, key=lambda p: (_modified(p), p.name))


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def erase_address(
    workspace: Workspace, address: str, *, actor: str | None = None, reason: str = ""
) -> Erasure:
    """Erase the contact at ``address`` (`NoSuchPerson` if there is none)."""
    with workspace.reading() as con:
        contact_id = find_contact(con, address)
    return erase_contact(workspace, contact_id, actor=actor, reason=reason)


def erase_contact(
    workspace: Workspace, contact_id: int, *, actor: str | None = None, reason: str = ""
) -> Erasure:
    """Erase contact ``contact_id`` and every trace of them (see the module's text)."""
    actor = actor or current_user()
    with workspace.transaction(zero_deleted=True) as con:
        row = con.execute(
            "SELECT email, email_key, first_name, last_name FROM contacts WHERE id = ?",
            (contact_id,),
        ).fetchone()
        if row is None:
            raise NoSuchPerson("That contact is no longer in this workspace.")
        email, key = str(row[0]), str(row[1])
        _zero_free_pages(con)  # (the pages this transaction frees, it zeroes itself)
        _unflag_others(con, contact_id, key, str(row[2]), str(row[3]))
        con.execute(
            "INSERT OR IGNORE INTO ledger_release (kind, ref) VALUES ('contact', ?)", (contact_id,)
        )
        con.execute("DELETE FROM consent_ledger WHERE contact_id = ?", (contact_id,))
        con.execute("DELETE FROM ledger_release WHERE kind = 'contact' AND ref = ?", (contact_id,))
        con.execute("DELETE FROM memberships WHERE contact_id = ?", (contact_id,))
        con.execute("DELETE FROM activity_changes WHERE contact_id = ?", (contact_id,))
        # Mailjet is told by the next push (its id is all that is kept of the person)
        con.execute(
            "INSERT OR IGNORE INTO mailjet_erasures (mailjet_id, erased_at) "
            "SELECT mailjet_id, ? FROM mailjet_contacts WHERE email_key = ? AND NOT is_anonymized",
            (now_iso(), key),
        )
        con.execute("DELETE FROM mailjet_contacts WHERE email_key = ?", (key,))
        _forget_address(con, key)
        if SECURE_FTS:
            con.execute(
                "INSERT INTO contacts_search (contacts_search, rank) VALUES ('secure-delete', 1)"
            )
        con.execute("DELETE FROM contacts WHERE id = ?", (contact_id,))  # (and its search row)
        if SECURE_FTS:
            con.execute(
                "INSERT INTO contacts_search (contacts_search, rank) VALUES ('secure-delete', 0)"
            )
        else:
            con.execute("INSERT INTO contacts_search (contacts_search) VALUES ('optimize')")
        add_tombstone(con, email, actor=actor, reason=reason)
        activity_id = record_activity(
            con,
            actor=actor,
            action="erase",
            summary="Erased one person on request",
            count=1,
        )
    if workspace.meta(ZEROED_SINCE) is None:
        # Written before deletes were zeroed: older copies of the person's rows may be in
        # pages still in use. Once per workspace, the file is made again without them.
        workspace.vacuum()
        with workspace.transaction() as con:
            con.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (ZEROED_SINCE, now_iso())
            )
    return Erasure(activity_id, backups_holding(workspace.path), workspace.empty_log())


def _unflag_others(
    con: sqlite3.Connection, contact_id: int, key: str, first: str, last: str
) -> None:
    """Take away the flags other contacts had because of this one (the person's own go with
    their row): a similar address that named them, a duplicate or a namesake now alone."""
    con.execute(
        "DELETE FROM contact_flags WHERE flag = ? AND hint = ?",
        (Flag.NEAR_ADDRESS.stored, str(contact_id)),
    )
    mailbox = mailbox_key(key)
    con.execute(
        "DELETE FROM contact_flags WHERE flag = ?1 AND hint = ?2 AND ("
        "  SELECT count(*) FROM contact_flags WHERE flag = ?1 AND hint = ?2) <= 2",
        (Flag.DUPLICATE.stored, mailbox),
    )
    if first and last:
        con.execute(
            "DELETE FROM contact_flags WHERE flag = ?1 AND contact_id IN ("
            "  SELECT id FROM contacts WHERE last_name = ?2 AND first_name = ?3) AND ("
            "  SELECT count(*) FROM contacts WHERE last_name = ?2 AND first_name = ?3) <= 2",
            (Flag.SAME_NAME.stored, last, first),
        )


def _forget_address(con: sqlite3.Connection, key: str) -> None:
    """Take the address, in any spelling, out of every record that quotes it besides the
    person's own: other contacts' before images (a field that named them), activity entries
    and imports. (SQLite's lower() folds only ASCII letters: enough to find the few records
    that need the casefolded comparison here.)"""
    places = (
        ("activity_changes", "before", "activity_id, contact_id"),
        ("activity", "summary", "id"),
        ("activity", "details", "id"),
        ("import_batches", "file_name", "id"),
        ("import_batches", "mapping", "id"),
        ("import_batches", "counts", "id"),
    )
    found = re.compile(re.escape(key), re.IGNORECASE)
    rough = max(re.split(r"[^\x00-\x7f]+", key), key=len)  # (what lower() can match)
    for table, column, ident in places:
        rows = con.execute(
            f"SELECT {ident}, {column} FROM {table} WHERE instr(lower({column}), ?)", (rough,)
        ).fetchall()
        keys = ident.split(", ")
        where = " AND ".join(f"{k} = ?" for k in keys)
        for *who, text in rows:
            if found.search(text):
                con.execute(
                    f"UPDATE {table} SET {column} = ? WHERE {where}",
                    (found.sub(ERASED, text), *who),
                )


def _zero_free_pages(con: sqlite3.Connection) -> None:
    """Overwrite the file's free pages with zeros: they may hold copies of the person's rows
    from before (a row changed or deleted without ``secure_delete``). A blob as large as the
    free pages takes them all, and giving it back frees them zeroed."""
    free = int(con.execute("PRAGMA freelist_count").fetchone()[0])
    if not free:
        return
    size = int(con.execute("PRAGMA page_size").fetchone()[0])
    con.execute("CREATE TABLE mjdesk_zeroed_pages (pages BLOB)")
    left = free * size
    while left > 0:  # (a blob is at most a billion bytes)
        con.execute("INSERT INTO mjdesk_zeroed_pages VALUES (zeroblob(?))", (min(left, _BLOB),))
        left -= _BLOB
    con.execute("DROP TABLE mjdesk_zeroed_pages")


_BLOB = 256 * 1024 * 1024
