"""What a pull found in Mailjet, stored in the workspace (the calls are made by
`mjdesk.mailjet.syncing`): one list, its members with their subscription state, what
Mailjet knows of each (exclusion, spam complaint, hard bounce, properties).

The local subscription state follows Mailjet: someone who unsubscribed there is
unsubscribed here too (and the plan never subscribes them again). A person Mailjet has
and this workspace does not is added, with no consent, and flagged "in Mailjet, consent
unknown"; the consent a colleague's push put in the contact's properties becomes a
consent record here (`consent_properties`). A person a colleague erased (anonymised in
Mailjet) is named in the result, for the caller to erase here too.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from mjdesk.core.addresses import clean_typed, email_key
from mjdesk.core.changes import Changes
from mjdesk.core.clock import current_user, now_iso
from mjdesk.core.contacts import record_consent
from mjdesk.core.flags import flags_outdated, refresh_consent_flags, refresh_sync_flags
from mjdesk.core.journal import record_activity
from mjdesk.core.sync.consent_properties import from_properties, has_record
from mjdesk.core.tombstones import erased_among
from mjdesk.core.workspace import Workspace


@dataclass(frozen=True)
class PulledList:
    """A Mailjet contact list."""

    mailjet_id: int
    name: str


@dataclass(frozen=True)
class PulledContact:
    """A Mailjet contact, as `/contact` and `/contactdata` give it."""

    mailjet_id: int
    email: str
    is_excluded: bool = False
    is_spam: bool = False
    is_anonymized: bool = False
    properties: Mapping[str, object] | None = None
    """Its property values; None when not read this time (unchanged since the last pull)."""
    updated_at: str = ""
    """Mailjet's ``LastUpdateAt``: when it moves, the properties are read again."""


@dataclass(frozen=True)
class PulledMembership:
    """A contact's place in the list (`/listrecipient`)."""

    mailjet_contact_id: int
    unsubscribed: bool
    changed_at: str = ""
    """When they unsubscribed (or subscribed), as Mailjet says."""


@dataclass(frozen=True)
class ListPull:
    """Everything one pull of one list found."""

    list: PulledList
    contacts: Sequence[PulledContact]
    memberships: Sequence[PulledMembership]
    hard_bounced: Mapping[int, str] = field(default_factory=dict)
    """Mailjet contact id -> when mail to them bounced for good."""


@dataclass(frozen=True)
class PullResult:
    """What a pull changed here."""

    activity_id: int
    list_id: int
    members: int
    added: int
    """People Mailjet has that were not in this workspace (no consent recorded)."""
    unsubscribed: int
    """Members who unsubscribed in Mailjet since the last pull."""
    consents: int
    """Consent records made from the properties a colleague's push left."""
    erased_elsewhere: list[int]
    """Contacts here whom a colleague erased (anonymised in Mailjet): to erase here too."""
    message: str
    changes: Changes


def _plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else many or word + 's'}"


