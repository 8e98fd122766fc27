"""Sync's calls to Mailjet: a pull reads one list and what Mailjet knows of its members,
for `mjdesk.core.sync.pull` to store. Reads only, with the filters Mailjet documents for
each resource (``ContactsList`` on ``/contact``, ``/contactdata`` and ``/listrecipient``,
``Unsub`` on ``/listrecipient``: a ``/contact`` filter on ``IsUnsubscribed`` beside
``ContactsList`` is reported unreliable and is not used).

Requests for a list of N members, pages of 1,000: 1 for the lists, N/1,000 for the
contacts, one or a few for the unsubscribed memberships, one for the permanent bounces,
and for the properties either N/1,000 pages (the first pull, or when many changed) or one
call per contact whose ``LastUpdateAt`` moved since the last pull.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mjdesk.core.clock import now_iso, to_iso
from mjdesk.core.erasure import erase_contact
from mjdesk.core.sync.pull import (
    ListPull,
    PulledContact,
    PulledList,
    PulledMembership,
    PullResult,
    store_pull,
)
from mjdesk.core.work import UserError
from mjdesk.core.workspace import Workspace
from mjdesk.mailjet.client import PAGE_SIZE, MailjetClient
from mjdesk.mailjet.contacts import (
    Contact,
    get_contact,
    get_contact_data,
    list_contacts,
    list_lists,
    list_memberships,
)
from mjdesk.mailjet.errors import NotFound
from mjdesk.mailjet.suppression import check_unknown_members, hard_bounces

log = logging.getLogger(__name__)

READ_ALL_DAYS = 7
"""How often a pull reads every member's properties, whatever ``LastUpdateAt`` says."""

ERASED_ELSEWHERE = "Erased in Mailjet (seen in a pull): asked of another owner, or in Mailjet"


class NoSuchList(UserError):
    """Mailjet has no list of that name."""


@dataclass(frozen=True)
class Pulled:
    """A pull stored, and the people erased here because Mailjet had anonymised them."""

    result: PullResult
    erased: int
    blocked_elsewhere: int = 0
    """Members not on the Mailjet list whom Mailjet has excluded, bounced or seen complain
    (found by `check_unknown_members`): the plan blocks them."""

    @property
    def message(self) -> str:
        if not self.blocked_elsewhere:
            return self.result.message
        who = "member" if self.blocked_elsewhere == 1 else "members"
        return (
            f"{self.result.message} {self.blocked_elsewhere:,} {who} not on the Mailjet list "
            "yet are excluded, bounced or complained of spam in Mailjet: blocked in the plan."
        )


def pull_list(
    client: MailjetClient,
    workspace: Workspace,
    list_name: str,
    *,
    progress: Callable[[str, int], None] | None = None,
) -> Pulled:
    """Pull the Mailjet list ``list_name`` into ``workspace`` (one step); ``progress`` is
    told the phase and how many rows were read. Cancelled through the client's token."""

    def tell(phase: str, done: int) -> None:
        if progress is not None:
            progress(phase, done)

    found = [lst for lst in list_lists(client) if lst.name.casefold() == list_name.casefold()]
    if not found:
        raise NoSuchList(
            f"Mailjet has no list “{list_name}”. Check the name (Mailjet › Contacts › "
            "Contact lists), or create the list there first."
        )
    mailjet_list = found[0]
    contacts = list(
        list_contacts(
            client, list_id=mailjet_list.id, progress=lambda n: tell("Reading contacts", n)
        )
    )
    unsubscribed = {
        m.contact_id: m
        for m in list_memberships(
            client,
            list_id=mailjet_list.id,
            unsubscribed=True,
            progress=lambda n: tell("Reading unsubscribes", n),
        )
        if m.is_unsubscribed  # (whatever the filter did, the row says)
    }
    contacts += _gone_from_list(client, workspace, mailjet_list.id, contacts)
    properties, read_all = _properties(client, workspace, mailjet_list.id, contacts, tell)
    bounced = hard_bounces(client, mailjet_list.id)
    pull = ListPull(
        PulledList(mailjet_list.id, mailjet_list.name),
        [
            PulledContact(
                c.id,
                c.email,
                is_excluded=c.is_excluded,
                is_spam=c.is_spam_complaining,
                is_anonymized=c.is_anonymized,
                properties=properties.get(c.id),
                updated_at=c.last_update_at,
            )
            for c in contacts
        ],
        [
            PulledMembership(
                c.id,
                c.id in unsubscribed,
                unsubscribed[c.id].unsubscribed_at if c.id in unsubscribed else "",
            )
            for c in contacts
            if not c.is_anonymized
        ],
        bounced,
    )
    client.cancel.check()
    result = store_pull(workspace, pull)
    if read_all:
        with workspace.transaction() as con:
            con.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                (_read_all_key(mailjet_list.id), now_iso()),
            )
    erased = 0
    for contact_id in result.erased_elsewhere:
        erase_contact(workspace, contact_id, reason=ERASED_ELSEWHERE)
        erased += 1
    tell("Checking members new to the list", 0)
    return Pulled(result, erased, check_unknown_members(client, workspace, result.list_id))


