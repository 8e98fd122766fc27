"""Sandbox conformance for bulk jobs and the CSV flow (mailjet-api.md §5), with plain requests."""

from __future__ import annotations

import pytest

from support.sandbox_fixtures import Practice


def _list(practice: Practice) -> int:
    list_id: int = practice.rest("POST", "contactslist", json={"Name": "L"}).json()["Data"][0]["ID"]
    return list_id


def test_managemanycontacts_returns_201_job_id_and_moves_through_states(practice: Practice) -> None:
    list_id = _list(practice)
    practice.sandbox.store.options.job_seconds = 10
    started = practice.rest(
        "POST",
        f"contactslist/{list_id}/ManageManyContacts",
        json={"Action": "addnoforce", "Contacts": [{"Email": "a@example.org"}]},
    )
    assert started.status_code == 201
    body = started.json()
    assert body["Count"] == body["Total"] == 1
    assert set(body["Data"][0]) == {"JobID"}
    job = body["Data"][0]["JobID"]
    statuses = []
    for _ in range(3):
        row = practice.rest("GET", f"contactslist/{list_id}/managemanycontacts/{job}").json()
        practice.sandbox.store.advance(5)
        statuses.append(row["Data"][0]["Status"])
        assert set(row["Data"][0]) == {
            "Status",
            "JobStart",
            "JobEnd",
            "Count",
            "Error",
            "ErrorFile",
        }
    assert statuses == ["Allocated", "Importing", "Completed"]
    assert practice.rest("GET", "contact/managemanycontacts/999").status_code == 404


def test_contact_managemanycontacts_checks_its_lists(practice: Practice) -> None:
    bad = practice.rest(
        "POST",
        "contact/managemanycontacts",
        json={
            "Contacts": [{"Email": "a@example.org"}],
            "ContactsLists": [{"ListID": 5, "Action": "x"}],
        },
    )
    assert bad.status_code == 400


def test_csvdata_needs_text_plain_and_answers_bare_id(practice: Practice) -> None:
    list_id = _list(practice)
    path = f"v3/DATA/contactslist/{list_id}/CSVData/text:plain"
    wrong = practice.call("POST", path, data=b"email\n", headers={"Content-Type": "text/csv"})
    assert wrong.status_code == 400
    good = practice.call(
        "POST", path, data=b"email\na@b.org\n", headers={"Content-Type": "text/plain"}
    )
    assert good.status_code == 200
    assert set(good.json()) == {"ID"}
    no_list = practice.call(
        "POST",
        "v3/DATA/contactslist/CSVData/text:plain",
        data=b"x",
        headers={"Content-Type": "text/plain"},
    )
    assert no_list.status_code == 400
    assert "does not match URL content type" in no_list.json()["ErrorMessage"]


@pytest.mark.parametrize("method", ["addforce", "bogus"])
def test_csvimport_checks_method(practice: Practice, method: str) -> None:
    list_id = _list(practice)
    practice.sandbox.store.options.job_seconds = 10
    data = practice.call(
        "POST",
        f"v3/DATA/contactslist/{list_id}/CSVData/text:plain",
        data=b"email\na@b.org\n",
        headers={"Content-Type": "text/plain"},
    ).json()["ID"]
    answer = practice.rest(
        "POST", "csvimport", json={"ContactsListID": list_id, "DataID": data, "Method": method}
    )
    if method == "bogus":
        assert answer.status_code == 400
        return
    assert answer.status_code == 201
    row = answer.json()["Data"][0]
    for name in (
        "ID",
        "ContactsListID",
        "DataID",
        "Method",
        "Status",
        "Count",
        "Current",
        "Errcount",
        "ErrTreshold",
        "JobStart",
        "JobEnd",
        "RequestAt",
        "AliveAt",
    ):
        assert name in row
    assert row["Status"] == "Upload"
    seen: list[str] = []
    for _ in range(3):
        practice.sandbox.store.advance(1.5 if not seen else 5)
        seen.append(practice.rest("GET", f"csvimport/{row['ID']}").json()["Data"][0]["Status"])
    assert seen == ["Prepare", "Importing", "Completed"]
    errors = practice.call("GET", f"v3/DATA/BatchJob/{row['ID']}/CSVError/text:csv")
    assert errors.status_code == 200
    assert errors.text.splitlines() == ["email,error"]
