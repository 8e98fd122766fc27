"""``/contactslist``, ``/listrecipient`` and ``managecontact``, and the four list actions.

The actions are the product's safety rule, so they are exact: ``addnoforce`` never clears an
unsubscribe, ``addforce`` does, ``unsub`` sets it, ``remove`` deletes the link.
"""

from __future__ import annotations

import hashlib
import re

from mjdesk.sandbox.protocol import (
    JsonObject,
    Reply,
    already_exists,
    bad_request,
    created,
    no_content,
    not_found,
    not_modified,
    ok,
    page,
    page_of,
    value_as_bool,
    value_as_int,
)
from mjdesk.sandbox.resources.properties import check_properties, merge_data
from mjdesk.sandbox.routing import Call, Route
from mjdesk.sandbox.store import Account, Contact, ContactsList, Membership

ACTIONS = ("addforce", "addnoforce", "remove", "unsub")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def valid_email(email: str) -> bool:
    """Mailjet's (loose) address check."""
    return bool(_EMAIL.match(email))


def new_contact(account: Account, email: str, name: str, stamp: str) -> Contact:
    """Create a contact, refusing duplicates with MJ18 and bad addresses with 400."""
    if not valid_email(email):
        raise bad_request(f'Invalid email address "{email}"')
    if account.find_contact(email) is not None:
        raise already_exists("Contact", "Email", email)
    contact = Contact(
        account.new_id(), email, name, created_at=stamp, last_update_at=stamp, last_activity_at=""
    )
    account.add_contact(contact)
    return contact


def apply_action(account: Account, contact: Contact, list_id: int, action: str, stamp: str) -> None:
    """Apply one list action to one contact exactly as Mailjet documents it."""
    link = account.membership(contact.id, list_id)
    if action == "remove":
        if link is not None:
            account.drop_membership(link)
        return
    if link is None:
        link = Membership(account.new_id(), contact.id, list_id, subscribed_at=stamp)
        account.add_membership(link)
        if action == "unsub":
            link.is_unsubscribed = True
            link.unsubscribed_at = stamp
        return
    if action == "addforce":
        link.is_unsubscribed = False
        link.unsubscribed_at = ""
        link.is_active = True
    elif action == "unsub" and not link.is_unsubscribed:
        link.is_unsubscribed = True
        link.unsubscribed_at = stamp
    # addnoforce: an existing member keeps its status, subscribed or not.


def subscriber_count(account: Account, list_id: int) -> int:
    """Members of a list who are subscribed (live, as ``SubscriberCount`` is)."""
    count = 0
    for link in account.memberships.values():
        if link.list_id == list_id and not link.is_unsubscribed:
            contact = account.contacts.get(link.contact_id)
            if contact is not None and not contact.anonymized:
                count += 1
    return count


def list_json(account: Account, item: ContactsList) -> JsonObject:
    """A list as ``/contactslist`` shows it."""
    return {
        "ID": item.id,
        "Name": item.name,
        "Address": item.address,
        "CreatedAt": item.created_at,
        "IsDeleted": item.is_deleted,
        "SubscriberCount": subscriber_count(account, item.id),
    }


def create_list(account: Account, name: str, stamp: str) -> ContactsList:
    """A new list; names are unique among the account's lists."""
    if any(item.name == name and not item.is_deleted for item in account.lists.values()):
        raise already_exists("ContactsList", "Name", name)
    list_id = account.new_id()
    digest = hashlib.sha1(f"{account.api_key}:{list_id}".encode()).hexdigest()[:9]
    item = ContactsList(list_id, name, f"{digest}@lists.mailjet.com", created_at=stamp)
    account.lists[item.id] = item
    return item


def find_list_or_404(account: Account, key: str) -> ContactsList:
    """A list by ID or name, or the JSON 404."""
    item = account.find_list(key)
    if item is None:
        raise not_found()
    return item


LIST_FILTERS = ("Name", "IsDeleted", "Address", "ExcludeID")


def _lists(call: Call) -> Reply:
    """``GET /contactslist`` with its documented filters; deleted lists only when asked for."""
    account = call.account
    params = call.params
    params.accept_only("contactslist", LIST_FILTERS)
    name = params.get("Name")
    address = params.get("Address")
    deleted = params.get_bool("IsDeleted")
    excluded_id = params.get_int("ExcludeID")
    rows = []
    for item in account.lists.values():
        if name is not None and item.name != name:
            continue
        if address is not None and item.address.lower() != address.lower():
            continue
        if item.is_deleted != (deleted or False) or item.id == excluded_id:
            continue
        rows.append(list_json(account, item))
    return page(rows, params)


