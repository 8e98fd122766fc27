"""``/contactmetadata`` (property definitions) and ``/contactdata`` (a contact's values)."""

from __future__ import annotations

from datetime import datetime

from mjdesk.sandbox.protocol import (
    ApiFailure,
    Fields,
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
    text_filters,
    text_matcher,
)
from mjdesk.sandbox.routing import Call, Route
from mjdesk.sandbox.store import Account, Contact, Json, PropertyDef

DATATYPES = ("str", "int", "float", "bool", "datetime")


class PropertyProblem(Exception):
    """A value that does not fit its definition, with Mailjet's wording."""


def coerce(definition: PropertyDef, value: Json) -> Json:
    """A property value checked against its datatype (strings of numbers are accepted)."""
    kind = definition.datatype
    if value is None or value == "":
        return value
    try:
        if kind == "str":
            if isinstance(value, (dict, list)):
                raise ValueError
            return str(value)
        if kind == "int":
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(value)
        if kind == "float":
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("true", "1"):
                return True
            if str(value).lower() in ("false", "0"):
                return False
            raise ValueError
        if kind == "datetime":
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return int(value)
            text = str(value)
            datetime.fromisoformat(text.replace("Z", "+00:00"))
            return text
    except (TypeError, ValueError):
        raise PropertyProblem("Property type does not match definition") from None
    raise PropertyProblem("Property type does not match definition")


def check_properties(account: Account, values: Fields) -> dict[str, Json]:
    """Validated values by defined name, or the 400 ``Object properties invalid``."""
    problems: list[JsonObject] = []
    result: dict[str, Json] = {}
    for name, value in values.raw.items():
        definition = account.property_named(name)
        if definition is None:
            problems.append({name: "Property not defined"})
            continue
        try:
            result[definition.name] = coerce(definition, value)
        except PropertyProblem as problem:
            problems.append({name: str(problem)})
    if problems:
        raise ApiFailure(400, "Object properties invalid", {"Properties": problems})
    return result


def merge_data(account: Account, contact_id: int, values: dict[str, Json]) -> bool:
    """Merge values into a contact's data (``None`` unsets); whether anything changed."""
    data = account.contact_data.setdefault(contact_id, {})
    changed = False
    for name, value in values.items():
        if value is None:
            changed |= data.pop(name, None) is not None
        elif data.get(name) != value:
            data[name] = value
            changed = True
    return changed


def metadata_json(definition: PropertyDef) -> JsonObject:
    """A property definition as ``/contactmetadata`` shows it."""
    return {
        "ID": definition.id,
        "Name": definition.name,
        "Datatype": definition.datatype,
        "NameSpace": definition.namespace,
    }


def define_property(account: Account, name: str, datatype: str, namespace: str) -> PropertyDef:
    """Create a property definition (checked for type and duplicates)."""
    if datatype not in DATATYPES:
        raise bad_request(f'Invalid Datatype "{datatype}"')
    if namespace not in ("static", "historic"):
        raise bad_request(f'Invalid NameSpace "{namespace}"')
    if account.property_named(name) is not None:
        raise already_exists("ContactMetaData", "Name", name)
    definition = PropertyDef(account.new_id(), name, datatype, namespace)
    account.properties[definition.id] = definition
    return definition


def _find_metadata(call: Call) -> PropertyDef:
    key = call.arg("id")
    found = (
        call.account.properties.get(int(key)) if key.isdigit() else call.account.property_named(key)
    )
    if found is None:
        raise not_found()
    return found


def _list_metadata(call: Call) -> Reply:
    params = call.params
    params.accept_only("contactmetadata", ("DataType", "Namespace"))
    rows = [metadata_json(item) for item in call.account.properties.values()]
    namespace = params.get("Namespace")
    if namespace:
        rows = [row for row in rows if row["NameSpace"].lower() == namespace.lower()]
    datatype = params.get("DataType")
    if datatype:
        rows = [row for row in rows if row["Datatype"].lower() == datatype.lower()]
    return page(rows, params)