def store_pull(workspace: Workspace, pull: ListPull, *, actor: str | None = None) -> PullResult:
    """Store what a pull of one list found, in one step (see the module's text)."""
    actor = actor or current_user()
    now = now_iso()
    with workspace.transaction() as con:
        current = not flags_outdated(con)
        first = (
            con.execute(
                "SELECT 1 FROM lists WHERE mailjet_id = ? AND pulled_at IS NOT NULL",
                (pull.list.mailjet_id,),
            ).fetchone()
            is None
        )
        list_id = _local_list(con, pull.list, now)
        erased_elsewhere = _anonymised_since(con, pull.contacts)
        _store_contacts(con, pull, now)
        activity = record_activity(
            con, actor=actor, action="pull", summary=f"Pulled “{pull.list.name}” from Mailjet"
        )
        added = _add_unknown(con, pull.contacts, activity, now)
        consents = _shared_consents(con, pull.contacts, actor, activity)
        unsubscribed = _store_memberships(con, list_id, pull.memberships, activity, now)
        members = len(pull.memberships)
        parts = [_plural(members, "member")]
        if unsubscribed:
            since = "" if first else " since the last pull"
            parts.append(f"{unsubscribed:,} unsubscribed in Mailjet{since}")
        if added:
            parts.append(f"{_plural(added, 'person', 'people')} new here, consent unknown")
        if consents:
            parts.append(f"{_plural(consents, 'consent record')} from a colleague")
        if erased_elsewhere:
            parts.append(f"{_plural(len(erased_elsewhere), 'person', 'people')} erased elsewhere")
        summary = f"Pulled “{pull.list.name}” from Mailjet: " + "; ".join(parts)
        touched = f"SELECT contact_id FROM activity_changes WHERE activity_id = {int(activity)}"
        count = con.execute(f"SELECT count(*) FROM ({touched})").fetchone()[0]
        con.execute(
            "UPDATE activity SET summary = ?, count = ?, details = ? WHERE id = ?",
            (
                summary,
                count,
                json.dumps(
                    {
                        "list": list_id,
                        "members": members,
                        "added": added,
                        "unsubscribed": unsubscribed,
                        "consents": consents,
                    }
                ),
                activity,
            ),
        )
        members_sql = f"SELECT contact_id FROM memberships WHERE list_id = {int(list_id)}"
        refresh_consent_flags(con, touched, was_current=current)
        refresh_sync_flags(con, members_sql, was_current=current)
    return PullResult(
        activity,
        list_id,
        members,
        added,
        unsubscribed,
        consents,
        erased_elsewhere,
        summary + ".",
        Changes(contacts_added_or_removed=True, lists=True, activity=True, flags=True),
    )


def _local_list(con: sqlite3.Connection, pulled: PulledList, now: str) -> int:
    """The local list linked to the Mailjet list (linked now by name if none is yet, made
    if there is none of that name); a list renamed in Mailjet is renamed here."""
    row = con.execute(
        "SELECT id, name FROM lists WHERE mailjet_id = ?", (pulled.mailjet_id,)
    ).fetchone()
    if row is None:
        row = con.execute(
            "SELECT id, name FROM lists WHERE name = ? AND mailjet_id IS NULL", (pulled.name,)
        ).fetchone()
    if row is None:
        cursor = con.execute(
            "INSERT INTO lists (name, mailjet_id, created_at, pulled_at) VALUES (?, ?, ?, ?)",
            (pulled.name, pulled.mailjet_id, now, now),
        )
        return int(cursor.lastrowid or 0)
    list_id = int(row[0])
    taken = con.execute(
        "SELECT 1 FROM lists WHERE name = ? AND id <> ?", (pulled.name, list_id)
    ).fetchone()
    name = str(row[1]) if taken else pulled.name
    con.execute(
        "UPDATE lists SET mailjet_id = ?, pulled_at = ?, name = ? WHERE id = ?",
        (pulled.mailjet_id, now, name, list_id),
    )
    return list_id


def _anonymised_since(con: sqlite3.Connection, contacts: Sequence[PulledContact]) -> list[int]:
    """The contacts here whom Mailjet held under their address at the last pull and has
    anonymised since (a colleague's erasure, or one made in Mailjet itself)."""
    gone = [c.mailjet_id for c in contacts if c.is_anonymized]
    if not gone:
        return []
    return [
        int(row[0])
        for row in con.execute(
            "SELECT c.id FROM json_each(?) j "
            "JOIN mailjet_contacts m ON m.mailjet_id = j.value AND NOT m.is_anonymized "
            "JOIN contacts c ON c.email_key = m.email_key",
            (json.dumps(gone),),
        )
    ]


