"""``/sender``: the account's sender addresses and domains, and whether Mailjet validated them.

A draft is tested, scheduled or sent only from an ``Active`` sender (resources/campaigns.py).
The filters are the ones Mailjet documents (OpenAPI, Node SDK types); ``DnsID`` is not modelled.
"""

from __future__ import annotations

from mjdesk.sandbox.protocol import (
    JsonObject,
    Reply,
    already_exists,
    bad_request,
    created,
    not_found,
    ok,
    page,
    value_as_bool,
)
from mjdesk.sandbox.resources.lists import valid_email
from mjdesk.sandbox.routing import Call, Route
from mjdesk.sandbox.store import Sender

SENDER_FILTERS = ("Domain", "Email", "IsDomainSender", "LocalPart", "ShowDeleted", "Status")
STATUSES = ("Active", "Inactive", "Deleted")
EMAIL_TYPES = ("transactional", "bulk", "unknown")


def sender_json(sender: Sender) -> JsonObject:
    """A sender as ``/sender`` shows it."""
    return {
        "ID": sender.id,
        "CreatedAt": sender.created_at,
        "DNSID": sender.dns_id,
        "Email": sender.email,
        "EmailType": sender.email_type,
        "Filename": "",
        "IsDefaultSender": sender.is_default_sender,
        "Name": sender.name,
        "Status": sender.status,
    }


def _matches(sender: Sender, call: Call) -> bool:
    params = call.params
    local, _, domain = sender.email.lower().rpartition("@")
    status = params.get("Status")
    if status is not None and status not in STATUSES:
        raise bad_request(f'Invalid Status "{status}"')
    shown = status == "Deleted" or (params.get_bool("ShowDeleted") or False)
    checks = (
        shown or sender.status != "Deleted",
        status is None or sender.status == status,
        params.get("Email") is None or sender.email.lower() == str(params.get("Email")).lower(),
        params.get("Domain") is None or domain == str(params.get("Domain")).lower(),
        params.get("LocalPart") is None or local == str(params.get("LocalPart")).lower(),
        params.get_bool("IsDomainSender") in (None, local == "*"),
    )
    return all(checks)


def _senders(call: Call) -> Reply:
    call.params.accept_only("sender", SENDER_FILTERS, unmodelled=("DnsID",))
    rows = [sender_json(s) for s in call.account.senders.values() if _matches(s, call)]
    return page(rows, call.params)


def _find_sender(call: Call) -> Sender:
    key = call.arg("id").strip().lower()
    for sender in call.account.senders.values():
        if str(sender.id) == key or sender.email.lower() == key:
            return sender
    raise not_found()


def _get_sender(call: Call) -> Reply:
    return ok(sender_json(_find_sender(call)))


def _create_sender(call: Call) -> Reply:
    """A new sender waits, ``Inactive``, for its activation e-mail to be answered."""
    fields = call.fields
    email = fields.required_text("Email")
    whole_domain = email.startswith("*@") and valid_email("x" + email[1:])
    if not (whole_domain or valid_email(email)):
        raise bad_request(f'Invalid Email "{email}"')
    email_type = fields.text("EmailType", "unknown")
    if email_type not in EMAIL_TYPES:
        raise bad_request(f'Invalid EmailType "{email_type}"')
    if any(s.email.lower() == email.lower() for s in call.account.senders.values()):
        raise already_exists("Sender", "Email", email)
    sender = call.account.add_sender(
        email, "Inactive", name=fields.text("Name"), stamp=call.store.stamp()
    )
    sender.email_type = email_type
    if fields.has("IsDefaultSender"):
        sender.is_default_sender = value_as_bool(fields.get("IsDefaultSender"), "IsDefaultSender")
    return created(sender_json(sender))


ROUTES = [
    Route("GET", "v3/REST/sender", _senders),
    Route("POST", "v3/REST/sender", _create_sender),
    Route("GET", "v3/REST/sender/{id}", _get_sender),
]
