"""Before a plan adds someone no pull has seen, what Mailjet knows of them: excluded from
campaigns, a permanent bounce, a spam complaint (`mjdesk.core.sync.lookups` keeps it, and
the plan blocks them with that reason).

Read with the filters Mailjet documents, in batches whatever their number:

- the account's global exclusion list, ``/contact`` with ``IsExcludedFromCampaigns=true``;
- the account's permanent bounces, ``/bouncestatistics`` with ``FromTS=0`` (no list: the
  bounce may have come from a campaign to another list), each bounced contact not known
  yet read by its ID (``/contact/{id}``), four at once;
- and, when there are at most `ONE_BY_ONE` of them, each person by address
  (``/contact/{email}``, four at once): the only way to see a spam complaint of someone
  neither excluded nor bounced, since ``/contact`` documents no filter on
  ``IsSpamComplaining``. Above that, such a person is found by the pull of a list that
  holds them; Mailjet itself blocks mail to them (its "blocked" status).

A person Mailjet does not have is not in any of these: nothing is kept, they stay an add.
Nothing is asked again until the workspace changes (a push right after its pull asks
nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from mjdesk.core.addresses import email_key
from mjdesk.core.sync.lookups import (
    Known,
    checked_since_last_change,
    mark_checked,
    record_known,
    unknown_members,
)
from mjdesk.core.workspace import Workspace
from mjdesk.mailjet.client import MailjetClient
from mjdesk.mailjet.contacts import Contact, get_contact, list_contacts
from mjdesk.mailjet.errors import NotAllowed, NotFound
from mjdesk.mailjet.paging import each

log = logging.getLogger(__name__)

ONE_BY_ONE = 100
"""Up to this many unknown people are also looked up one by one, by address."""


def check_unknown_members(client: MailjetClient, workspace: Workspace, list_id: int) -> int:
    """Read what Mailjet knows of the members of the (local) list ``list_id`` whom no pull
    has seen there, and keep it; how many of them Mailjet blocks. No request at all when
    every member is known."""
    with workspace.reading() as con:
        if checked_since_last_change(con, list_id):
            return 0
        unknown = {email_key(e): e for e in unknown_members(con, list_id)}
        known_ids = {int(row[0]) for row in con.execute("SELECT mailjet_id FROM mailjet_contacts")}
    if not unknown:
        return 0
    found: dict[str, Contact] = {
        email_key(c.email): c
        for c in list_contacts(client, excluded=True)
        if email_key(c.email) in unknown
    }
    bounced = hard_bounces(client, None)
    seen_ids = known_ids | {c.id for c in found.values()}
    for contact in each(client, [_by_id(i) for i in sorted(set(bounced) - seen_ids)]):
        if contact is not None and email_key(contact.email) in unknown:
            found[email_key(contact.email)] = contact
    rest = [email for key, email in unknown.items() if key not in found]
    if len(unknown) <= ONE_BY_ONE:
        for contact in each(client, [_by_id(email) for email in rest]):
            if contact is not None:
                found[email_key(contact.email)] = contact
    with workspace.transaction() as con:
        known = [
            Known(c.id, c.email, c.is_excluded, c.is_spam_complaining, bounced.get(c.id))
            for c in found.values()
            if not c.is_anonymized
        ]
        blocked = record_known(con, known) if known else 0
        mark_checked(con, list_id)
    return blocked


def _by_id(ident: int | str) -> Callable[[MailjetClient], Contact | None]:
    def read(client: MailjetClient) -> Contact | None:
        try:
            return get_contact(client, ident)
        except NotFound:
            return None

    return read


def hard_bounces(client: MailjetClient, list_id: int | None) -> dict[int, str]:
    """The contacts whose mail bounced for good, with when (Mailjet's event log): those of
    a list's campaigns, or (``list_id`` None) of any of the account's."""
    filters: dict[str, int] = {"FromTS": 0}
    if list_id is not None:
        filters["ContactsList"] = list_id
    try:
        rows = list(client.get_all("bouncestatistics", filters=filters))
    except (NotFound, NotAllowed) as problem:  # (a key without statistics: none to add)
        log.info("bounces not read: %s", type(problem).__name__)
        return {}
    return {
        int(row["ContactID"]): str(row.get("BouncedAt") or "")
        for row in rows
        if row.get("IsStatePermanent") in (True, "true", 1)
    }
