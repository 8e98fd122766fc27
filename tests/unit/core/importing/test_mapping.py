"""Column roles guessed from headers and content; consent words; dates and their order."""

from __future__ import annotations

from datetime import datetime

import pytest
from data.make_import_corpus import make_table

from mjdesk.core.importing import errors
from mjdesk.core.importing.consent_values import (
    ConsentMode,
    ConsentSpec,
    ConsentSpecError,
    ConsentState,
    ConsentValues,
)
from mjdesk.core.importing.dates import DateOrder, guess_date_order, parse_date
from mjdesk.core.importing.mapping import (
    ColumnMapping,
    PropertyType,
    Role,
    guess_mapping,
    infer_property_type,
    mapping_signature,
    require_email_column,
)


def roles(mapping: ColumnMapping) -> list[Role]:
    return [choice.role for choice in mapping.columns]


@pytest.mark.parametrize(
    "header",
    [
        "E-mail",
        "Email address",
        "Courriel",
        "E-Mail-Adresse",
        "email_address",
        "Primary Email",
        "Address",
        "Mail",
        "Correo electrónico",
    ],
)
def test_address_headers(header: str) -> None:
    table = make_table([header, "x"], ["ann@example.org", "1"], ["bob@example.org", "2"])
    assert guess_mapping(table).header_for(Role.EMAIL) == header


def test_languages_and_roles() -> None:
    table = make_table(
        ["Courriel", "Prénom", "Nom", "Einwilligung", "Consent date", "Abteilung"],
        ["a@example.org", "Zoé", "Dupré", "oui", "01/02/2025", "Physik"],
        ["b@example.org", "Max", "Muster", "nein", "13/02/2025", "Chemie"],
    )
    mapping = guess_mapping(table)
    assert roles(mapping) == [
        Role.EMAIL,
        Role.FIRST_NAME,
        Role.LAST_NAME,
        Role.CONSENT,
        Role.CONSENT_DATE,
        Role.PROPERTY,
    ]
    table = make_table(["Vorname", "Nachname", "E-Mail"], ["A", "B", "a@example.org"])
    assert roles(guess_mapping(table)) == [Role.FIRST_NAME, Role.LAST_NAME, Role.EMAIL]


def test_address_column_found_from_content_when_header_says_nothing() -> None:
    table = make_table(
        ["Contact", "Who"], ["ann@example.org", "Ann"], ["bob@example.org", "Bob"], ["x", "C"]
    )
    assert guess_mapping(table).header_for(Role.EMAIL) == "Contact"


def test_second_address_column_is_a_property() -> None:
    table = make_table(["Primary Email", "Secondary Email"], ["a@example.org", "b@example.org"])
    mapping = guess_mapping(table)
    assert roles(mapping) == [Role.EMAIL, Role.PROPERTY]


def test_consent_header_over_free_text_is_not_consent() -> None:
    table = make_table(["email", "Newsletter"], ["a@example.org", "Spring 2024 issue"])
    assert guess_mapping(table).header_for(Role.CONSENT) is None


def test_full_name_kept_only_without_first_and_last() -> None:
    table = make_table(["email", "Name"], ["a@example.org", "Ann Smith"])
    assert guess_mapping(table).header_for(Role.FULL_NAME) == "Name"


def test_no_address_column() -> None:
    table = make_table(["name", "city"], ["Ann", "York"])
    mapping = guess_mapping(table)
    with pytest.raises(errors.NoEmailColumnError) as caught:
        require_email_column(table, mapping)
    assert "people.csv" in caught.value.user_message
    assert "name, city" in caught.value.user_message


