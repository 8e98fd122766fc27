"""The workspace as the dry run sees it: `plan_import`'s lookups over a workspace connection,
and `plan_for_workspace`, which plans an import against a workspace."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from mjdesk.core.importing.cleaning import CleanedImport
from mjdesk.core.importing.plan import (
    ExistingContact,
    Lookup,
    Plan,
    never_erased,
    no_contacts,
    plan_import,
)
from mjdesk.core.tombstones import address_hash
from mjdesk.core.workspace import Workspace


def _naive(stored: str | None) -> datetime | None:
    # Dates read from files are naive (UTC by convention); the plan compares them to these.
    if not stored:
        return None
    return datetime.strptime(stored, "%Y-%m-%dT%H:%M:%SZ")


def _text_properties(text: str) -> dict[str, str]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(k): v if isinstance(v, str) else json.dumps(v) for k, v in data.items() if v is not None
    }


def workspace_lookup(con: sqlite3.Connection) -> Lookup:
    """A `plan_import` lookup over a workspace connection (reader or writer)."""
    empty = con.execute("SELECT value FROM counters WHERE name = 'contacts'").fetchone()
    if empty is not None and int(empty[0]) == 0:
        return no_contacts

    def lookup(keys: Sequence[str]) -> Mapping[str, ExistingContact]:
        marks = ",".join("?" * len(keys))
        rows = con.execute(
            "SELECT email_key, first_name, last_name, properties, consent_status, consent_at "
            f"FROM contacts_with_consent WHERE email_key IN ({marks})",
            tuple(keys),
        )
        return {
            key: ExistingContact(
                key, first, last, _text_properties(props), status, _naive(consent_at)
            )
            for key, first, last, props, status, consent_at in rows
        }

    return lookup


def workspace_is_erased(con: sqlite3.Connection) -> Callable[[str], bool]:
    """A `plan_import` erased-address check: the workspace's tombstones, read once."""
    hashes = {row[0] for row in con.execute("SELECT address_hash FROM tombstones")}
    if not hashes:
        return never_erased
    row = con.execute("SELECT value FROM meta WHERE key = 'tombstone_key'").fetchone()
    secret = bytes.fromhex(row[0])
    return lambda key: address_hash(secret, key) in hashes


def plan_for_workspace(
    workspace: Workspace,
    cleaned: CleanedImport,
    *,
    confirmed_erased: frozenset[int] = frozenset(),
    dismissed_suggestions: frozenset[int] = frozenset(),
) -> Plan:
    """`plan_import` against ``workspace``, on one of its pooled readers."""
    with workspace.reading() as con:
        return plan_import(
            cleaned,
            lookup=workspace_lookup(con),
            is_erased=workspace_is_erased(con),
            confirmed_erased=confirmed_erased,
            dismissed_suggestions=dismissed_suggestions,
        )