def _get_list(call: Call) -> Reply:
    return ok(list_json(call.account, find_list_or_404(call.account, call.arg("id"))))


def _create_list(call: Call) -> Reply:
    item = create_list(call.account, call.fields.required_text("Name"), call.store.stamp())
    return created(list_json(call.account, item))


def _update_list(call: Call) -> Reply:
    account = call.account
    item = find_list_or_404(account, call.arg("id"))
    fields = call.fields
    changed = False
    if fields.has("Name"):
        name = fields.required_text("Name")
        if name != item.name:
            if any(o.name == name and not o.is_deleted for o in account.lists.values()):
                raise already_exists("ContactsList", "Name", name)
            item.name = name
            changed = True
    if fields.has("IsDeleted"):
        deleted = value_as_bool(fields.get("IsDeleted"), "IsDeleted")
        changed |= deleted != item.is_deleted
        item.is_deleted = deleted
    return ok(list_json(account, item)) if changed else not_modified()


def _delete_list(call: Call) -> Reply:
    account = call.account
    item = find_list_or_404(account, call.arg("id"))
    item.is_deleted = True
    for link in [m for m in account.memberships.values() if m.list_id == item.id]:
        account.drop_membership(link)
    return no_content()


def recipient_json(account: Account, link: Membership) -> JsonObject:
    """A membership as ``/listrecipient`` shows it."""
    item = account.lists.get(link.list_id)
    return {
        "ID": link.id,
        "ContactID": link.contact_id,
        "ListID": link.list_id,
        "ListName": item.name if item else "",
        "IsActive": link.is_active,
        "IsUnsubscribed": link.is_unsubscribed,
        "SubscribedAt": link.subscribed_at,
        "UnsubscribedAt": link.unsubscribed_at,
    }


RECIPIENT_FILTERS = (
    "ContactsList",
    "Contact",
    "ContactEmail",
    "ListName",
    "Unsub",
    "Active",
    "Blocked",
    "Opened",
    "IgnoreDeleted",
    "IsExcludedFromCampaigns",
    "LastActivityAt",
    "Status",
)


def _recipients(call: Call) -> Reply:
    """``GET /listrecipient`` with the filters Mailjet documents for it (O).

    ``Unsub`` is the way to ask for (un)subscribed members; ``IsUnsubscribed``, a field of the
    rows but not a filter of this resource, is refused with 400 rather than silently ignored.
    ``IgnoreDeleted`` leaves out anonymised contacts and deleted lists; no contact is blocked in
    the sandbox, so ``Blocked=true`` matches nobody. ``LastActivityAt`` and ``Status`` are
    documented but not modelled, so they are refused too.
    """
    account = call.account
    params = call.params
    params.accept_only("listrecipient", RECIPIENT_FILTERS, unmodelled=("LastActivityAt", "Status"))
    list_id = params.get_int("ContactsList")
    list_name = params.get("ListName")
    contact_key = params.get("Contact")
    email = params.get("ContactEmail")
    unsub = params.get_bool("Unsub")
    active = params.get_bool("Active")
    blocked = params.get_bool("Blocked")
    opened = params.get_bool("Opened")
    excluded = params.get_bool("IsExcludedFromCampaigns")
    ignore_deleted = params.get_bool("IgnoreDeleted")
    wanted: set[int] | None = None
    for key in (contact_key, email):
        if key is not None:
            found = account.find_contact(key)
            ids = {found.id} if found else set()
            wanted = ids if wanted is None else wanted & ids
    openers: set[int] = set()
    if opened is not None:
        openers = {event.contact_id for event in account.events if event.kind == "open"}
    rows = []
    for link in account.memberships.values():
        item = account.lists.get(link.list_id)
        contact = account.contacts.get(link.contact_id)
        if item is None or contact is None:
            continue
        if list_id is not None and link.list_id != list_id:
            continue
        if list_name is not None and item.name != list_name:
            continue
        if wanted is not None and link.contact_id not in wanted:
            continue
        if unsub is not None and link.is_unsubscribed != unsub:
            continue
        if active is not None and link.is_active != active:
            continue
        if blocked is True:
            continue
        if opened is not None and (link.contact_id in openers) != opened:
            continue
        if excluded is not None and contact.is_excluded != excluded:
            continue
        if ignore_deleted and (item.is_deleted or contact.anonymized):
            continue
        rows.append(link)
    return page_of(rows, params, lambda link: recipient_json(account, link))


