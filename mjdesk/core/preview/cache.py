"""Where a preview's mailings come from when it opens: the workspace's copy of Mailjet's drafts
and templates (``mailings``) and of its senders' validation (``mailjet_senders``), both filled
by `mjdesk.mailjet.mailings.fetch_mailings`, so every preview works offline; or a local
``.html`` file.
"""

from __future__ import annotations

import codecs
import html
import json
import re
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from mjdesk.core.importing.textfiles import detect_encoding
from mjdesk.core.preview.mail import Mail, MailKind
from mjdesk.core.work import UserError

MAX_FILE_BYTES = 5 * 1024 * 1024
"""A local file bigger than this is not a mail (Gmail already clips one past ~102 KB)."""

_SNIFF_BYTES = 8192
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_MAILJET_KINDS = (MailKind.DRAFT, MailKind.TEMPLATE)


@dataclass(frozen=True)
class CachedMailing:
    """One cached draft or template as a list shows it (its content stays in the table)."""

    kind: MailKind
    mailjet_id: int
    title: str
    subject: str
    sender_email: str
    status: int
    list_id: int
    modified_at: str
    fetched_at: str


@dataclass(frozen=True)
class MailingVersion:
    """What a fetch compares to decide whether a mailing's content must be read again."""

    status: int
    modified_at: str