def _store_contacts(con: sqlite3.Connection, pull: ListPull, now: str) -> None:
    con.executemany(
        "INSERT INTO mailjet_contacts (mailjet_id, email_key, email, is_excluded, is_spam, "
        "is_anonymized, hard_bounced_at, properties, updated_at, pulled_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, coalesce(?8, (SELECT properties FROM "
        "mailjet_contacts WHERE mailjet_id = ?1), '{}'), ?9, ?10) "
        "ON CONFLICT (mailjet_id) DO UPDATE SET "
        "email_key = excluded.email_key, email = excluded.email, "
        "is_excluded = excluded.is_excluded, is_spam = excluded.is_spam, "
        "is_anonymized = excluded.is_anonymized, "
        "hard_bounced_at = coalesce(excluded.hard_bounced_at, mailjet_contacts.hard_bounced_at), "
        "properties = excluded.properties, updated_at = excluded.updated_at, "
        "pulled_at = excluded.pulled_at",
        [
            (
                c.mailjet_id,
                email_key(c.email),
                clean_typed(c.email),
                int(c.is_excluded),
                int(c.is_spam),
                int(c.is_anonymized),
                pull.hard_bounced.get(c.mailjet_id),
                None
                if c.properties is None
                else json.dumps(dict(c.properties), ensure_ascii=False, default=str),
                c.updated_at,
                now,
            )
            for c in pull.contacts
        ],
    )


def _add_unknown(
    con: sqlite3.Connection, contacts: Sequence[PulledContact], activity: int, now: str
) -> int:
    """Add the people Mailjet has and this workspace does not (never one erased here: a
    tombstone keeps them out, as it keeps them out of an import)."""
    keys = {email_key(c.email): c for c in contacts if not c.is_anonymized}
    if not keys:
        return 0
    known = {
        str(row[0])
        for row in con.execute(
            "SELECT c.email_key FROM json_each(?) j JOIN contacts c ON c.email_key = j.value",
            (json.dumps(list(keys)),),
        )
    }
    unknown = [c for key, c in keys.items() if key not in known]
    erased = erased_among(con, [c.email for c in unknown])
    last = con.execute("SELECT coalesce(max(id), 0) FROM contacts").fetchone()[0]
    added = con.executemany(
        "INSERT INTO contacts (email_key, email, created_at, updated_at) VALUES (?, ?, ?, ?)",
        [
            (email_key(c.email), clean_typed(c.email), now, now)
            for c in unknown
            if c.email not in erased
        ],
    ).rowcount
    # (new ids follow the largest: these are the pull's)
    con.execute(
        "INSERT INTO activity_changes (activity_id, contact_id, before) "
        "SELECT ?, id, NULL FROM contacts WHERE id > ?",
        (activity, last),
    )
    return int(added)


def _touch(con: sqlite3.Connection, activity: int, contact_id: int) -> None:
    """Name the contact among those the pull changed (for its history; a pull is no undoable
    step, so the image holds nothing)."""
    con.execute(
        "INSERT OR IGNORE INTO activity_changes (activity_id, contact_id, before) "
        "VALUES (?, ?, '{}')",
        (activity, contact_id),
    )


def _shared_consents(
    con: sqlite3.Connection, contacts: Sequence[PulledContact], actor: str, activity: int
) -> int:
    """Record the consent a colleague's push left in each contact's properties, unless this
    workspace has that record already."""
    made = 0
    for c in contacts:
        if c.is_anonymized or c.properties is None:
            continue
        shared = from_properties(c.properties)
        if shared is None:
            continue
        row = con.execute(
            "SELECT id FROM contacts WHERE email_key = ?", (email_key(c.email),)
        ).fetchone()
        if row is None or has_record(con, int(row[0]), shared):
            continue
        record_consent(con, int(row[0]), shared.as_record(), actor)
        _touch(con, activity, int(row[0]))
        made += 1
    return made


