"""The consent review's flags: what a list owner should look at before mailing a contact.

Each flag is a row of ``contact_flags`` (flag, contact, hint), computed here from the
contacts and their consent records, again after every change (:func:`refresh_flags`).
Consent itself (none, withdrawn, stale) is not a flag but the contact's consent status,
which the filters read from the contacts' own summary columns (`mjdesk.core.filters`).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable
from enum import Enum
from typing import NamedTuple

from mjdesk.core.importing.validation import (
    DomainAdvisor,
    check_addresses,
    role_addresses,
)
from mjdesk.core.near_addresses import near_pairs
from mjdesk.core.schema import CONSENT_LATEST
from mjdesk.core.work import CancelToken


class Flag(Enum):
    """A flag, by the name stored, with the words the window shows."""

    NO_PROOF = ("no_proof", "Missing proof", "The consent record has no source or no wording.")
    INVALID = ("invalid", "Invalid address", "The address cannot receive mail as written.")
    TYPO = ("typo", "Possible typo", "The domain looks misspelt.")
    ROLE = ("role", "Role address", "A shared mailbox (info@, office@...), not a person.")
    DUPLICATE = (
        "duplicate",
        "Duplicate",
        "The same mailbox as another contact once written the same way (dots, +tags).",
    )
    SAME_NAME = ("same_name", "Same name", "Another contact has the same first and last name.")
    NEAR_ADDRESS = (
        "near_address",
        "Similar address",
        "Another address at the same domain is one letter away.",
    )

    # What Mailjet holds, as the last pull saw it (mjdesk.core.sync)
    MAILJET_NO_CONSENT = (
        "mailjet_no_consent",
        "In Mailjet, no consent",
        "Mailjet has this person, but no consent of theirs is recorded here.",
    )
    UNSUBSCRIBED = (
        "unsubscribed",
        "Unsubscribed in Mailjet",
        "They unsubscribed from a list in Mailjet: no sync subscribes them again.",
    )
    EXCLUDED = (
        "excluded",
        "Excluded in Mailjet",
        "On Mailjet's exclusion list: no campaign reaches them.",
    )
    BOUNCED = ("bounced", "Hard bounce", "Mail to this address bounced for good.")
    SPAM = ("spam", "Spam complaint", "They reported a mailing as spam.")
    NEVER_SYNCED = (
        "never_synced",
        "Never synced",
        "On a list linked to Mailjet, but not yet in it there.",
    )

    def __init__(self, stored: str, label: str, meaning: str) -> None:
        self.stored = stored
        self.label = label
        self.meaning = meaning

    @classmethod
    def named(cls, stored: str) -> Flag:
        for flag in cls:
            if flag.stored == stored:
                return flag
        raise ValueError(f"no flag {stored!r}; the flags are {', '.join(f.stored for f in cls)}")


#: providers where dots in the local part do not matter and the two domains are one
_DOTLESS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def mailbox_key(email_key: str) -> str:
    """The mailbox an address reaches, for finding duplicates: without a +tag, and, at
    Gmail, without dots (``J.Smith+news@googlemail.com`` is ``jsmith@gmail.com``)."""
    local, at, domain = email_key.rpartition("@")
    if not at:
        return email_key
    local = local.split("+", 1)[0] or local
    if domain in _DOTLESS:
        domain = _DOTLESS[domain]
        local = local.replace(".", "")
    return f"{local}@{domain}"


# The records without proof are few: each is checked for being its contact's latest.
_NO_PROOF = f"""
    INSERT OR IGNORE INTO contact_flags (flag, contact_id)
    SELECT 'no_proof', l.contact_id FROM consent_ledger l
    WHERE l.status = 'granted'
        AND (coalesce(trim(l.source_file), '') = '' OR coalesce(trim(l.wording), '') = '')
        AND l.id = ({CONSENT_LATEST.format(col="id", who="l.contact_id")})
"""

# The same for a few contacts: each one's latest record looked up and checked.
_NO_PROOF_AMONG = f"""
    INSERT OR IGNORE INTO contact_flags (flag, contact_id)
    SELECT 'no_proof', c.id FROM contacts c
    JOIN consent_ledger l ON l.id = ({CONSENT_LATEST.format(col="id", who="c.id")})
    WHERE c.id IN ({{among}}) AND l.status = 'granted'
        AND (coalesce(trim(l.source_file), '') = '' OR coalesce(trim(l.wording), '') = '')
