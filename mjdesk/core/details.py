"""Everything held about one contact, as the details panel shows it and a GDPR access request
will export it: the fields and imported properties, the proof of each consent record, the
lists, and the history of what was done to the contact."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class ConsentProof:
    """One consent-ledger record with its provenance: what makes it proof."""

    status: str
    given_at: str
    wording: str
    lawful_basis: str
    source_file: str
    source_sha256: str
    source_sheet: str
    source_row: int | None
    recorded_by: str
    recorded_at: str
    import_id: int | None
    """The import (batch) the record came with, None when it was recorded by hand."""


@dataclass(frozen=True)
class ContactDetails:
    """One contact as the workspace holds it."""

    id: int
    email: str
    first_name: str
    last_name: str
    properties: dict[str, str]
    consent_status: str
    consent_at: str | None
    created_at: str
    updated_at: str
    proofs: list[ConsentProof]
    """Newest first: the first one decides the contact's consent."""
    lists: list[tuple[str, str]]
    """(list name, subscription status)."""
    history: list[tuple[str, str, str]]
    """(when, who, what) of every step that touched the contact, newest first."""


def contact_details(con: sqlite3.Connection, contact_id: int) -> ContactDetails | None:
    """Everything about contact ``contact_id``, or None when there is no such contact."""
    row = con.execute(
        "SELECT id, email, first_name, last_name, properties, consent_status, consent_at, "
        "created_at, updated_at FROM contacts WHERE id = ?",
        (contact_id,),
    ).fetchone()
    if row is None:
        return None
    properties = json.loads(row[4] or "{}")
    ledger = con.execute(
        "SELECT status, given_at, coalesce(wording, ''), lawful_basis, "
        "coalesce(source_file, ''), coalesce(source_sha256, ''), coalesce(source_sheet, ''), "
        "source_row, recorded_by, recorded_at, batch_id FROM consent_ledger "
        "WHERE contact_id = ? ORDER BY given_at DESC, id DESC",
        (contact_id,),
    )
    proofs = [ConsentProof(*record) for record in ledger]
    lists = [
        (str(name), str(status))
        for name, status in con.execute(
            "SELECT l.name, m.status FROM memberships m JOIN lists l ON l.id = m.list_id "
            "WHERE m.contact_id = ? ORDER BY l.name",
            (contact_id,),
        )
    ]
    history = [
        (str(at), str(actor), str(summary) + (" (undone)" if undone else ""))
        for at, actor, summary, undone in con.execute(
            "SELECT a.at, a.actor, a.summary, a.undone_at IS NOT NULL FROM activity_changes c "
            "JOIN activity a ON a.id = c.activity_id WHERE c.contact_id = ? "
            "ORDER BY a.id DESC",
            (contact_id,),
        )
    ]
    return ContactDetails(
        int(row[0]),
        str(row[1]),
        str(row[2]),
        str(row[3]),
        {str(k): str(v) for k, v in properties.items()},
        str(row[5]),
        row[6],
        str(row[7]),
        str(row[8]),
        proofs,
        lists,
        history,
    )