def test_editing_and_remembering_a_mapping() -> None:
    table = make_table(["Contact", "Who", "ID"], ["a@example.org", "Ann", "007"])
    mapping = guess_mapping(table).with_role("Who", Role.FULL_NAME)
    mapping = mapping.with_role("ID", Role.PROPERTY, property_name="student_id")
    signature = mapping_signature(table.headers)
    assert signature == mapping_signature(["id", "WHO", " contact "])
    again = guess_mapping(
        make_table(["ID", "Who", "Contact"], ["1", "B", "b@example.org"]),
        remembered={signature: mapping.to_json()},
    )
    assert roles(again) == [Role.PROPERTY, Role.FULL_NAME, Role.EMAIL]
    assert again.columns[0].property_name == "student_id"
    # Only one column may hold a single role.
    moved = mapping.with_role("Who", Role.EMAIL)
    assert roles(moved)[:2] == [Role.SKIP, Role.EMAIL]


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["1", "22", "-3"], PropertyType.INT),
        (["007", "12"], PropertyType.STR),
        (["1.5", "2"], PropertyType.FLOAT),
        (["TRUE", "false"], PropertyType.BOOL),
        (["2024-01-02", "3 March 2024"], PropertyType.DATETIME),
        (["York", "1"], PropertyType.STR),
        (["+918484848484", "+441904323000"], PropertyType.STR),  # phone numbers
        (["01904 323000", "07700 900123"], PropertyType.STR),
        (["12 500", "3"], PropertyType.STR),
        (["0.5", "1,25", "-2.5"], PropertyType.FLOAT),
        (["007.5", "1.5"], PropertyType.STR),
        (["+3", "4"], PropertyType.STR),
    ],
)
def test_property_types(values: list[str], kind: PropertyType) -> None:
    assert infer_property_type(values) is kind


@pytest.mark.parametrize(
    ("value", "state"),
    [
        ("yes", ConsentState.GRANTED),
        ("Y", ConsentState.GRANTED),
        ("TRUE", ConsentState.GRANTED),
        ("1", ConsentState.GRANTED),
        ("x", ConsentState.GRANTED),
        ("✓", ConsentState.GRANTED),
        ("I agree to receive the newsletter.", ConsentState.GRANTED),
        ("no", ConsentState.NOT_GIVEN),
        ("False", ConsentState.NOT_GIVEN),
        ("0", ConsentState.NOT_GIVEN),
        ("", ConsentState.NOT_GIVEN),
        ("  ", ConsentState.NOT_GIVEN),
        ("I do not agree", ConsentState.NOT_GIVEN),
        ("Unsubscribed", ConsentState.WITHDRAWN),
        ("maybe", ConsentState.UNRECOGNISED),
    ],
)
def test_consent_values(value: str, state: ConsentState) -> None:
    assert ConsentValues().classify(value) is state


def test_consent_values_are_editable_and_saved() -> None:
    values = ConsentValues().with_value("Maybe", ConsentState.GRANTED)
    assert values.classify("maybe") is ConsentState.GRANTED
    values = values.with_value("yes", ConsentState.NOT_GIVEN)
    assert values.classify("yes") is ConsentState.NOT_GIVEN
    assert ConsentValues.from_json(values.to_json()) == values


def test_all_rows_consent_needs_wording_and_source() -> None:
    with pytest.raises(ConsentSpecError, match="wording"):
        ConsentSpec(ConsentMode.ALL_ROWS, source="form").check()
    ConsentSpec(ConsentMode.ALL_ROWS, wording="Yes, send me news", source="form").check()


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("2025-02-01", DateOrder.DMY, datetime(2025, 2, 1)),
        ("2025-02-01T10:30:00Z", DateOrder.DMY, datetime(2025, 2, 1, 10, 30)),
        ("01/02/2025", DateOrder.DMY, datetime(2025, 2, 1)),
        ("01/02/2025", DateOrder.MDY, datetime(2025, 1, 2)),
        ("1.2.25", DateOrder.DMY, datetime(2025, 2, 1)),
        ("15/10/2017 14:03:22", DateOrder.DMY, datetime(2017, 10, 15, 14, 3, 22)),
        ("3 March 2024", DateOrder.DMY, datetime(2024, 3, 3)),
        ("Mar 3, 2024", DateOrder.DMY, datetime(2024, 3, 3)),
        ("45658", DateOrder.DMY, datetime(2025, 1, 1)),
        ("31/02/2025", DateOrder.DMY, None),
        ("soon", DateOrder.DMY, None),
    ],
)
def test_parse_date(text: str, order: DateOrder, expected: datetime | None) -> None:
    assert parse_date(text, order) == expected


def test_date_order_found_or_asked_uk_first() -> None:
    assert guess_date_order(["01/02/2025", "13/02/2025"]).order is DateOrder.DMY
    assert guess_date_order(["01/02/2025", "02/13/2025"]).order is DateOrder.MDY
    ambiguous = guess_date_order(["01/02/2025", "03/04/2025"])
    assert ambiguous.ambiguous
    assert ambiguous.choices == (DateOrder.DMY, DateOrder.MDY)
    assert not guess_date_order(["2025-01-02"]).ambiguous
