"""``/contact``, its list actions, and the v4 GDPR delete (anonymise)."""

from __future__ import annotations

import hashlib

from mjdesk.sandbox.protocol import (
    ApiFailure,
    JsonObject,
    Reply,
    bad_request,
    created,
    json_reply,
    not_found,
    not_modified,
    ok,
    page,
    page_of,
    text_filters,
    text_matcher,
    value_as_bool,
)
from mjdesk.sandbox.resources.lists import ACTIONS, apply_action, new_contact
from mjdesk.sandbox.routing import Call, Route
from mjdesk.sandbox.store import Account, Contact


def contact_json(contact: Contact) -> JsonObject:
    """A contact as ``/contact`` shows it."""
    return {
        "ID": contact.id,
        "Email": contact.email,
        "Name": contact.name,
        "CreatedAt": contact.created_at,
        "DeliveredCount": contact.delivered_count,
        "IsExcludedFromCampaigns": contact.is_excluded,
        "ExclusionFromCampaignsUpdatedAt": contact.excluded_updated_at,
        "IsOptInPending": contact.is_opt_in_pending,
        "IsSpamComplaining": contact.is_spam_complaining,
        "LastActivityAt": contact.last_activity_at,
        "LastUpdateAt": contact.last_update_at,
        "UnsubscribedAt": contact.unsubscribed_at,
        "UnsubscribedBy": contact.unsubscribed_by,
    }


def find_contact_or_404(account: Account, key: str) -> Contact:
    """A contact by ID or email, or the JSON 404."""
    contact = account.find_contact(key)
    if contact is None:
        raise not_found()
    return contact


CONTACT_FILTERS = (
    "ContactsList",
    "Campaign",
    "IsExcludedFromCampaigns",
    "IsUnsubscribed",
    "IncludeAnonymized",
    "LastActivityAt",
    "Status",
    *text_filters("Email"),
)


def _contacts(call: Call) -> Reply:
    """``GET /contact`` with the filters Mailjet documents for it (O).

    ``IsUnsubscribed`` is refused with a 400, alone or with ``ContactsList``: Mailjet documents
    it as "contacts which have been unsubscribed (or not)" from the list given, but users report
    ``ContactsList=X&IsUnsubscribed=...`` as unreliable at Mailjet, and the sandbox cannot know
    how it is wrong there. Answering it correctly here would let a client built on it pass every
    test and then mailing people who opted out; the reliable way is ``/listrecipient`` with
    ``ContactsList`` and ``Unsub``. ``Campaign``, ``LastActivityAt`` and ``Status`` are
    documented but not modelled, so they are refused too rather than ignored.
    """
    account = call.account
    params = call.params
    if params.has("IsUnsubscribed"):
        raise bad_request(
            "Filter IsUnsubscribed (with or without ContactsList) is not supported by the "
            "sandbox: Mailjet's answer to it is reported unreliable; use listrecipient with "
            "ContactsList and Unsub",
            "filter",
        )
    params.accept_only(
        "contact", CONTACT_FILTERS, unmodelled=("Campaign", "LastActivityAt", "Status")
    )
    list_id = params.get_int("ContactsList")
    excluded = params.get_bool("IsExcludedFromCampaigns")
    matches_email = text_matcher(params, "Email")
    include_anonymized = params.get_bool("IncludeAnonymized") or False
    members: set[int] | None = None
    if list_id is not None:
        members = {
            link.contact_id for link in account.memberships.values() if link.list_id == list_id
        }
    rows = []
    for contact in account.contacts.values():
        if contact.anonymized and not include_anonymized:
            continue
        if members is not None and contact.id not in members:
            continue
        if excluded is not None and contact.is_excluded != excluded:
            continue
        if matches_email is not None and not matches_email(contact.email):
            continue
        rows.append(contact)
    return page_of(rows, params, contact_json)


def _get_contact(call: Call) -> Reply:
    return ok(contact_json(find_contact_or_404(call.account, call.arg("id"))))


def _create_contact(call: Call) -> Reply:
    fields = call.fields
    stamp = call.store.stamp()
    contact = new_contact(call.account, fields.required_text("Email"), fields.text("Name"), stamp)
    if fields.has("IsExcludedFromCampaigns"):
        contact.is_excluded = value_as_bool(fields.get("IsExcludedFromCampaigns"), "x")
        if contact.is_excluded:
            contact.excluded_updated_at = stamp
    return created(contact_json(contact))