def _store_memberships(
    con: sqlite3.Connection,
    list_id: int,
    memberships: Sequence[PulledMembership],
    activity: int,
    now: str,
) -> int:
    """Set each member's subscription as Mailjet has it; returns how many unsubscribed in
    Mailjet since the last pull. Members here whom Mailjet's list no longer holds are marked
    removed there (those it never held stay "never synced"). Set-based: only the
    memberships that changed are written (each write updates its contact's list labels)."""
    con.execute(
        "CREATE TEMP TABLE IF NOT EXISTS pulled_members (mailjet_id INTEGER PRIMARY KEY, "
        "remote TEXT NOT NULL, changed_at TEXT, contact_id INTEGER)"
    )
    con.execute("DELETE FROM temp.pulled_members")
    con.executemany(
        "INSERT OR REPLACE INTO temp.pulled_members (mailjet_id, remote, changed_at) "
        "VALUES (?, ?, ?)",
        [
            (m.mailjet_contact_id, "unsubscribed" if m.unsubscribed else "subscribed",
             m.changed_at or None)
            for m in memberships
        ],
    )  # fmt: skip
    # (erased here, or anonymised in Mailjet: no contact here)
    con.execute(
        "UPDATE temp.pulled_members SET contact_id = (SELECT c.id FROM mailjet_contacts j "
        "JOIN contacts c ON c.email_key = j.email_key "
        "WHERE j.mailjet_id = pulled_members.mailjet_id AND NOT j.is_anonymized)"
    )
    mine = "SELECT * FROM memberships s WHERE s.contact_id = p.contact_id AND s.list_id = ?1"
    # (not those whose consent was withdrawn here: a push of ours unsubscribed them)
    unsubscribed = con.execute(
        "SELECT count(*) FROM temp.pulled_members p WHERE p.contact_id IS NOT NULL "
        f"AND p.remote = 'unsubscribed' AND NOT EXISTS ({mine} "
        "AND s.mailjet_status IS 'unsubscribed') AND NOT EXISTS (SELECT 1 FROM consent_summaries c "
        "WHERE c.contact_id = p.contact_id AND c.consent_status = 'withdrawn')",
        (list_id,),
    ).fetchone()[0]
    changed = (
        "SELECT p.contact_id FROM temp.pulled_members p WHERE p.contact_id IS NOT NULL "
        f"AND NOT EXISTS ({mine} AND s.status = p.remote AND s.mailjet_status IS p.remote "
        "AND s.synced_status IS p.remote)"
    )
    con.execute(
        "INSERT OR IGNORE INTO activity_changes (activity_id, contact_id, before) "
        f"SELECT ?2, contact_id, '{{}}' FROM ({changed})",
        (list_id, activity),
    )
    con.execute(
        "UPDATE memberships SET status = p.remote, mailjet_status = p.remote, "
        "mailjet_changed_at = p.changed_at, synced_status = p.remote, synced_at = ?2 "
        "FROM temp.pulled_members p WHERE memberships.list_id = ?1 "
        "AND memberships.contact_id = p.contact_id AND NOT (memberships.status = p.remote "
        "AND memberships.mailjet_status IS p.remote AND memberships.synced_status IS p.remote)",
        (list_id, now),
    )
    con.execute(
        "INSERT OR IGNORE INTO memberships (contact_id, list_id, status, added_at, "
        "mailjet_status, mailjet_changed_at, synced_status, synced_at) "
        "SELECT contact_id, ?1, remote, ?2, remote, changed_at, remote, ?2 "
        "FROM temp.pulled_members WHERE contact_id IS NOT NULL",
        (list_id, now),
    )
    con.execute(
        "UPDATE memberships SET mailjet_status = 'removed', synced_status = 'removed', "
        "synced_at = ?2 WHERE list_id = ?1 AND mailjet_status IS NOT NULL "
        "AND mailjet_status <> 'removed' AND contact_id NOT IN "
        "(SELECT contact_id FROM temp.pulled_members WHERE contact_id IS NOT NULL)",
        (list_id, now),
    )
    return int(unsubscribed)
