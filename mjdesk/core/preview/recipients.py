"""Who receives a draft, and the contact properties Mailjet will merge for each of them.

Mailjet fills ``data:`` fields from the properties it holds for the contact, not from this
workspace. So a recipient's data is what the last pull saw in Mailjet (``mailjet_contacts``)
when the contact is known there; only a contact Mailjet has not been seen holding falls back
to what the workspace has: its properties, and its names under the property names the
practice account and Mailjet's editor use (``firstname``, ``lastname``, and ``name`` for the
whole name). The sync pushes consent properties only (mjdesk.core.sync.consent_properties),
never names, which is why the workspace's names are not assumed to be in Mailjet.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

FIRST_NAME = "firstname"
LAST_NAME = "lastname"
FULL_NAME = "name"
NAME_PROPERTIES: Mapping[str, str] = {
    FIRST_NAME: "c.first_name",
    "first_name": "c.first_name",
    LAST_NAME: "c.last_name",
    "last_name": "c.last_name",
    FULL_NAME: "trim(c.first_name || ' ' || c.last_name)",
}
"""Property names (lower case) a workspace contact's names answer to, as SQL over ``c``."""

MEMBERS = """
    FROM memberships s
    JOIN contacts c ON c.id = s.contact_id
    LEFT JOIN mailjet_contacts mc ON mc.mailjet_id = (
        SELECT max(m.mailjet_id) FROM mailjet_contacts m
        WHERE m.email_key = c.email_key AND NOT m.is_anonymized)
    WHERE s.list_id = :list AND s.status = 'subscribed'
        AND coalesce(s.mailjet_status, 'subscribed') = 'subscribed'
"""
"""The recipients of a local list, as SQL (``c`` the contact, ``mc`` Mailjet's record of
them, if any, one row even if Mailjet holds the address twice): members subscribed here and
not unsubscribed or removed in Mailjet."""


class DataSource(StrEnum):
    MAILJET = "mailjet"
    """The properties Mailjet held at the last pull: what it will merge."""
    WORKSPACE = "workspace"
    """Not seen in Mailjet yet: the workspace's properties and names, as a best guess."""


@dataclass(frozen=True)
class RecipientData:
    contact_id: int
    email: str
    properties: Mapping[str, object]
    source: DataSource


def local_list_of(con: sqlite3.Connection, mailjet_list_id: int) -> int | None:
    """The workspace list linked to a Mailjet list (a draft names the Mailjet one)."""
    row = con.execute("SELECT id FROM lists WHERE mailjet_id = ?", (mailjet_list_id,)).fetchone()
    return None if row is None else int(row[0])


def recipient_data(con: sqlite3.Connection, contact_id: int) -> RecipientData | None:
    """The properties Mailjet will merge for a contact (see the module's note)."""
    row = con.execute(
        "SELECT c.email, c.first_name, c.last_name, c.properties, mc.properties "
        "FROM contacts c LEFT JOIN mailjet_contacts mc "
        "ON mc.email_key = c.email_key AND NOT mc.is_anonymized WHERE c.id = ? "
        "ORDER BY mc.mailjet_id DESC LIMIT 1",
        (contact_id,),
    ).fetchone()
    if row is None:
        return None
    email, first, last, local, remote = row
    if remote is not None:
        return RecipientData(contact_id, email, _json_object(remote), DataSource.MAILJET)
    properties: dict[str, object] = dict(_json_object(local))
    names = {
        FIRST_NAME: first,
        LAST_NAME: last,
        FULL_NAME: f"{first} {last}".strip(),
    }
    have = {key.lower() for key in properties}
    properties.update({key: value for key, value in names.items() if key not in have})
    return RecipientData(contact_id, email, properties, DataSource.WORKSPACE)


def _json_object(text: str | None) -> dict[str, object]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def value_sql(name: str) -> str:
    """SQL for the value a recipient gets for ``data:name`` (NULL when they have none).

    SQLite's JSON paths match case exactly and Mailjet's names do not: the name as written
    and in lower case are looked up directly, and only when neither is there but the name
    appears in some case is the object searched key by key (rare, so 100,000 rows stay fast).
    """
    key = name.lower()
    local = _lookup("c.properties", name)
    if key in NAME_PROPERTIES:
        local = f"coalesce({local}, nullif({NAME_PROPERTIES[key]}, ''))"
    remote = _lookup("mc.properties", name)
    return f"CASE WHEN mc.mailjet_id IS NOT NULL THEN {remote} ELSE {local} END"


def _lookup(column: str, name: str) -> str:
    key = name.lower()
    direct = [f"json_extract({column}, {_path(n)})" for n in dict.fromkeys((name, key))]
    needle = _literal(f'"{key}"')
    search = (
        f"CASE WHEN instr(lower({column}), {needle}) THEN (SELECT j.value FROM "
        f"json_each({column}) j WHERE lower(j.key) = {_literal(key)} LIMIT 1) END"
    )
    return f"coalesce({', '.join(direct)}, {search})"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _path(name: str) -> str:
    return _literal('$."' + name.replace('"', '\\"') + '"')
