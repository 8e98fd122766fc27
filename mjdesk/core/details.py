"""Everything held about one contact, as the details panel shows it and a GDPR access request
will export it: the fields and imported properties, the proof of each consent record, the
lists, and the history of what was done to the contact."""

from __future__ import annotations

import html
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from mjdesk.core.addresses import email_key
from mjdesk.core.atomic import write_text_atomically
from mjdesk.core.clock import now_iso
from mjdesk.core.sync.held import MailjetHeld
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
    flags: list[tuple[str, str]]
    """(flag, what it means for this contact) of each review flag it carries."""
    stale_after_months: int | None
    """The retention period, in months, when the consent is granted but older than it
    (None otherwise): the consent is then too old to mail on."""


def contact_details(con: sqlite3.Connection, contact_id: int) -> ContactDetails | None:
    """Everything about contact ``contact_id``, or None when there is no such contact."""
    row = con.execute(
        "SELECT id, email, first_name, last_name, properties, consent_status, consent_at, "
        "created_at, updated_at FROM contacts_with_consent WHERE id = ?",
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
            "SELECT l.name, m.status || CASE WHEN m.mailjet_status IS NULL THEN '' "
            "ELSE '; in Mailjet: ' || m.mailjet_status END "
            "FROM memberships m JOIN lists l ON l.id = m.list_id "
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
        _flags(con, contact_id),
        _stale(con, str(row[5]), row[6]),
    )


def _stale(con: sqlite3.Connection, status: str, at: str | None) -> int | None:
    from mjdesk.core.filters import retention_months, stale_before

    months = retention_months(con)
    return months if status == "granted" and (at or "") < stale_before(months) else None


def _flags(con: sqlite3.Connection, contact_id: int) -> list[tuple[str, str]]:
    from mjdesk.core.flags import Flag, flags_of

    said = []
    for flag, hint in flags_of(con, contact_id):
        meaning = flag.meaning
        if flag is Flag.TYPO and hint:
            meaning = f"Perhaps {hint}? (Actions › Accept Typo Fixes)"
        elif flag is Flag.DUPLICATE and hint:
            meaning = (
                f"Another contact reaches the same mailbox ({hint}, once dots and +tags "
                "are left out)."
            )
        elif flag is Flag.NEAR_ADDRESS and hint.isdigit():
            row = con.execute("SELECT email FROM contacts WHERE id = ?", (int(hint),)).fetchone()
            if row is not None:
                meaning = f"One letter away from {row[0]}."
        elif flag is Flag.SAME_NAME:
            twin = con.execute(
                "SELECT email FROM contacts WHERE id <> ?1 AND first_name = "
                "(SELECT first_name FROM contacts WHERE id = ?1) AND last_name = "
                "(SELECT last_name FROM contacts WHERE id = ?1) LIMIT 1",
                (contact_id,),
            ).fetchone()
            if twin is not None:
                meaning = f"Another contact has the same first and last name: {twin[0]}."
        said.append((flag.label, meaning))
    return said


class NoSuchPerson(UserError):
    """No contact has the address asked about."""


def find_contact(con: sqlite3.Connection, address: str) -> int:
    """The id of the contact at ``address`` (as the workspace keys addresses), or
    `NoSuchPerson`."""
    row = con.execute(
        "SELECT id FROM contacts WHERE email_key = ?", (email_key(address),)
    ).fetchone()
    if row is None:
        from mjdesk.core.tombstones import erased_among

        said = f"No contact in this workspace has the address {address.strip()}"
        if erased_among(con, [address]):
            said += ": the person with it was erased on request, and nothing else is held"
        raise NoSuchPerson(said + ".")
    return int(row[0])