"""

# (A window over the name index counts each name's contacts in one pass.)
_SAME_NAME = """
    INSERT INTO contact_flags (flag, contact_id)
    SELECT 'same_name', id FROM (
        SELECT id, count(*) OVER (PARTITION BY last_name, first_name) AS namesakes
        FROM contacts WHERE first_name <> '' AND last_name <> '')
    WHERE namesakes > 1 ORDER BY id
"""


# Each contact's flags as one text in the contacts table, in the order of `Flag`, so the
# Contacts table shows and sorts them without a join (written only where it changed).
_SUMMARY = """
    WITH wanted AS (
        SELECT contact_id, group_concat(flag, ', ') AS text FROM (
            SELECT contact_id, flag FROM contact_flags ORDER BY contact_id, {order})
        GROUP BY contact_id)
    UPDATE contacts SET flags = coalesce(
        (SELECT text FROM wanted WHERE wanted.contact_id = contacts.id), '')
    WHERE flags <> coalesce((SELECT text FROM wanted WHERE wanted.contact_id = contacts.id), '')
"""

# The same for the contacts whose ids ``among`` selects, after a step that changed only theirs.
_SUMMARY_AMONG = """
    WITH wanted AS (
        SELECT contact_id, group_concat(flag, ', ') AS text FROM (
            SELECT contact_id, flag FROM contact_flags WHERE contact_id IN ({among})
            ORDER BY contact_id, {order})
        GROUP BY contact_id)
    UPDATE contacts SET flags = coalesce(
        (SELECT text FROM wanted WHERE wanted.contact_id = contacts.id), '')
    WHERE id IN ({among})
        AND flags <> coalesce((SELECT text FROM wanted WHERE wanted.contact_id = contacts.id), '')