def _find_recipient(call: Call) -> Membership:
    key = call.arg("id")
    link = call.account.memberships.get(int(key)) if key.isdigit() else None
    if link is None:
        raise not_found()
    return link


def _get_recipient(call: Call) -> Reply:
    return ok(recipient_json(call.account, _find_recipient(call)))


def _create_recipient(call: Call) -> Reply:
    account = call.account
    fields = call.fields
    contact_key = fields.text("ContactID") or fields.text("ContactALT")
    list_key = fields.text("ListID") or fields.text("ListALT")
    if not contact_key or not list_key:
        raise bad_request("ContactID (or ContactALT) and ListID (or ListALT) are required")
    contact = account.find_contact(contact_key)
    item = account.find_list(list_key)
    if contact is None:
        raise bad_request(f'Invalid Contact "{contact_key}"')
    if item is None or item.is_deleted:
        raise bad_request(f'Invalid ContactsList "{list_key}"')
    if account.membership(contact.id, item.id) is not None:
        raise already_exists("ListRecipient", "ContactID", contact.id)
    stamp = call.store.stamp()
    link = Membership(account.new_id(), contact.id, item.id, subscribed_at=stamp)
    if fields.has("IsUnsubscribed") and value_as_bool(fields.get("IsUnsubscribed"), "x"):
        link.is_unsubscribed = True
        link.unsubscribed_at = stamp
    if fields.has("IsActive"):
        link.is_active = value_as_bool(fields.get("IsActive"), "IsActive")
    account.add_membership(link)
    return created(recipient_json(account, link))


def _update_recipient(call: Call) -> Reply:
    link = _find_recipient(call)
    fields = call.fields
    changed = False
    if fields.has("IsUnsubscribed"):
        unsub = value_as_bool(fields.get("IsUnsubscribed"), "IsUnsubscribed")
        if unsub != link.is_unsubscribed:
            link.is_unsubscribed = unsub
            # UnsubscribedAt follows IsUnsubscribed, never lagging behind it.
            link.unsubscribed_at = call.store.stamp() if unsub else ""
            changed = True
    if fields.has("IsActive"):
        active = value_as_bool(fields.get("IsActive"), "IsActive")
        changed |= active != link.is_active
        link.is_active = active
    return ok(recipient_json(call.account, link)) if changed else not_modified()


def _delete_recipient(call: Call) -> Reply:
    link = _find_recipient(call)
    call.account.drop_membership(link)
    return no_content()


def _manage_contact(call: Call) -> Reply:
    account = call.account
    item = find_list_or_404(account, call.arg("id"))
    fields = call.fields
    email = fields.required_text("Email")
    action = fields.text("Action").lower()
    if action not in ACTIONS:
        raise bad_request(f'Invalid Action "{fields.text("Action")}"')
    properties = check_properties(account, fields.sub("Properties"))
    stamp = call.store.stamp()
    contact = account.find_contact(email)
    if contact is None:
        contact = new_contact(account, email, fields.text("Name"), stamp)
    elif fields.has("Name"):
        contact.name = fields.text("Name")
    merge_data(account, contact.id, properties)
    apply_action(account, contact, item.id, action, stamp)
    return created(
        {
            "ContactID": contact.id,
            "Email": contact.email,
            "Action": action,
            "Name": contact.name,
            "Properties": fields.sub("Properties").raw,
        }
    )


def list_id_of(value: object) -> int:
    """A list ID from a body, as a number or a string of digits."""
    return value_as_int(value, "ListID")


ROUTES = [
    Route("GET", "v3/REST/contactslist", _lists),
    Route("POST", "v3/REST/contactslist", _create_list),
    Route("GET", "v3/REST/contactslist/{id}", _get_list),
    Route("PUT", "v3/REST/contactslist/{id}", _update_list),
    Route("DELETE", "v3/REST/contactslist/{id}", _delete_list),
    Route("POST", "v3/REST/contactslist/{id}/managecontact", _manage_contact),
    Route("GET", "v3/REST/listrecipient", _recipients),
    Route("POST", "v3/REST/listrecipient", _create_recipient),
    Route("GET", "v3/REST/listrecipient/{id}", _get_recipient),
    Route("PUT", "v3/REST/listrecipient/{id}", _update_recipient),
    Route("DELETE", "v3/REST/listrecipient/{id}", _delete_recipient),
]
