"""Contacts, properties, lists and memberships: typed calls over ``MailjetClient``.

List changes offer ``addnoforce``, ``unsub`` and ``remove`` only: ``addforce`` re-subscribes people
who opted out, which the product never does (design.md, "Never resubscribe").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from mjdesk.mailjet.replies import JsonObject, first_row

if TYPE_CHECKING:
    from mjdesk.mailjet.client import MailjetClient

ListAction = Literal["addnoforce", "unsub", "remove"]
LIST_ACTIONS: tuple[ListAction, ...] = ("addnoforce", "unsub", "remove")


def check_action(action: str) -> None:
    if action not in LIST_ACTIONS:
        raise ValueError(f"list action {action!r} is not allowed (never addforce)")


@dataclass(frozen=True)
class Contact:
    """A Mailjet contact."""

    id: int
    email: str
    name: str
    created_at: str
    is_excluded: bool
    is_spam_complaining: bool
    delivered_count: int
    last_activity_at: str
    unsubscribed_at: str
    last_update_at: str = ""

    @classmethod
    def from_api(cls, row: JsonObject) -> Contact:
        """From a ``/contact`` row."""
        return cls(
            id=int(row["ID"]),
            email=str(row.get("Email", "")),
            name=str(row.get("Name") or ""),
            created_at=str(row.get("CreatedAt") or ""),
            is_excluded=bool(row.get("IsExcludedFromCampaigns", False)),
            is_spam_complaining=bool(row.get("IsSpamComplaining", False)),
            delivered_count=int(row.get("DeliveredCount") or 0),
            last_activity_at=str(row.get("LastActivityAt") or ""),
            unsubscribed_at=str(row.get("UnsubscribedAt") or ""),
            last_update_at=str(row.get("LastUpdateAt") or ""),
        )

    @property
    def is_anonymized(self) -> bool:
        """Erased through the v4 API: Mailjet keeps the ID with a made-up address."""
        return self.email.endswith("@domain.invalid") or self.name == "Anonymized"


@dataclass(frozen=True)
class ContactList:
    """A contact list."""

    id: int
    name: str
    address: str
    subscriber_count: int
    is_deleted: bool
    created_at: str

    @classmethod
    def from_api(cls, row: JsonObject) -> ContactList:
        """From a ``/contactslist`` row."""
        return cls(
            id=int(row["ID"]),
            name=str(row.get("Name", "")),
            address=str(row.get("Address", "")),
            subscriber_count=int(row.get("SubscriberCount") or 0),
            is_deleted=bool(row.get("IsDeleted", False)),
            created_at=str(row.get("CreatedAt") or ""),
        )


@dataclass(frozen=True)
class Membership:
    """A contact's place in a list (``/listrecipient``)."""

    id: int
    contact_id: int
    list_id: int
    list_name: str
    is_unsubscribed: bool
    is_active: bool
    subscribed_at: str
    unsubscribed_at: str

    @classmethod
    def from_api(cls, row: JsonObject) -> Membership:
        """From a ``/listrecipient`` row."""
        return cls(
            id=int(row["ID"]),
            contact_id=int(row["ContactID"]),
            list_id=int(row["ListID"]),
            list_name=str(row.get("ListName", "")),
            is_unsubscribed=bool(row.get("IsUnsubscribed", False)),
            is_active=bool(row.get("IsActive", True)),
            subscribed_at=str(row.get("SubscribedAt") or ""),
            unsubscribed_at=str(row.get("UnsubscribedAt") or ""),
        )


@dataclass(frozen=True)
class ListLink:
    """One of a contact's lists, as ``getcontactslists`` reports it."""

    list_id: int
    is_active: bool
    is_unsubscribed: bool
    subscribed_at: str


@dataclass(frozen=True)
class PropertyDefinition:
    """A contact property (``/contactmetadata``)."""

    id: int
    name: str
    datatype: str
    namespace: str


def _filters(**values: Any) -> dict[str, Any]:
    # Booleans go as "true"/"false": requests would send Python's "True".
    result: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        result[name] = ("true" if value else "false") if isinstance(value, bool) else value
    return result


def list_contacts(
    client: MailjetClient,
    *,
    list_id: int | None = None,
    excluded: bool | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Contact]:
    """Every contact (of a list), paged."""
    query = _filters(ContactsList=list_id, IsExcludedFromCampaigns=excluded)
    for row in client.get_all("contact", filters=query, progress=progress):
        yield Contact.from_api(row)


def count_contacts(client: MailjetClient, *, list_id: int | None = None) -> int:
    """How many contacts (in a list)."""
    return client.count("contact", _filters(ContactsList=list_id))


def get_contact(client: MailjetClient, id_or_email: int | str) -> Contact:
    """One contact by ID or email (``NotFound`` if absent)."""
    return Contact.from_api(client.get_one("contact", id_or_email))


def create_contact(
    client: MailjetClient, email: str, name: str = "", *, excluded: bool = False
) -> Contact:
    """A new contact (``InvalidRequest`` with MJ18 if the address exists)."""
    body = {"Email": email, "Name": name, "IsExcludedFromCampaigns": excluded}
    return Contact.from_api(first_row(client.create("contact", body)))


