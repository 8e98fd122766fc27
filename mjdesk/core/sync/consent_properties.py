"""A contact's consent as Mailjet contact properties, so that it travels with the contact:
a colleague's pull makes the same consent record in their workspace (without a duplicate
when they have it already), and a withdrawal made by one owner reaches the others.

Only the contact's latest record goes (what decides whether they may be mailed); the
properties are plain strings, defined in Mailjet by the first push (`DEFINITIONS`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import NamedTuple

from mjdesk.core.contacts import ConsentRecord
from mjdesk.core.schema import CONSENT_LATEST

STATUS = "mjdesk_consent_status"
GIVEN_AT = "mjdesk_consent_date"
SOURCE = "mjdesk_consent_source"
WORDING = "mjdesk_consent_wording"
BASIS = "mjdesk_consent_basis"
SHA256 = "mjdesk_consent_file_sha256"

DEFINITIONS: tuple[tuple[str, str], ...] = (
    (STATUS, "str"),
    (GIVEN_AT, "str"),
    (SOURCE, "str"),
    (WORDING, "str"),
    (BASIS, "str"),
    (SHA256, "str"),
)
"""The properties (name, Mailjet datatype). The date is kept as text, as stored here
(RFC 3339, UTC), so that it comes back exactly as it went."""

NAMES = frozenset(name for name, _type in DEFINITIONS)


class SharedConsent(NamedTuple):
    """A consent record as the properties carry it."""

    status: str
    given_at: str
    source: str
    wording: str
    basis: str
    sha256: str

    def as_properties(self) -> dict[str, str]:
        return {
            STATUS: self.status,
            GIVEN_AT: self.given_at,
            SOURCE: self.source,
            WORDING: self.wording,
            BASIS: self.basis,
            SHA256: self.sha256,
        }

    def as_record(self) -> ConsentRecord:
        return ConsentRecord(
            self.status,
            self.given_at,
            self.source or None,
            self.sha256 or None,
            wording=self.wording or None,
            lawful_basis=self.basis or "consent",
        )


def from_properties(properties: Mapping[str, object]) -> SharedConsent | None:
    """The consent a Mailjet contact's properties carry (names compared without case, as
    Mailjet compares them), or None when they carry none or a status that is not one."""
    values = {
        str(name).lower(): "" if value is None else str(value) for name, value in properties.items()
    }
    status = values.get(STATUS, "")
    given_at = values.get(GIVEN_AT, "")
    if status not in ("granted", "withdrawn") or not given_at:
        return None
    return SharedConsent(
        status,
        given_at,
        values.get(SOURCE, ""),
        values.get(WORDING, ""),
        values.get(BASIS, "") or "consent",
        values.get(SHA256, ""),
    )


def latest_shared_on_list(con: sqlite3.Connection, list_id: int) -> dict[int, SharedConsent]:
    """The latest consent record of every member of list ``list_id`` that has one, as the
    properties would carry it, in one statement (a plan of 50,000 members needs them all)."""
    latest = CONSENT_LATEST.format(col="id", who="s.contact_id")
    return {
        int(row[0]): SharedConsent(*row[1:])
        for row in con.execute(
            "SELECT s.contact_id, l.status, l.given_at, coalesce(l.source_file, ''), "
            "coalesce(l.wording, ''), l.lawful_basis, coalesce(l.source_sha256, '') "
            f"FROM memberships s JOIN consent_ledger l ON l.id = ({latest}) "
            "WHERE s.list_id = ?",
            (list_id,),
        )
    }


def has_record(con: sqlite3.Connection, contact_id: int, shared: SharedConsent) -> bool:
    """Whether the contact has that record already (same status, date, source, wording)."""
    return (
        con.execute(
            "SELECT 1 FROM consent_ledger WHERE contact_id = ? AND status = ? AND given_at = ? "
            "AND coalesce(source_file, '') = ? AND coalesce(wording, '') = ?",
            (contact_id, shared.status, shared.given_at, shared.source, shared.wording),
        ).fetchone()
        is not None
    )
