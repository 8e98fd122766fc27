"""Merge-field coverage, worst-case recipients and recipient data over a real workspace."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mjdesk.core.contacts import NewContact, add_contacts
from mjdesk.core.preview.coverage import merge_coverage
from mjdesk.core.preview.recipients import DataSource, local_list_of, recipient_data
from mjdesk.core.preview.renderer import Part, Template
from mjdesk.core.preview.worst_case import worst_cases
from mjdesk.core.workspace import Workspace

MAILJET_LIST = 4411


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    """Six members of a list linked to Mailjet: two pulled (Mailjet's properties are theirs),
    the others known only here; one unsubscribed, one a member of another list only."""
    workspace = Workspace.open(tmp_path / "ws.sqlite3")
    people = [
        NewContact("ann@x.org", "Ann", "Able"),  # 1: pulled, Mailjet has her first name
        NewContact("bob@x.org", "Bob", "Brown"),  # 2: pulled, Mailjet has no first name
        NewContact("cy@x.org", "", "", {"Dept": "Law"}),  # 3: no name here
        NewContact("dana@x.org", "Maximiliana-Theodora", "Featherstonehaugh-Wolfeschlegel"),
        NewContact("eli@x.org", "إيلي", "حداد"),  # 5: right-to-left
        NewContact("fei@x.org", "飞", "王"),  # 6: non-Latin
        NewContact("gus@x.org", "Gus", "Gone"),  # 7: unsubscribed
        NewContact("hal@x.org", "Hal", "Elsewhere"),  # 8: another list
    ]
    with workspace.transaction() as con:
        add_contacts(con, people, actor="t")
        con.execute(
            "INSERT INTO lists (id, name, mailjet_id, created_at) VALUES "
            "(1, 'News', ?, 'n'), (2, 'Other', NULL, 'n')",
            (MAILJET_LIST,),
        )
        con.executemany(
            "INSERT INTO memberships (contact_id, list_id, status, added_at) VALUES (?, ?, ?, 'n')",
            [(n, 1, "subscribed") for n in range(1, 7)]
            + [(7, 1, "unsubscribed"), (8, 2, "subscribed")],
        )
        con.execute("INSERT INTO property_types (name, datatype) VALUES ('Dept', 'str')")
        for mailjet_id, email, props in (
            (901, "ann@x.org", {"FirstName": "Annie", "dept": "History"}),
            (902, "bob@x.org", {"FirstName": "", "dept": None}),
        ):
            con.execute(
                "INSERT INTO mailjet_contacts (mailjet_id, email_key, email, properties, "
                "pulled_at) VALUES (?, ?, ?, ?, 'n')",
                (mailjet_id, email, email, json.dumps(props)),
            )
    yield workspace
    workspace.close()


FIELDS = Template(
    '[[data:firstname:"friend"]] {{data:DEPT}} {{var:date:"soon"}} [[data:firstname:"friend"]]',
    Part.HTML,
).fields


def test_coverage_counts_gaps_and_defaults_and_names_who(ws: Workspace) -> None:
    with ws.reading() as con:
        assert local_list_of(con, MAILJET_LIST) == 1
        coverage = merge_coverage(con, 1, FIELDS)
    assert coverage.recipients == 6
    first, dept, date = coverage.fields
    # Ann's first name is Mailjet's; Bob's is empty in Mailjet (his name here does not count);
    # Cy has none; the rest have theirs here (not yet in Mailjet)
    assert (first.label, first.defaulted, first.empty, first.defaulted_ids) == (
        'data:firstname:"friend"',
        2,
        0,
        (2, 3),
    )
    assert (dept.defaulted, dept.empty, dept.empty_ids, dept.own_value) == (0, 4, (2, 4, 5, 6), 2)
    assert (date.namespace, date.defaulted, date.own_value) == ("var", 6, 0)


def test_coverage_caps_who_but_not_the_counts(ws: Workspace) -> None:
    with ws.reading() as con:
        coverage = merge_coverage(con, 1, FIELDS, cap=1)
    assert coverage.fields[1].empty == 4
    assert coverage.fields[1].empty_ids == (2,)


def test_recipient_data_is_mailjets_when_pulled_else_the_workspace(ws: Workspace) -> None:
    with ws.reading() as con:
        ann, cy, dana = (recipient_data(con, n) for n in (1, 3, 4))
        assert recipient_data(con, 999) is None
    assert ann is not None
    assert ann.source is DataSource.MAILJET
    assert ann.properties == {"FirstName": "Annie", "dept": "History"}
    assert cy is not None
    assert cy.source is DataSource.WORKSPACE
    assert cy.properties == {"Dept": "Law", "firstname": "", "lastname": "", "name": ""}
    assert dana is not None
    assert dana.properties["name"] == "Maximiliana-Theodora Featherstonehaugh-Wolfeschlegel"


def test_worst_cases_each_with_a_reason(ws: Workspace) -> None:
    with ws.reading() as con:
        picked = worst_cases(con, 1, FIELDS)
    assert [(w.contact_id, w.reason) for w in picked] == [
        (2, 'has no value for data:firstname, so gets the default "friend"'),
        (4, "has the longest name"),
        (3, "has no name at all"),
        (5, "has a right-to-left name"),
        (6, "has a non-Latin name"),
    ]


def test_worst_cases_without_a_list_look_at_everyone(ws: Workspace) -> None:
    with ws.reading() as con:
        picked = worst_cases(con, None)
    assert [w.reason for w in picked][:2] == ["has the longest name", "has no name at all"]


def test_an_address_mailjet_holds_twice_is_one_recipient(ws: Workspace) -> None:
    with ws.transaction() as con:
        con.execute(
            "INSERT INTO mailjet_contacts (mailjet_id, email_key, email, properties, pulled_at) "
            "VALUES (903, 'ann@x.org', 'Ann@x.org', '{\"firstname\": \"Newer\"}', 'n')"
        )
    with ws.reading() as con:
        coverage = merge_coverage(con, 1, FIELDS)
        ann = recipient_data(con, 1)
    assert coverage.recipients == 6
    assert ann is not None
    assert ann.properties == {"firstname": "Newer"}