def access_export(
    details: ContactDetails,
    folder: Path,
    mailjet: MailjetHeld | None = None,
    mailjet_note: str = "",
) -> tuple[Path, Path]:
    """Everything held about one person, for a GDPR access request: a JSON file (the whole
    record, for a machine) and a readable HTML summary, both in ``folder``, which is made if
    needed; with what Mailjet holds (``mailjet``), or ``mailjet_note`` saying why there is
    nothing of it. Returns their paths. Files already there with those names are replaced."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = "mjdesk access " + "".join(
        c if c.isalnum() or c in "@.-_" else "_" for c in details.email
    )
    held: dict[str, object] = asdict(mailjet) if mailjet else {"note": mailjet_note}
    record = {"exported_at": now_iso(), **asdict(details), "mailjet": held}
    data = folder / f"{stem}.json"
    write_text_atomically(
        data, json.dumps(record, ensure_ascii=False, indent=2, default=str) + "\n"
    )
    page = folder / f"{stem}.html"
    write_text_atomically(page, access_html(details, mailjet, mailjet_note))
    return data, page


_STATUS = {"granted": "Granted", "withdrawn": "Withdrawn", "none": "No consent"}


def _e(text: object) -> str:
    return html.escape(str(text))


def details_html(details: ContactDetails, *, full_times: bool = False) -> str:
    """Everything about one contact as HTML, every value escaped: the details panel shows
    it (dates to the day, times to the minute), an access export keeps it with ``full_times``
    (every stamp as stored)."""

    def day(stamp: str) -> str:
        return stamp if full_times else stamp[:10]

    def minute(stamp: str) -> str:
        return stamp if full_times else stamp[:16].replace("T", " ")

    name = f"{details.first_name} {details.last_name}".strip()
    parts = [f"<h2>{_e(name or details.email)}</h2><p>{_e(details.email)}</p>"]
    if details.flags:
        cells = "".join(
            f"<tr><td><b>{_e(label)}</b></td><td>{_e(meaning)}</td></tr>"
            for label, meaning in details.flags
        )
        parts.append(f"<h3>Flags</h3><table cellpadding='2'>{cells}</table><hr>")
    when = day(details.consent_at or "")
    parts.append(
        f"<h3>Consent: {_e(_STATUS.get(details.consent_status, details.consent_status))}"
        + (f" ({_e(when)})" if when else "")
        + "</h3>"
    )
    if details.stale_after_months is not None:
        parts.append(
            f"<p><b>Too old:</b> given more than {details.stale_after_months} months ago "
            "(Settings › Consent Retention). Ask again before mailing (Actions › Export "
            "Re-permission List), or expire it.</p>"
        )
    if not details.proofs:
        parts.append("<p>No consent record: this person may not be mailed.</p>")
    for proof in details.proofs:
        rows = [
            ("Status", _STATUS.get(proof.status, proof.status)),
            ("Given" if proof.status == "granted" else "Date", day(proof.given_at)),
            ("Wording", proof.wording or "(not recorded)"),
            ("Lawful basis", proof.lawful_basis),
            ("Source file", proof.source_file or "(none)"),
            ("SHA-256", proof.source_sha256 or "(none)"),
            ("Sheet", proof.source_sheet),
            ("Row", "" if proof.source_row is None else proof.source_row),
            ("Import", "" if proof.import_id is None else f"number {proof.import_id}"),
            ("Recorded", f"{minute(proof.recorded_at)} by {proof.recorded_by}"),
        ]
        cells = "".join(
            f"<tr><td><b>{_e(k)}</b></td><td>{_e(v)}</td></tr>" for k, v in rows if v != ""
        )
        parts.append(f"<table cellpadding='2'>{cells}</table><hr>")
    if details.properties:
        cells = "".join(
            f"<tr><td><b>{_e(k)}</b></td><td>{_e(v)}</td></tr>"
            for k, v in sorted(details.properties.items())
        )
        parts.append(f"<h3>Other information</h3><table cellpadding='2'>{cells}</table>")
    lists = ", ".join(f"{_e(n)} ({_e(s)})" for n, s in details.lists) or "none"
    parts.append(f"<h3>Lists</h3><p>{lists}</p>")
    if details.lists and (details.consent_status != "granted" or details.stale_after_months):
        mailed = [n for n, s in details.lists if s.endswith("in Mailjet: subscribed")]
        if mailed:
            parts.append(
                "<p><i>No current consent here, yet Mailjet has them subscribed to "
                f"{_e(', '.join(mailed))}: a sync never adds them, but Mailjet mails them "
                "until they unsubscribe there or are unsubscribed in Mailjet.</i></p>"
            )
        else:
            parts.append(
                "<p><i>Not mailed on these lists: there is no current consent (a sync "
                "leaves this person out).</i></p>"
            )
    history = "".join(
        f"<li>{_e(minute(at))}, {_e(who)}: {_e(what)}</li>" for at, who, what in details.history
    )
    parts.append(f"<h3>History</h3><ul>{history or '<li>nothing recorded</li>'}</ul>")
    parts.append(
        f"<p><small>Added {_e(day(details.created_at))}, changed "
        f"{_e(day(details.updated_at))}.</small></p>"
    )
    return "".join(parts)


def access_html(
    details: ContactDetails, mailjet: MailjetHeld | None = None, mailjet_note: str = ""
) -> str:
    """The readable page of an access export: the contact's details with every stamp
    whole, then what Mailjet holds (or why it is not there)."""
    return (
        "<!doctype html><meta charset='utf-8'>"
        f"<title>What is held about {_e(details.email)}</title>"
        f"<h1>What is held about {_e(details.email)}</h1>"
        + details_html(details, full_times=True)
        + _mailjet_html(mailjet, mailjet_note)
    )


_MAILJET_FIELDS = {
    "ID": "Mailjet contact number",
    "Email": "Address",
    "Name": "Name",
    "CreatedAt": "Added to Mailjet",
    "IsExcludedFromCampaigns": "Excluded from all campaigns",
    "IsSpamComplaining": "Reported a mailing as spam",
    "DeliveredCount": "Mailings delivered",
    "LastActivityAt": "Last activity",
    "UnsubscribedAt": "Unsubscribed",
    "HardBouncedAt": "Mail to them bounced for good",
}
"""Mailjet's field names as a reader of the page would say them (the JSON keeps Mailjet's)."""


def _said(value: object) -> object:
    """A value as the page shows it: yes or no, a time to the minute, "—" for none."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value in ("", None):
        return "—"
    text = str(value)
    if len(text) == 20 and text[10] == "T" and text.endswith("Z"):
        return text[:16].replace("T", " ") + " UTC"
    return value


def _mailjet_html(mailjet: MailjetHeld | None, note: str) -> str:
    if mailjet is None:
        return f"<h3>In Mailjet</h3><p>{_e(note or 'Nothing: not connected to Mailjet.')}</p>"

    def table(pairs: Sequence[tuple[object, object]]) -> str:
        rows = "".join(
            f"<tr><td>{_e(_MAILJET_FIELDS.get(str(k), k))}</td><td>{_e(_said(v))}</td></tr>"
            for k, v in pairs
        )
        return f"<table>{rows}</table>" if rows else "<p>None.</p>"

    lists = [(item.get("list", ""), f"{item.get('status', '')} {item.get('since', '')}".strip())
             for item in mailjet.lists]  # fmt: skip
    return (
        f"<h3>In Mailjet</h3><p>From {_e(mailjet.source)}.</p>"
        + table(list(mailjet.contact.items()))
        + "<h4>Properties</h4>"
        + table(list(mailjet.properties.items()))
        + "<h4>Lists</h4>"
        + table(lists)
    )