def store_mailing(
    con: sqlite3.Connection, mail: Mail, *, status: int, modified_at: str, fetched_at: str
) -> None:
    """Keep a draft or template fetched from Mailjet (replacing the copy kept before)."""
    if mail.kind not in _MAILJET_KINDS:
        raise ValueError(f"only drafts and templates are cached, not {mail.kind}")
    con.execute(
        """INSERT OR REPLACE INTO mailings (kind, mailjet_id, title, subject, sender_name,
               sender_email, reply_to, status, list_id, modified_at, html, text, mjml, headers,
               fetched_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            str(mail.kind),
            int(mail.source_id),
            mail.title,
            mail.subject,
            mail.sender_name,
            mail.sender_email,
            mail.reply_to,
            status,
            mail.list_id,
            modified_at,
            mail.html,
            mail.text,
            mail.mjml,
            json.dumps(dict(mail.headers), ensure_ascii=False),
            fetched_at,
        ),
    )


def forget_mailings(con: sqlite3.Connection, kind: MailKind, keep: Iterable[int]) -> int:
    """Drop the cached mailings of ``kind`` that Mailjet no longer has; how many went."""
    kept = sorted(set(keep))
    marks = ",".join("?" * len(kept))
    cursor = con.execute(
        f"DELETE FROM mailings WHERE kind = ? AND mailjet_id NOT IN ({marks})",
        (str(kind), *kept),
    )
    return cursor.rowcount


def mailing_versions(con: sqlite3.Connection) -> dict[tuple[MailKind, int], MailingVersion]:
    """The status and change stamp of every cached mailing, by (kind, Mailjet id)."""
    return {
        (MailKind(kind), mailjet_id): MailingVersion(status, modified_at)
        for kind, mailjet_id, status, modified_at in con.execute(
            "SELECT kind, mailjet_id, status, modified_at FROM mailings"
        )
    }


def list_mailings(con: sqlite3.Connection) -> list[CachedMailing]:
    """Every cached mailing: drafts first, each kind newest change first."""
    rows = con.execute(
        """SELECT kind, mailjet_id, title, subject, sender_email, status, list_id, modified_at,
                  fetched_at
           FROM mailings ORDER BY kind = 'template', modified_at DESC, mailjet_id DESC"""
    )
    return [CachedMailing(MailKind(row[0]), *row[1:]) for row in rows]


def load_mailing(con: sqlite3.Connection, kind: MailKind, mailjet_id: int) -> Mail:
    """A cached draft or template, ready to preview; a `UserError` when it is not cached."""
    row = con.execute(
        """SELECT title, subject, sender_name, sender_email, reply_to, list_id, html, text,
                  mjml, headers
           FROM mailings WHERE kind = ? AND mailjet_id = ?""",
        (str(kind), mailjet_id),
    ).fetchone()
    if row is None:
        raise UserError(
            f"There is no {kind} {mailjet_id} in this workspace. Fetch the drafts and "
            "templates from Mailjet first (or check the number)."
        )
    title, subject, sender_name, sender_email, reply_to, list_id, body, text, mjml, headers = row
    return Mail(
        kind,
        str(mailjet_id),
        title,
        subject,
        sender_name,
        sender_email,
        reply_to,
        list_id,
        body,
        text,
        mjml,
        {str(k): str(v) for k, v in json.loads(headers).items()},
    )


def store_senders(con: sqlite3.Connection, states: Mapping[str, str], fetched_at: str) -> None:
    """Replace the cached senders with Mailjet's list (address or ``*@domain`` → status)."""
    con.execute("DELETE FROM mailjet_senders")
    con.executemany(
        "INSERT OR REPLACE INTO mailjet_senders (email, status, fetched_at) VALUES (?, ?, ?)",
        [(email.strip().lower(), status, fetched_at) for email, status in states.items()],
    )


def sender_states(con: sqlite3.Connection) -> dict[str, str]:
    """The cached senders: lower-case address (or ``*@domain``) → Mailjet's status."""
    return dict(con.execute("SELECT email, status FROM mailjet_senders"))


def sender_status(states: Mapping[str, str], address: str) -> str:
    """Mailjet's status for sending from ``address``: ``Active`` when it, or its whole domain,
    is validated; else the address's own status (``Inactive``...), or "" when Mailjet does not
    know it at all."""
    wanted = address.strip().lower()
    own = states.get(wanted, "")
    domain = states.get("*@" + wanted.rpartition("@")[2], "")
    return "Active" if "Active" in (own, domain) else own or domain


def _encoding(head: bytes) -> str:
    """A BOM, else the document's own ``<meta charset>``, else the bytes' evidence."""
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return detect_encoding(head)
    declared = _META_CHARSET.search(head)
    if declared:
        try:
            name = codecs.lookup(declared.group(1).decode("ascii")).name
        except LookupError:
            name = ""
        # A page saved as UTF-16 cannot declare it in ASCII; "iso-8859-1" means Windows-1252
        # to every browser (WHATWG Encoding), so it does here too.
        if name and not name.startswith("utf-16"):
            return "cp1252" if name in ("iso8859-1", "latin-1", "ascii") else name
    return detect_encoding(head)


def _looks_binary(head: bytes, encoding: str) -> bool:
    return not encoding.startswith("utf-16") and b"\x00" in head


def load_html_file(path: Path) -> Mail:
    """A local ``.html`` file as a mail to preview; its ``<title>`` stands for the subject.

    A `UserError` says why a file cannot be one: missing, a folder, unreadable, binary, or
    bigger than `MAX_FILE_BYTES`.
    """
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise UserError(f"{path.name} is a folder, not an HTML file.")
        if size > MAX_FILE_BYTES:
            raise UserError(
                f"{path.name} is {size / 1_048_576:.1f} MB: too big for a mail "
                f"(at most {MAX_FILE_BYTES // 1_048_576} MB; Gmail clips one past about 102 KB)."
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"There is no file {path.name} at {path.parent}.") from None
    except PermissionError:
        raise UserError(f"{path.name} cannot be read (no permission).") from None
    except OSError as error:
        raise UserError(f"{path.name} cannot be read: {error.strerror or error}.") from None
    encoding = _encoding(data[:_SNIFF_BYTES])
    if _looks_binary(data[:_SNIFF_BYTES], encoding):
        raise UserError(f"{path.name} is not a text file, so it cannot be an HTML mail.")
    body = data.decode(encoding, errors="replace")
    title = _TITLE.search(body)
    subject = " ".join(html.unescape(title.group(1)).split()) if title else ""
    return Mail(MailKind.FILE, str(path), path.name, subject, html=body)