def _gone_from_list(
    client: MailjetClient, workspace: Workspace, list_id: int, contacts: list[Contact]
) -> list[Contact]:
    """The members the last pull saw whom the list no longer holds and Mailjet has
    anonymised (an erasure takes the person out of their lists; whether at once is
    unconfirmed, so both ways are read), each read on its own: few, as a rule."""
    with workspace.reading() as con:
        before = [
            int(row[0])
            for row in con.execute(
                "SELECT m.mailjet_id FROM lists l JOIN memberships s ON s.list_id = l.id "
                "JOIN contacts c ON c.id = s.contact_id "
                "JOIN mailjet_contacts m ON m.email_key = c.email_key AND NOT m.is_anonymized "
                "WHERE l.mailjet_id = ? AND s.mailjet_status IN ('subscribed', 'unsubscribed')",
                (list_id,),
            )
        ]
    present = {c.id for c in contacts}
    gone = []
    for ident in before:
        if ident in present:
            continue
        try:
            contact = get_contact(client, ident)
        except NotFound:  # (deleted for good, 30 days after an erasure)
            contact = Contact(ident, "", "Anonymized", "", False, False, 0, "", "")
        if contact.is_anonymized:
            gone.append(contact)
    return gone


def _moved(known: tuple[str, str] | None, updated: str) -> bool:
    """Whether a contact may have changed since the last pull: its ``LastUpdateAt`` is
    not the one seen then, or falls in the same second as that pull or later (a change
    made just after it would carry the same stamp)."""
    return known is None or known[0] != updated or updated >= known[1]


def _read_all_key(list_id: int) -> str:
    return f"properties_read_at:{list_id}"


def _properties(
    client: MailjetClient,
    workspace: Workspace,
    list_id: int,
    contacts: list[Contact],
    tell: Callable[[str, int], None],
) -> tuple[dict[int, dict[str, object]], bool]:
    """The property values of the contacts whose ``LastUpdateAt`` moved since the last
    pull; of every member on the first pull and then once every `READ_ALL_DAYS` (whether
    a bulk job's property change moves ``LastUpdateAt`` in Mailjet is unconfirmed): page
    by page for the whole list when that takes fewer calls than one per contact. Returns
    them, and whether every member's were read."""
    with workspace.reading() as con:
        known = {
            int(ident): (str(updated), str(pulled))
            for ident, updated, pulled in con.execute(
                "SELECT mailjet_id, updated_at, pulled_at FROM mailjet_contacts"
            )
        }
        row = con.execute(
            "SELECT value FROM meta WHERE key = ?", (_read_all_key(list_id),)
        ).fetchone()
    read_all = row is None or str(row[0]) < to_iso(
        datetime.now(UTC) - timedelta(days=READ_ALL_DAYS)
    )
    stale = [
        c.id
        for c in contacts
        if not c.is_anonymized and (read_all or _moved(known.get(c.id), c.last_update_at))
    ]
    if not stale:
        return {}, read_all
    pages = -(-len(contacts) // PAGE_SIZE)
    if len(stale) >= pages:
        wanted = set(stale)
        values: dict[int, dict[str, object]] = {}
        for row in client.get_all(
            "contactdata",
            filters={"ContactsList": list_id},
            progress=lambda n: tell("Reading properties", n),
        ):
            ident = int(row.get("ContactID") or row.get("ID") or 0)
            if ident in wanted:
                values[ident] = {
                    str(item["Name"]): item.get("Value") for item in row.get("Data", [])
                }
        return values, read_all
    result = {}
    for done, ident in enumerate(stale, 1):
        result[ident] = get_contact_data(client, ident)
        tell("Reading properties", done)
    return result, read_all