def update_contact(
    client: MailjetClient,
    id_or_email: int | str,
    *,
    name: str | None = None,
    excluded: bool | None = None,
) -> Contact | None:
    """Patch a contact; None when nothing changed."""
    body: JsonObject = {}
    if name is not None:
        body["Name"] = name
    if excluded is not None:
        body["IsExcludedFromCampaigns"] = excluded
    row = client.update("contact", id_or_email, body)
    return None if row is None else Contact.from_api(row)


def erase_contact(client: MailjetClient, contact_id: int) -> None:
    """GDPR delete (v4): Mailjet anonymises the contact now and deletes it within 30 days.

    Takes the numeric ID (look it up with ``get_contact``). Only this API key's copy is erased.
    """
    client.raw("DELETE", f"v4/contacts/{int(contact_id)}")


def list_properties(client: MailjetClient) -> list[PropertyDefinition]:
    """Every contact property definition."""
    return [
        PropertyDefinition(
            int(row["ID"]),
            str(row["Name"]),
            str(row.get("Datatype", "str")),
            str(row.get("NameSpace", "static")),
        )
        for row in client.get_all("contactmetadata")
    ]


def create_property(client: MailjetClient, name: str, datatype: str = "str") -> PropertyDefinition:
    """Define a static contact property."""
    body = {"Name": name, "Datatype": datatype, "NameSpace": "static"}
    row = first_row(client.create("contactmetadata", body))
    return PropertyDefinition(int(row["ID"]), str(row["Name"]), datatype, "static")


def get_contact_data(client: MailjetClient, contact: int | str) -> dict[str, Any]:
    """A contact's property values by name."""
    row = client.get_one("contactdata", contact)
    return {str(item["Name"]): item.get("Value") for item in row.get("Data", [])}


def set_contact_data(
    client: MailjetClient, contact: int | str, values: Mapping[str, Any | None]
) -> bool:
    """Merge property values (None unsets one); whether anything changed."""
    body = {"Data": [{"Name": name, "Value": value} for name, value in values.items()]}
    return client.update("contactdata", contact, body) is not None


def list_lists(client: MailjetClient) -> list[ContactList]:
    """Every (not deleted) list."""
    return [ContactList.from_api(row) for row in client.get_all("contactslist")]


def get_list(client: MailjetClient, list_id: int) -> ContactList:
    """One list."""
    return ContactList.from_api(client.get_one("contactslist", list_id))


def create_list(client: MailjetClient, name: str) -> ContactList:
    """A new list (names are unique)."""
    return ContactList.from_api(first_row(client.create("contactslist", {"Name": name})))


def rename_list(client: MailjetClient, list_id: int, name: str) -> None:
    """Rename a list."""
    client.update("contactslist", list_id, {"Name": name})


def delete_list(client: MailjetClient, list_id: int) -> None:
    """Delete a list."""
    client.delete("contactslist", list_id)


def list_memberships(
    client: MailjetClient,
    *,
    list_id: int | None = None,
    contact: int | str | None = None,
    unsubscribed: bool | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Membership]:
    """Memberships (of a list, of a contact), paged: how unsubscribes are pulled back."""
    query = _filters(ContactsList=list_id, Contact=contact, Unsub=unsubscribed)
    for row in client.get_all("listrecipient", filters=query, progress=progress):
        yield Membership.from_api(row)


def unsubscribe_membership(client: MailjetClient, membership_id: int) -> None:
    """Mark a membership unsubscribed (there is deliberately no way back here)."""
    client.update("listrecipient", membership_id, {"IsUnsubscribed": True})


def contact_lists(client: MailjetClient, contact: int | str) -> list[ListLink]:
    """A contact's lists with their subscription state."""
    rows = client.get("contact_getcontactslists", contact)
    return [
        ListLink(
            int(row["ListID"]),
            bool(row.get("IsActive", True)),
            bool(row.get("IsUnsub", False)),
            str(row.get("SubscribedAt") or ""),
        )
        for row in rows
    ]


def change_contact_lists(
    client: MailjetClient, contact: int | str, changes: Sequence[tuple[int, ListAction]]
) -> None:
    """Apply list actions to one contact (``managecontactslists``)."""
    for _, action in changes:
        check_action(action)
    body = {"ContactsLists": [{"ListID": list_id, "Action": action} for list_id, action in changes]}
    client.create("contact_managecontactslists", body, id=contact)


def add_to_list(
    client: MailjetClient,
    list_id: int,
    email: str,
    *,
    action: ListAction = "addnoforce",
    name: str | None = None,
    properties: Mapping[str, Any] | None = None,
) -> int:
    """One contact into (or out of) a list, created if needed (``managecontact``); its ID."""
    check_action(action)
    body: JsonObject = {"Email": email, "Action": action}
    if name is not None:
        body["Name"] = name
    if properties:
        body["Properties"] = dict(properties)
    row = first_row(client.create("contactslist_managecontact", body, id=list_id))
    return int(row["ContactID"])
