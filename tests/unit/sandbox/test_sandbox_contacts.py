"""Sandbox conformance for contacts, properties, lists and the list actions (mailjet-api.md §3-4).

These talk to the sandbox with plain ``requests``, so they check the sandbox against the document,
not against our own client.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests

from mjdesk.sandbox.resources.lists import new_contact
from mjdesk.sandbox.server import Sandbox

from support.sandbox_fixtures import Practice


def _data(response: requests.Response) -> list[dict[str, Any]]:
    body = response.json()
    assert set(body) == {"Count", "Data", "Total"}
    assert body["Count"] == len(body["Data"])
    rows: list[dict[str, Any]] = body["Data"]
    return rows


def _contact(practice: Practice, email: str, name: str = "") -> int:
    response = practice.rest("POST", "contact", json={"Email": email, "Name": name})
    assert response.status_code == 201
    contact_id: int = _data(response)[0]["ID"]
    return contact_id


def _list(practice: Practice, name: str) -> int:
    response = practice.rest("POST", "contactslist", json={"Name": name})
    assert response.status_code == 201
    list_id: int = _data(response)[0]["ID"]
    return list_id


def test_bad_credentials_get_html_401_with_realm(practice: Practice) -> None:
    answer = requests.get(practice.url + "v3/REST/contact", auth=(practice.key, "wrong"), timeout=5)
    assert answer.status_code == 401
    assert answer.headers["Content-Type"].startswith("text/html")
    assert answer.headers["WWW-Authenticate"] == 'Basic realm="Provide an apiKey and secretKey"'
    missing = requests.get(practice.url + "v3/REST/contact", timeout=5)
    assert missing.status_code == 401


def test_unknown_paths_get_html_404(practice: Practice) -> None:
    for path in ("v3/REST/nosuchthing", "V3/REST/contact", "v3.1/REST/contact", "v3/REST"):
        answer = practice.call("GET", path)
        assert answer.status_code == 404, path
        assert answer.headers["Content-Type"].startswith("text/html")


def test_contact_crud_and_status_codes(practice: Practice) -> None:
    created = practice.rest("POST", "contact", json={"Email": "ann@example.org", "Name": "Ann"})
    assert created.status_code == 201
    row = _data(created)[0]
    for name in ("ID", "Email", "Name", "CreatedAt", "DeliveredCount", "IsExcludedFromCampaigns"):
        assert name in row
    assert row["CreatedAt"].endswith("Z")
    by_email = practice.rest("GET", "contact/ann%40example.org")
    assert by_email.status_code == 200
    assert _data(by_email)[0]["ID"] == row["ID"]
    changed = practice.rest("PUT", f"contact/{row['ID']}", json={"name": "Ann B"})
    assert changed.status_code == 200
    assert _data(changed)[0]["Name"] == "Ann B"
    assert practice.rest("PUT", f"contact/{row['ID']}", json={"Name": "Ann B"}).status_code == 304


def test_duplicate_contact_is_400_mj18(practice: Practice) -> None:
    _contact(practice, "dup@example.org")
    answer = practice.rest("POST", "contact", json={"Email": "DUP@example.org"})
    assert answer.status_code == 400
    body = answer.json()
    assert set(body) == {"ErrorInfo", "ErrorMessage", "StatusCode"}
    assert body["StatusCode"] == 400
    assert body["ErrorMessage"].startswith("MJ18 ")


def test_missing_object_is_json_404(practice: Practice) -> None:
    answer = practice.rest("GET", "contact/999999")
    assert answer.status_code == 404
    assert answer.json() == {"ErrorInfo": "", "ErrorMessage": "Object not found", "StatusCode": 404}


def test_v3_contact_delete_is_401_operation_not_allowed(practice: Practice) -> None:
    contact_id = _contact(practice, "keep@example.org")
    answer = practice.rest("DELETE", f"contact/{contact_id}")
    assert answer.status_code == 401
    assert answer.json()["ErrorMessage"] == "Operation not allowed"


def test_method_not_allowed_is_405(practice: Practice) -> None:
    answer = practice.rest("DELETE", "contact")
    assert answer.status_code == 405
    assert answer.json()["ErrorMessage"] == "Method not allowed"


def test_invalid_json_is_400(practice: Practice) -> None:
    answer = practice.rest(
        "POST", "contact", data=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json()["ErrorMessage"].startswith("Invalid json input")


def test_paging_limit_offset_sort_count_only(practice: Practice) -> None:
    account = practice.sandbox.account(practice.key)
    for number in range(1205):
        new_contact(account, f"p{number:04d}@example.org", "", "2024-01-01T00:00:00Z")
    assert len(_data(practice.rest("GET", "contact"))) == 10  # default Limit
    assert len(_data(practice.rest("GET", "contact", params={"Limit": 5000}))) == 1000
    last = _data(practice.rest("GET", "contact", params={"limit": 1000, "offset": 1000}))
    assert len(last) == 205
    first = _data(practice.rest("GET", "contact", params={"Sort": "Email DESC", "Limit": 1}))
    assert first[0]["Email"] == "p1204@example.org"
    counted = practice.rest("GET", "contact", params={"countOnly": "1"}).json()
    assert counted["Total"] == 1205
    assert counted["Data"] == []


def test_sub_accounts_have_their_own_data(practice: Practice) -> None:
    _contact(practice, "main@example.org")
    sub = requests.get(
        practice.url + "v3/REST/contact", auth=(practice.sub_key, practice.sub_secret), timeout=5
    )
    assert sub.status_code == 200
    assert sub.json()["Total"] == 0


def test_properties_and_contactdata_merge_unset_and_types(practice: Practice) -> None:
    contact_id = _contact(practice, "prop@example.org")
    meta = practice.rest("POST", "contactmetadata", json={"Name": "city", "Datatype": "str"})
    assert meta.status_code == 201
    practice.rest("POST", "contactmetadata", json={"name": "age", "datatype": "int"})
    again = practice.rest("POST", "contactmetadata", json={"Name": "city", "Datatype": "str"})
    assert again.status_code == 400
    put = practice.rest(
        "PUT",
        f"contactdata/{contact_id}",
        json={"Data": [{"Name": "city", "Value": "York"}, {"Name": "age", "Value": "42"}]},
    )
    assert put.status_code == 200
    data = _data(put)[0]
    assert data["ContactID"] == data["ID"] == contact_id
    assert {"Name": "age", "Value": 42} in data["Data"]
    unset = practice.rest(
        "PUT", f"contactdata/{contact_id}", json={"Data": [{"Name": "city", "Value": None}]}
    )
    assert _data(unset)[0]["Data"] == [{"Name": "age", "Value": 42}]
    wrong = practice.rest(
        "PUT",
        f"contactdata/{contact_id}",
        json={"Data": [{"Name": "age", "Value": "old"}, {"Name": "nope", "Value": 1}]},
    )
    assert wrong.status_code == 400
    assert wrong.json()["ErrorMessage"] == "Object properties invalid"
    assert wrong.json()["ErrorInfo"] == {
        "Properties": [
            {"age": "Property type does not match definition"},
            {"nope": "Property not defined"},
        ]
    }


def _state(practice: Practice, contact_id: int, list_id: int) -> bool | None:
    rows = _data(
        practice.rest(
            "GET", "listrecipient", params={"Contact": contact_id, "ContactsList": list_id}
        )
    )
    if not rows:
        return None
    unsubscribed: bool = rows[0]["IsUnsubscribed"]
    assert bool(rows[0]["UnsubscribedAt"]) == unsubscribed
    return unsubscribed


def _act(practice: Practice, contact_id: int, list_id: int, action: str) -> None:
    answer = practice.rest(
        "POST",
        f"contact/{contact_id}/managecontactslists",
        json={"ContactsLists": [{"ListID": list_id, "Action": action}]},
    )
    assert answer.status_code == 201, answer.text
    assert _data(answer)[0] == {"ContactsLists": [{"ListID": list_id, "Action": action}]}


def test_the_four_list_actions_exactly(practice: Practice) -> None:
    contact_id = _contact(practice, "sub@example.org")
    list_id = _list(practice, "Newsletter")
    _act(practice, contact_id, list_id, "addnoforce")
    assert _state(practice, contact_id, list_id) is False
    _act(practice, contact_id, list_id, "unsub")
    assert _state(practice, contact_id, list_id) is True
    _act(practice, contact_id, list_id, "addnoforce")
    assert _state(practice, contact_id, list_id) is True  # never re-subscribes
    _act(practice, contact_id, list_id, "addforce")
    assert _state(practice, contact_id, list_id) is False  # does re-subscribe
    _act(practice, contact_id, list_id, "remove")
    assert _state(practice, contact_id, list_id) is None


def test_list_actions_through_managecontact(practice: Practice) -> None:
    list_id = _list(practice, "Events")
    path = f"contactslist/{list_id}/managecontact"
    made = practice.rest("POST", path, json={"Email": "new@example.org", "Action": "addnoforce"})
    assert made.status_code == 201
    row = _data(made)[0]
    assert set(row) == {"ContactID", "Email", "Action", "Name", "Properties"}
    practice.rest("POST", path, json={"Email": "new@example.org", "Action": "unsub"})
    practice.rest("POST", path, json={"Email": "new@example.org", "Action": "addnoforce"})
    assert _state(practice, row["ContactID"], list_id) is True
    listed = _data(practice.rest("GET", f"contactslist/{list_id}"))[0]
    assert listed["SubscriberCount"] == 0
    assert listed["Address"].endswith("@lists.mailjet.com")
    bad = practice.rest(
        "POST", path, json={"Email": "x@example.org", "Action": "addforce", "Properties": {"p": 1}}
    )
    assert bad.status_code == 400
    assert bad.json()["ErrorInfo"] == {"Properties": [{"p": "Property not defined"}]}


def test_managecontactslists_errors_are_objects(practice: Practice) -> None:
    contact_id = _contact(practice, "err@example.org")
    list_id = _list(practice, "L")
    answer = practice.rest(
        "POST",
        f"contact/{contact_id}/managecontactslists",
        json={"ContactsLists": [{"ListID": 987654, "Action": "addnoforce"}, {"ListID": list_id}]},
    )
    assert answer.status_code == 400
    errors = answer.json()["ErrorMessage"]["ContactsLists"]
    assert [e["Error"] for e in errors] == [
        "listID missing or not valid",
        "action missing or not valid",
    ]
    unknown = practice.rest(
        "POST",
        "contact/nobody%40example.org/managecontactslists",
        json={"ContactsLists": [{"ListID": list_id, "Action": "addnoforce"}]},
    )
    assert unknown.status_code == 404


def test_listrecipient_put_keeps_unsubscribed_at_in_step(practice: Practice) -> None:
    contact_id = _contact(practice, "lr@example.org")
    list_id = _list(practice, "LR")
    made = practice.rest(
        "POST", "listrecipient", json={"ContactALT": "lr@example.org", "ListID": list_id}
    )
    assert made.status_code == 201
    link = _data(made)[0]
    assert link["ListName"] == "LR"
    twice = practice.rest(
        "POST", "listrecipient", json={"ContactID": contact_id, "ListID": list_id}
    )
    assert twice.status_code == 400
    unsub = practice.rest("PUT", f"listrecipient/{link['ID']}", json={"IsUnsubscribed": "true"})
    assert _data(unsub)[0]["UnsubscribedAt"] != ""
    assert (
        practice.rest(
            "PUT", f"listrecipient/{link['ID']}", json={"IsUnsubscribed": True}
        ).status_code
        == 304
    )
    back = practice.rest("PUT", f"listrecipient/{link['ID']}", json={"IsUnsubscribed": False})
    assert _data(back)[0]["UnsubscribedAt"] == ""
    lists = _data(practice.rest("GET", f"contact/{contact_id}/getcontactslists"))
    assert lists == [
        {
            "ListID": list_id,
            "IsActive": True,
            "IsUnsub": False,
            "SubscribedAt": link["SubscribedAt"],
        }
    ]
    assert practice.rest("DELETE", f"listrecipient/{link['ID']}").status_code == 204


def test_list_crud(practice: Practice) -> None:
    list_id = _list(practice, "Crud")
    assert practice.rest("POST", "contactslist", json={"Name": "Crud"}).status_code == 400
    assert _data(practice.rest("GET", "contactslist", params={"Name": "Crud"}))[0]["ID"] == list_id
    assert practice.rest("PUT", f"contactslist/{list_id}", json={"Name": "Crud"}).status_code == 304
    assert practice.rest("DELETE", f"contactslist/{list_id}").status_code == 204
    assert practice.rest("GET", "contactslist").json()["Total"] == 0


def test_gdpr_delete_anonymises_and_frees_the_address(practice: Practice) -> None:
    contact_id = _contact(practice, "gone@example.org", "Gone")
    list_id = _list(practice, "G")
    _act(practice, contact_id, list_id, "addnoforce")
    answer = practice.call("DELETE", f"v4/contacts/{contact_id}")
    assert answer.status_code == 200
    account = practice.sandbox.account(practice.key)
    contact = account.contacts[contact_id]
    assert contact.name == "Anonymized"
    assert contact.email.endswith("@domain.invalid")
    assert _state(practice, contact_id, list_id) is None
    assert practice.rest("GET", "contact/gone%40example.org").status_code == 404
    assert _contact(practice, "gone@example.org") != contact_id


@pytest.mark.parametrize("value", ["true", "True", "1"])
def test_boolean_filters_accept_mailjet_spellings(practice: Practice, value: str) -> None:
    practice.rest(
        "POST", "contact", json={"Email": "x@example.org", "IsExcludedFromCampaigns": True}
    )
    practice.rest("POST", "contact", json={"Email": "y@example.org"})
    rows = _data(practice.rest("GET", "contact", params={"IsExcludedFromCampaigns": value}))
    assert [row["Email"] for row in rows] == ["x@example.org"]


def test_stop_joins_every_thread_even_with_keep_alive_connections() -> None:
    before = set(threading.enumerate())
    sandbox = Sandbox().start()
    key, secret = sandbox.add_account("Solo")
    with requests.Session() as session:
        assert session.get(sandbox.url + "v3/REST/user", auth=(key, secret), timeout=5).ok
        sandbox.stop()  # the session still holds its keep-alive connection open
        assert set(threading.enumerate()) <= before
