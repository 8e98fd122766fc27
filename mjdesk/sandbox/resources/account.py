"""``/user``, ``/myprofile`` and ``/apikey``: who is calling, and the keys of their account."""

from __future__ import annotations

from mjdesk.sandbox.protocol import (
    JsonObject,
    Reply,
    created,
    not_found,
    not_modified,
    ok,
    page,
    value_as_bool,
)
from mjdesk.sandbox.routing import Call, Route
from mjdesk.sandbox.store import Account, practice_key


def _user(call: Call) -> Reply:
    account = call.account
    return ok(
        {
            "ID": account.user_id,
            "Email": "newsletter@dept.example.ac.uk",
            "Username": "dept-newsletter",
            "Locale": "en_GB",
            "Timezone": "Europe/London",
            "CreatedAt": account.created_at,
            "LastLoginAt": call.store.stamp(),
            "MaxAllowedAPIKeys": 10,
            "WarnedRatelimitAt": "",
        }
    )


def _myprofile(call: Call) -> Reply:
    return ok(
        {
            "ID": call.account.user_id,
            "UserID": call.account.user_id,
            "CompanyName": "Department of Example Studies",
            "Firstname": "Practice",
            "Lastname": "User",
            "BillingEmail": "newsletter@dept.example.ac.uk",
            "AddressStreet": "1 University Road",
            "AddressCity": "York",
            "AddressPostalCode": "YO10 5DD",
            "AddressCountry": "GB",
        }
    )


def apikey_json(account: Account) -> JsonObject:
    """An API key as ``/apikey`` shows it."""
    return {
        "ID": account.key_id,
        "APIKey": account.api_key,
        "SecretKey": account.secret_key,
        "IsActive": account.is_active,
        "IsMaster": account.is_master,
        "Name": account.name,
        "Runlevel": "Normal",
        "ACL": "",
        "UserID": account.user_id,
        "CreatedAt": account.created_at,
    }


def _same_user(call: Call) -> list[Account]:
    return [a for a in call.store.accounts.values() if a.user_id == call.account.user_id]


def _list_keys(call: Call) -> Reply:
    rows = [apikey_json(a) for a in _same_user(call)]
    is_active = call.params.get_bool("IsActive")
    if is_active is not None:
        rows = [row for row in rows if row["IsActive"] == is_active]
    return page(rows, call.params)


def _find_key(call: Call) -> Account:
    wanted = call.arg("id")
    for account in _same_user(call):
        if str(account.key_id) == wanted or account.api_key == wanted:
            return account
    raise not_found()


def _get_key(call: Call) -> Reply:
    return ok(apikey_json(_find_key(call)))


def _create_key(call: Call) -> Reply:
    name = call.fields.required_text("Name")
    key, secret = practice_key(f"{call.account.api_key}:{name}:{call.store.next_key_id}")
    account = call.store.add_account(name, key, secret, is_master=False)
    account.user_id = call.account.user_id
    return created(apikey_json(account))


def _update_key(call: Call) -> Reply:
    account = _find_key(call)
    changed = False
    if call.fields.has("IsActive"):
        active = value_as_bool(call.fields.get("IsActive"), "IsActive")
        changed |= active != account.is_active
        account.is_active = active
    if call.fields.has("Name"):
        name = call.fields.text("Name")
        changed |= name != account.name
        account.name = name
    return ok(apikey_json(account)) if changed else not_modified()


ROUTES = [
    Route("GET", "v3/REST/user", _user),
    Route("GET", "v3/REST/myprofile", _myprofile),
    Route("GET", "v3/REST/apikey", _list_keys),
    Route("POST", "v3/REST/apikey", _create_key),
    Route("GET", "v3/REST/apikey/{id}", _get_key),
    Route("PUT", "v3/REST/apikey/{id}", _update_key),
]
