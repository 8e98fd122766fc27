"""Everything held about one contact, as the details panel shows it and a GDPR access request
will export it: the fields and imported properties, the proof of each consent record, the
lists, and the history of what was done to the contact."""

from __future__ import annotations

import html
import json
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path

from mjdesk.core.addresses import email_key
from mjdesk.core.atomic import write_text_atomically
from mjdesk.core.clock import now_iso
from mjdesk.core.work import UserError


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


class NoSuchPerson(UserError):
    """No contact has the address asked about."""


def find_contact(con: sqlite3.Connection, address: str) -> int:
    """The id of the contact at ``address`` (as the workspace keys addresses), or
    `NoSuchPerson`."""
    row = con.execute(
        "SELECT id FROM contacts WHERE email_key = ?", (email_key(address),)
    ).fetchone()
    if row is None:
        raise NoSuchPerson(f"No contact in this workspace has the address {address.strip()}.")
    return int(row[0])


def access_export(details: ContactDetails, folder: Path) -> tuple[Path, Path]:
    """Everything held about one person, for a GDPR access request: a JSON file (the whole
    record, for a machine) and a readable HTML summary, both in ``folder``, which is made if
    needed. Returns their paths. Files already there with those names are replaced."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = "mjdesk access " + "".join(
        c if c.isalnum() or c in "@.-_" else "_" for c in details.email
    )
    record = {"exported_at": now_iso(), **asdict(details)}
    data = folder / f"{stem}.json"
    write_text_atomically(data, json.dumps(record, ensure_ascii=False, indent=2) + "\n")
    page = folder / f"{stem}.html"
    write_text_atomically(page, access_html(details))
    return data, page


def access_html(details: ContactDetails) -> str:
    """The HTML summary of an access export (every value escaped)."""
    e = html.escape
    rows = [
        ("Address", details.email),
        ("Name", f"{details.first_name} {details.last_name}".strip()),
        ("Consent", details.consent_status),
        ("Consent date", details.consent_at or ""),
        ("Added", details.created_at),
        ("Last changed", details.updated_at),
        *sorted(details.properties.items()),
    ]
    table = "".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in rows)
    proofs = "".join(
        "<tr>"
        + "".join(
            f"<td>{e(str(v))}</td>"
            for v in (
                p.status,
                p.given_at,
                p.wording,
                p.lawful_basis,
                p.source_file,
                p.source_sha256,
                p.source_sheet,
                "" if p.source_row is None else p.source_row,
                p.recorded_at,
                p.recorded_by,
            )
        )
        + "</tr>"
        for p in details.proofs
    )
    lists = "".join(f"<li>{e(n)}: {e(s)}</li>" for n, s in details.lists) or "<li>none</li>"
    history = "".join(f"<li>{e(a)}, {e(w)}: {e(t)}</li>" for a, w, t in details.history)
    return (
        "<!doctype html><meta charset='utf-8'>"
        f"<title>What is held about {e(details.email)}</title>"
        f"<h1>What is held about {e(details.email)}</h1><table>{table}</table>"
        "<h2>Consent records</h2><table><tr><th>Status</th><th>Given</th><th>Wording</th>"
        "<th>Lawful basis</th><th>File</th><th>SHA-256</th><th>Sheet</th><th>Row</th>"
        f"<th>Recorded</th><th>By</th></tr>{proofs}</table>"
        f"<h2>Lists</h2><ul>{lists}</ul><h2>History</h2><ul>{history or '<li>none</li>'}</ul>"
    )
