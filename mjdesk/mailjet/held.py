"""What Mailjet holds about one person, read now for a GDPR access request; when Mailjet
cannot be reached (or the profile has no account), what the last pull saw, and why."""

from __future__ import annotations

from mjdesk.core.sync.held import MailjetHeld, pulled_held
from mjdesk.core.workspace import Workspace
from mjdesk.mailjet.client import MailjetClient
from mjdesk.mailjet.contacts import contact_lists, get_contact, get_contact_data, list_lists
from mjdesk.mailjet.errors import MailjetError, NotFound

NOT_CONNECTED = "this profile is not connected to Mailjet"


def mailjet_held(
    client: MailjetClient | None, workspace: Workspace, email: str
) -> tuple[MailjetHeld | None, str]:
    """(What Mailjet holds about ``email``, or None; a sentence when there is nothing)."""
    why = NOT_CONNECTED
    if client is not None:
        try:
            return _read_now(client, email), "Mailjet has no contact at this address."
        except MailjetError as problem:
            why = problem.user_message.rstrip(".")
    with workspace.reading() as con:
        held = pulled_held(con, email, why)
    return held, f"Nothing from Mailjet: {why}, and no pull has seen this person."


def _read_now(client: MailjetClient, email: str) -> MailjetHeld | None:
    try:
        contact = get_contact(client, email)
    except NotFound:
        return None
    names = {found.id: found.name for found in list_lists(client)}
    return MailjetHeld(
        "Mailjet, read now",
        {
            "ID": contact.id,
            "Email": contact.email,
            "Name": contact.name,
            "CreatedAt": contact.created_at,
            "IsExcludedFromCampaigns": contact.is_excluded,
            "IsSpamComplaining": contact.is_spam_complaining,
            "DeliveredCount": contact.delivered_count,
            "LastActivityAt": contact.last_activity_at,
            "UnsubscribedAt": contact.unsubscribed_at,
        },
        get_contact_data(client, contact.id),
        [
            {
                "list": names.get(link.list_id, f"#{link.list_id}"),
                "status": "unsubscribed" if link.is_unsubscribed else "subscribed",
                "since": link.subscribed_at,
            }
            for link in contact_lists(client, contact.id)
        ],
    )