"""


SYNC_FLAGS = (
    Flag.MAILJET_NO_CONSENT,
    Flag.UNSUBSCRIBED,
    Flag.EXCLUDED,
    Flag.BOUNCED,
    Flag.SPAM,
    Flag.NEVER_SYNCED,
)
"""The flags that follow what Mailjet holds (and, for the first, the consent records)."""

# Each as (flag, the ids of the contacts that have it): what the last pull saw.
_MAILJET = "FROM mailjet_contacts m JOIN contacts c ON c.email_key = m.email_key"
_SYNC_SOURCES = (
    (
        Flag.MAILJET_NO_CONSENT,
        f"SELECT c.id AS id {_MAILJET} JOIN consent_summaries s ON s.contact_id = c.id "
        "WHERE s.consent_status = 'none' AND NOT m.is_anonymized",
    ),
    (
        Flag.UNSUBSCRIBED,
        "SELECT contact_id AS id FROM memberships WHERE mailjet_status = 'unsubscribed'",
    ),
    (Flag.EXCLUDED, f"SELECT c.id AS id {_MAILJET} WHERE m.is_excluded"),
    (Flag.BOUNCED, f"SELECT c.id AS id {_MAILJET} WHERE m.hard_bounced_at IS NOT NULL"),
    (Flag.SPAM, f"SELECT c.id AS id {_MAILJET} WHERE m.is_spam"),
    (
        Flag.NEVER_SYNCED,
        "SELECT s.contact_id AS id FROM memberships s JOIN lists l ON l.id = s.list_id "
        "WHERE l.mailjet_id IS NOT NULL AND s.mailjet_status IS NULL "
        "AND s.status = 'subscribed'",
    ),
)


def _sync_flag_insert(flag: Flag, among: str | None) -> str:
    """SQL that gives ``flag`` (its name the one parameter) to every contact that has it
    now, or to those of them ``among`` selects."""
    within = "" if among is None else f" WHERE ids.id IN ({among})"
    return (
        "INSERT OR IGNORE INTO contact_flags (flag, contact_id) "
        f"SELECT ?, ids.id FROM ({dict(_SYNC_SOURCES)[flag]}) AS ids{within}"
    )


def _store_sync_flags(con: sqlite3.Connection, among: str | None) -> None:
    """Set the `SYNC_FLAGS` again, of every contact or of those ``among`` selects."""
    within = "" if among is None else f" AND contact_id IN ({among})"
    for flag in SYNC_FLAGS:
        con.execute(f"DELETE FROM contact_flags WHERE flag = ?{within}", (flag.stored,))
        con.execute(_sync_flag_insert(flag, among), (flag.stored,))


def refresh_sync_flags(
    con: sqlite3.Connection, among: str | None = None, *, was_current: bool = True
) -> None:
    """Compute again the flags that follow what Mailjet holds (after a pull or a push),
    for every contact or for those whose ids the SQL ``among`` selects."""
    if among is None:
        _store_sync_flags(con, None)
        _summarise(con)
    else:
        con.execute("CREATE TEMP TABLE IF NOT EXISTS sync_touched (id INTEGER PRIMARY KEY)")
        con.execute("DELETE FROM temp.sync_touched")
        con.execute(f"INSERT OR IGNORE INTO temp.sync_touched {among}")
        _store_sync_flags(con, "SELECT id FROM temp.sync_touched")
        _summarise(con, "SELECT id FROM temp.sync_touched")
    if was_current:
        _mark_current(con)


def _order() -> str:
    cases = " ".join(f"WHEN '{flag.stored}' THEN {rank}" for rank, flag in enumerate(Flag))
    return f"CASE flag {cases} END"


def _summarise(con: sqlite3.Connection, among: str | None = None) -> None:
    if among is None:
        con.execute(_SUMMARY.format(order=_order()))
    else:
        con.execute(_SUMMARY_AMONG.format(order=_order(), among=among))


def flags_outdated(con: sqlite3.Connection) -> bool:
    """Whether work was done since the flags were last computed (by this process or
    another: an import from the command line, a crash before the refresh)."""
    done = con.execute("SELECT coalesce(max(id), 0) FROM activity").fetchone()[0]
    row = con.execute("SELECT value FROM meta WHERE key = 'flags_at_activity'").fetchone()
    return row is None or int(row[0]) < int(done)


def _mark_current(con: sqlite3.Connection) -> None:
    con.execute(
        "INSERT INTO meta (key, value) SELECT 'flags_at_activity', coalesce(max(id), 0) "
        "FROM activity WHERE 1 ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )


def refresh_consent_flags(
    con: sqlite3.Connection, among: str | None = None, *, was_current: bool = True
) -> None:
    """Compute again the flags that follow the consent records alone (after a withdrawal or
    a consent recorded: addresses and names did not change), for every contact or only for
    those whose ids the SQL ``among`` selects (the only ones whose records changed).
    ``was_current``: the flags were up to date before this step (`flags_outdated`), so they
    are again after it."""
    if among is None:
        for flag in (Flag.NO_PROOF, Flag.MAILJET_NO_CONSENT):
            con.execute("DELETE FROM contact_flags WHERE flag = ?", (flag.stored,))
        con.execute(_NO_PROOF)
        con.execute(
            _sync_flag_insert(Flag.MAILJET_NO_CONSENT, None), (Flag.MAILJET_NO_CONSENT.stored,)
        )
        _summarise(con)
    else:
        # Only the contacts whose flag came or went need their summary written again.
        con.execute("CREATE TEMP TABLE IF NOT EXISTS flags_touched (id INTEGER PRIMARY KEY)")
        con.execute("DELETE FROM temp.flags_touched")
        for flag, insert in (
            (Flag.NO_PROOF, _NO_PROOF_AMONG.format(among=among)),
            (Flag.MAILJET_NO_CONSENT, _sync_flag_insert(Flag.MAILJET_NO_CONSENT, among)),
        ):
            had = f"SELECT contact_id FROM contact_flags WHERE flag = ? AND contact_id IN ({among})"
            con.execute(f"INSERT OR IGNORE INTO temp.flags_touched {had}", (flag.stored,))
            con.execute(
                f"DELETE FROM contact_flags WHERE flag = ? AND contact_id IN ({among})",
                (flag.stored,),
            )
            con.execute(insert, () if flag is Flag.NO_PROOF else (flag.stored,))
            con.execute(f"INSERT OR IGNORE INTO temp.flags_touched {had}", (flag.stored,))
        _summarise(con, "SELECT id FROM temp.flags_touched")
    if was_current:
        _mark_current(con)


class FoundFlags(NamedTuple):
    """The flags found by reading the addresses (:func:`find_address_flags`), to store in
    a short write of their own; ``activity`` is the last step they reflect."""

    rows: list[tuple[str, int, str]]
    activity: int


def find_address_flags(
    con: sqlite3.Connection,
    *,
    org_domains: Iterable[str] = (),
    cancel: CancelToken | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> FoundFlags:
    """Read every address and find the flags it gives (invalid, role, typo, duplicate,
    similar address): the slow part of a refresh, done on a reading connection so writers
    do not wait for it."""
    activity = int(con.execute("SELECT coalesce(max(id), 0) FROM activity").fetchone()[0])
    total = int(con.execute("SELECT value FROM counters WHERE name = 'contacts'").fetchone()[0])
    advisor = DomainAdvisor(org_domains)
    found: list[tuple[str, int, str]] = []
    mailboxes: dict[str, list[int]] = defaultdict(list)
    keys: list[tuple[int, str]] = []
    done = 0
    cursor = con.execute("SELECT id, email, email_key FROM contacts ORDER BY id")
    while chunk := cursor.fetchmany(20_000):
        if cancel is not None:
            cancel.check()
        found += _address_flags(chunk, advisor, mailboxes)
        keys += [(ident, key) for ident, _email, key in chunk]
        done += len(chunk)
        if progress is not None:
            progress(done, total)
    found += _duplicates(con, mailboxes)
    for first, second in near_pairs(keys):
        found.append((Flag.NEAR_ADDRESS.stored, first, str(second)))
        found.append((Flag.NEAR_ADDRESS.stored, second, str(first)))
    found.sort(key=lambda row: (row[1], row[0]))  # (in id order, the indexes fill in order)
    return FoundFlags(found, activity)


def store_flags(con: sqlite3.Connection, found: FoundFlags) -> int:
    """Replace every flag with ``found`` and the ones the consent records and names give
    (inside a transaction); returns how many flags are set. Flags of contacts gone since
    ``found`` was read are left out."""
    con.execute("DELETE FROM contact_flags")
    con.execute(_NO_PROOF)
    con.execute(_SAME_NAME)
    _store_sync_flags(con, None)
    con.executemany(
        "INSERT OR IGNORE INTO contact_flags (flag, contact_id, hint) "
        "SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM contacts WHERE id = ?2)",
        found.rows,
    )
    _summarise(con)
    con.execute(
        "INSERT INTO meta (key, value) VALUES ('flags_at_activity', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (str(found.activity),),
    )
    return int(con.execute("SELECT count(*) FROM contact_flags").fetchone()[0])


def refresh_flags(
    con: sqlite3.Connection,
    *,
    org_domains: Iterable[str] = (),
    cancel: CancelToken | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Compute every contact's flags again (inside the caller's transaction); returns how
    many flags are set. ``org_domains`` are the organisation's own domains, which are
    never typos of a popular one."""
    found = find_address_flags(con, org_domains=org_domains, cancel=cancel, progress=progress)
    return store_flags(con, found)