def _get_metadata(call: Call) -> Reply:
    return ok(metadata_json(_find_metadata(call)))


def _create_metadata(call: Call) -> Reply:
    fields = call.fields
    definition = define_property(
        call.account,
        fields.required_text("Name"),
        fields.text("Datatype", "str").lower(),
        fields.text("NameSpace", "static").lower(),
    )
    return created(metadata_json(definition))


def _delete_metadata(call: Call) -> Reply:
    definition = _find_metadata(call)
    del call.account.properties[definition.id]
    for data in call.account.contact_data.values():
        data.pop(definition.name, None)
    return no_content()


def contactdata_json(account: Account, contact: Contact) -> JsonObject:
    """A contact's property values as ``/contactdata`` shows them."""
    data = account.contact_data.get(contact.id, {})
    return {
        "ContactID": contact.id,
        "ID": contact.id,
        "Data": [{"Name": name, "Value": value} for name, value in sorted(data.items())],
    }


def _contact_for(call: Call) -> Contact:
    contact = call.account.find_contact(call.arg("id"))
    if contact is None:
        raise not_found()
    return contact


CONTACTDATA_FILTERS = (
    "ContactsList",
    "ContactEmail",
    "IncludeAnonymized",
    "IsExcludedFromCampaigns",
    "Campaign",
    "DateFormat",
    "Fields",
    "IsUnsubscribed",
    "LastActivityAt",
    "Status",
    "TimeZone",
    *text_filters("Email"),
)


def _list_data(call: Call) -> Reply:
    """``GET /contactdata`` with the filters Mailjet documents for it (O); the ones the sandbox
    does not model (``IsUnsubscribed`` among them, see ``/contact``) are refused with 400."""
    account = call.account
    params = call.params
    params.accept_only(
        "contactdata",
        CONTACTDATA_FILTERS,
        unmodelled=(
            "Campaign",
            "DateFormat",
            "Fields",
            "IsUnsubscribed",
            "LastActivityAt",
            "Status",
            "TimeZone",
        ),
    )
    list_id = params.get_int("ContactsList")
    contact_email = params.get("ContactEmail")
    matches_email = text_matcher(params, "Email")
    excluded = params.get_bool("IsExcludedFromCampaigns")
    include_anonymized = params.get_bool("IncludeAnonymized") or False
    members: set[int] | None = None
    if list_id is not None:
        members = {m.contact_id for m in account.memberships.values() if m.list_id == list_id}
    rows = []
    for contact in account.contacts.values():
        if contact.anonymized and not include_anonymized:
            continue
        if members is not None and contact.id not in members:
            continue
        if contact_email is not None and contact.email.lower() != contact_email.lower():
            continue
        if matches_email is not None and not matches_email(contact.email):
            continue
        if excluded is not None and contact.is_excluded != excluded:
            continue
        rows.append(contact)
    return page_of(rows, params, lambda contact: contactdata_json(account, contact))


def _get_data(call: Call) -> Reply:
    return ok(contactdata_json(call.account, _contact_for(call)))


def _update_data(call: Call) -> Reply:
    contact = _contact_for(call)
    values: dict[str, Json] = {}
    for item in call.fields.items("Data"):
        values[item.required_text("Name")] = item.get("Value")
    checked = check_properties(call.account, Fields(values))
    if not merge_data(call.account, contact.id, checked):
        return not_modified()
    contact.last_update_at = call.store.stamp()
    return ok(contactdata_json(call.account, contact))


ROUTES = [
    Route("GET", "v3/REST/contactmetadata", _list_metadata),
    Route("POST", "v3/REST/contactmetadata", _create_metadata),
    Route("GET", "v3/REST/contactmetadata/{id}", _get_metadata),
    Route("DELETE", "v3/REST/contactmetadata/{id}", _delete_metadata),
    Route("GET", "v3/REST/contactdata", _list_data),
    Route("GET", "v3/REST/contactdata/{id}", _get_data),
    Route("PUT", "v3/REST/contactdata/{id}", _update_data),
]