def _update_contact(call: Call) -> Reply:
    contact = find_contact_or_404(call.account, call.arg("id"))
    fields = call.fields
    stamp = call.store.stamp()
    changed = False
    if fields.has("Name"):
        name = fields.text("Name")
        changed |= name != contact.name
        contact.name = name
    if fields.has("IsExcludedFromCampaigns"):
        excluded = value_as_bool(fields.get("IsExcludedFromCampaigns"), "IsExcludedFromCampaigns")
        if excluded != contact.is_excluded:
            contact.is_excluded = excluded
            contact.excluded_updated_at = stamp
            changed = True
    if not changed:
        return not_modified()
    contact.last_update_at = stamp
    return ok(contact_json(contact))


def _delete_contact_v3(call: Call) -> Reply:
    # Mailjet has no v3 contact DELETE; it answers 401 although the key is fine.
    raise ApiFailure(401, "Operation not allowed")


def _contact_lists(call: Call) -> Reply:
    account = call.account
    contact = find_contact_or_404(account, call.arg("id"))
    call.params.accept_only("getcontactslists", ())
    rows = [
        {
            "ListID": link.list_id,
            "IsActive": link.is_active,
            "IsUnsub": link.is_unsubscribed,
            "SubscribedAt": link.subscribed_at,
        }
        for link in account.memberships.values()
        if link.contact_id == contact.id
    ]
    return page(rows, call.params)


def _manage_contact_lists(call: Call) -> Reply:
    account = call.account
    contact = find_contact_or_404(account, call.arg("id"))
    entries = call.fields.items("ContactsLists")
    if not entries:
        raise bad_request("ContactsLists is missing or empty")
    problems: list[JsonObject] = []
    plan: list[tuple[int, str]] = []
    for entry in entries:
        raw_list, raw_action = entry.get("ListID"), entry.get("Action")
        list_key = str(raw_list) if raw_list is not None else ""
        item = account.find_list(list_key) if list_key.isdigit() else None
        action = str(raw_action or "").lower()
        if item is None or item.is_deleted:
            problems.append(
                {"ListID": raw_list, "Action": raw_action, "Error": "listID missing or not valid"}
            )
        elif action not in ACTIONS:
            problems.append(
                {"ListID": raw_list, "Action": raw_action, "Error": "action missing or not valid"}
            )
        else:
            plan.append((item.id, action))
    if problems:
        raise bad_request({"ContactsLists": problems})
    stamp = call.store.stamp()
    for list_id, action in plan:
        apply_action(account, contact, list_id, action, stamp)
    echoed = [{"ListID": list_id, "Action": action} for list_id, action in plan]
    return created({"ContactsLists": echoed})


def anonymize(call: Call, contact: Contact) -> None:
    """What a GDPR delete does at once: no name, no address, no data (and, by default, no lists)."""
    account = call.account
    digest = hashlib.sha256(f"{account.api_key}:{contact.email}".encode()).hexdigest()[:40]
    account.anonymize(contact, f"\\x{digest}@domain.invalid")
    contact.name = "Anonymized"
    contact.last_update_at = call.store.stamp()
    account.contact_data.pop(contact.id, None)
    if call.store.options.gdpr_delete_leaves_lists:
        for link in [m for m in account.memberships.values() if m.contact_id == contact.id]:
            account.drop_membership(link)


def _delete_contact_v4(call: Call) -> Reply:
    key = call.arg("id")
    contact = call.account.contacts.get(int(key)) if key.isdigit() else None
    if contact is None:
        raise not_found()
    if not contact.anonymized:
        anonymize(call, contact)
    return json_reply(200, {"Count": 1, "Data": [{"ID": contact.id}], "Total": 1})


ROUTES = [
    Route("GET", "v3/REST/contact", _contacts),
    Route("POST", "v3/REST/contact", _create_contact),
    Route("GET", "v3/REST/contact/{id}/getcontactslists", _contact_lists),
    Route("POST", "v3/REST/contact/{id}/managecontactslists", _manage_contact_lists),
    Route("GET", "v3/REST/contact/{id}", _get_contact),
    Route("PUT", "v3/REST/contact/{id}", _update_contact),
    Route("DELETE", "v3/REST/contact/{id}", _delete_contact_v3),
    Route("DELETE", "v4/contacts/{id}", _delete_contact_v4),
]
