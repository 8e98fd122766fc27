"""Erasure tombstones: what is left of a person erased on request.

Only a keyed hash of the normalised address is kept (HMAC-SHA-256 with a key made for
each workspace), so a later spreadsheet that still holds the address can be recognised
and stopped, while the address itself cannot be read back, nor matched against another
workspace's tombstones.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
from collections.abc import Iterable

from mjdesk.core.addresses import email_key
from mjdesk.core.clock import now_iso


def _key(con: sqlite3.Connection) -> bytes:
    row = con.execute("SELECT value FROM meta WHERE key = 'tombstone_key'").fetchone()
    if row is None:
        raise RuntimeError("this workspace has no tombstone key")
    return bytes.fromhex(row[0])


def address_hash(key: bytes, email: str) -> str:
    """The tombstone of ``email`` under a workspace's key."""
    return hmac.new(key, email_key(email).encode("utf-8"), hashlib.sha256).hexdigest()


def hashes_for(con: sqlite3.Connection, emails: Iterable[str]) -> dict[str, str]:
    """Each address's tombstone hash (to look many up at once with :func:`erased_among`)."""
    key = _key(con)
    return {email: address_hash(key, email) for email in emails}


def erased_among(con: sqlite3.Connection, emails: Iterable[str]) -> set[str]:
    """The addresses among ``emails`` that belong to people erased from this workspace."""
    by_hash: dict[str, list[str]] = {}
    for email, digest in hashes_for(con, emails).items():
        by_hash.setdefault(digest, []).append(email)  # spellings of one address share it
    found: set[str] = set()
    hashes = list(by_hash)
    for start in range(0, len(hashes), 500):
        chunk = hashes[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = con.execute(
            f"SELECT address_hash FROM tombstones WHERE address_hash IN ({marks})", chunk
        )
        for row in rows:
            found.update(by_hash[row[0]])
    return found


def add_tombstone(con: sqlite3.Connection, email: str, *, actor: str, reason: str = "") -> str:
    """Record that ``email`` was erased (inside the erasure's own transaction)."""
    digest = address_hash(_key(con), email)
    con.execute(
        "INSERT OR IGNORE INTO tombstones (address_hash, erased_at, erased_by, reason) "
        "VALUES (?, ?, ?, ?)",
        (digest, now_iso(), actor, reason),
    )
    return digest