def _address_flags(
    chunk: list[tuple[int, str, str]],
    advisor: DomainAdvisor,
    mailboxes: dict[str, list[int]],
) -> list[tuple[str, int, str]]:
    """The flags of each (id, address, key) that its address alone gives: invalid, role,
    typo (with the fix); and each address that reaches another's mailbox, in ``mailboxes``."""
    emails = [email for _ident, email, _key in chunk]
    problems = check_addresses(emails)
    roles = role_addresses(emails)
    found = [(Flag.INVALID.stored, chunk[i][0], "") for i in problems]
    found += [(Flag.ROLE.stored, chunk[i][0], "") for i in roles if i not in problems]
    for i, (ident, email, key) in enumerate(chunk):
        if i in problems:
            continue
        local, _at, domain = email.rpartition("@")
        fix = advisor.suggest(domain)
        if fix is not None:
            found.append((Flag.TYPO.stored, ident, f"{local}@{fix}"))
        mailbox = mailbox_key(key)
        if mailbox != key:
            mailboxes[mailbox].append(ident)
    return found


def _duplicates(
    con: sqlite3.Connection, mailboxes: dict[str, list[int]]
) -> list[tuple[str, int, str]]:
    """Duplicate flags for contacts that reach one mailbox: those whose address differs
    from its mailbox (``mailboxes``), with each other and with a contact whose address
    is that mailbox itself."""
    found: list[tuple[str, int, str]] = []
    names = list(mailboxes)
    for start in range(0, len(names), 500):
        chunk = names[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for ident, key in con.execute(
            f"SELECT id, email_key FROM contacts WHERE email_key IN ({marks})", chunk
        ):
            mailboxes[key].append(ident)
    for mailbox, idents in mailboxes.items():
        if len(idents) > 1:
            found += [(Flag.DUPLICATE.stored, ident, mailbox) for ident in idents]
    return found


def flag_labels(summary: str) -> str:
    """The flags a contact's summary names (``"role, typo"``), as the window words them."""
    if not summary:
        return ""
    labels = []
    for stored in summary.split(", "):
        try:
            labels.append(Flag.named(stored).label)
        except ValueError:  # (a summary from before the review: the import's own words)
            labels.append(stored)
    return ", ".join(labels)


def flags_of(con: sqlite3.Connection, contact_id: int) -> list[tuple[Flag, str]]:
    """One contact's flags with their hints, in the order of :class:`Flag`."""
    rows = dict(
        con.execute("SELECT flag, hint FROM contact_flags WHERE contact_id = ?", (contact_id,))
    )
    return [(flag, rows[flag.stored]) for flag in Flag if flag.stored in rows]
