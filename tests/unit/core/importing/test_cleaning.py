"""Cleaning rows: normalised addresses, syntax, typo domains, role addresses, duplicates."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from data.make_import_corpus import make_table
from hypothesis import given, settings
from hypothesis import strategies as st

from mjdesk.core.addresses import email_key
from mjdesk.core.importing import validation
from mjdesk.core.importing.cleaning import clean_table, split_full_name
from mjdesk.core.importing.consent_values import ConsentMode, ConsentSpec, ConsentState
from mjdesk.core.importing.dates import DateOrder
from mjdesk.core.importing.mapping import guess_mapping
from mjdesk.core.importing.validation import (
    _CLEARLY_VALID,
    POPULAR_DOMAINS,
    DomainAdvisor,
    _short_in_utf8,
    address_problem,
    check_addresses,
    is_clearly_valid,
    is_role_address,
    normalise_address,
    normalise_column,
    role_addresses,
)


@pytest.mark.parametrize(
    "address",
    [
        "ann@example.org",
        "Ann.O'Brien+news@Example.co.uk",
        "伊昭傑@郵件.商務",
        "user@café.com",
        "zoë@example.org",
        "a@xn--caf-dma.com",
    ],
)
def test_valid_addresses(address: str) -> None:
    assert address_problem(normalise_address(address)) is None


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("", "empty"),
        ("ann.example.org", "no @"),
        ("ann @example.org", "space"),
        ("a@example.org, b@example.org", "more than one address"),
        ("a@@example.org", "more than one @"),
        ("@example.org", "nothing before"),
        ("ann@", "nothing after"),
        ("a..b@example.org", "two periods"),
        ("x@host.invalid", "special-use"),
        ("ann@localhost", "period"),
        ("ann@example.123", "top-level"),
        ('"Winston Smith" <winston@example.org>', ""),
    ],
)
def test_invalid_addresses_say_why(address: str, reason: str) -> None:
    problem = address_problem(address)
    assert problem is not None
    assert reason.casefold() in problem.casefold()


def test_normalise_keeps_local_case_and_lowers_domain() -> None:
    assert normalise_address("  mailto:Ann@Example.ORG ") == "Ann@example.org"
    assert normalise_address("<bob@x.org>") == "bob@x.org"
    assert normalise_address("zo\u0065\u0308@x.org") == "zo\u00eb@x.org"


_LOCAL = st.text(
    alphabet=st.sampled_from("aZ09.-_+'!#éłß名²½١@ \"\\\u0301\u00ad"), min_size=0, max_size=70
)
_DOMAIN = st.text(alphabet=st.sampled_from("ab9.-é"), min_size=0, max_size=12)
_TLD = st.sampled_from(["com", "org", "c", "test", "invalid", "123", "co.uk", "x-y", ""])


@settings(max_examples=400, deadline=None)
@given(_LOCAL, _DOMAIN, _TLD)
def test_fast_path_never_accepts_what_email_validator_refuses(
    local: str, domain: str, tld: str
) -> None:
    from email_validator import EmailNotValidError, validate_email

    address = f"{local}@{domain}.{tld}" if tld else f"{local}@{domain}"
    if is_clearly_valid(address):
        try:
            validate_email(address, check_deliverability=False)
        except EmailNotValidError as exc:  # pragma: no cover - a failure to report
            pytest.fail(f"fast path accepted {address!r}: {exc}")
    # And the batch check agrees with the one-by-one check.
    assert (0 in check_addresses([address])) == (address_problem(address) is not None)


_CELL = st.lists(
    st.sampled_from(
        [
            "a",
            "Z",
            "é",
            "E\u0301",
            "١",
            "²",
            "@",
            ".",
            "-",
            "--",
            " ",
            "\t",
            "<",
            ">",
            "mailto:",
            "MailTo:",
            "İ",
            "ß",
            "x" * 30,
            "_",
            "+",
            '"',
            "\n",
            "Ä",
            "ex",
            "co",
            "uk",
            "test",
        ]
    ),
    max_size=12,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(_CELL, max_size=8))
def test_the_column_pass_normalises_exactly_as_one_by_one(cells: list[str]) -> None:
    column = normalise_column(cells)
    assert column.emails == [normalise_address(c) if c else "" for c in cells]
    for email, local, domain in zip(*column, strict=True):
        assert (local, domain) == (email.rpartition("@")[0], email.rpartition("@")[2])


def _reference_fast_pass(address: str) -> bool:
    """The one-pattern fast pass the column pass replaced, kept as its oracle."""
    if _CLEARLY_VALID.fullmatch(address) is None:
        return False
    return address.isascii() or _short_in_utf8(address)


@settings(max_examples=500, deadline=None)
@given(_LOCAL, _DOMAIN, _TLD)
def test_the_column_pass_accepts_what_the_one_pattern_accepted(
    local: str, domain: str, tld: str
) -> None:
    address = f"{local}@{domain}.{tld}" if tld else f"{local}@{domain}"
    if _reference_fast_pass(address):
        assert is_clearly_valid(address)
    elif is_clearly_valid(address):  # only for digits of other scripts before the @
        assert re.search(r"(?![0-9])\d", address.rpartition("@")[0])


@pytest.mark.parametrize(
    "address",
    [
        "a" * 65 + "@example.org",
        "a@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + "." + "e" * 70 + ".com",
        "zoë" * 22 + "@example.org",
        "a@ab--c.org",
        "a@xn--caf-dma.com",
        "a@b.test",
    ],
)
def test_limits_the_fast_pass_must_keep(address: str) -> None:
    assert is_clearly_valid(address) == _reference_fast_pass(address)


def test_digits_of_other_scripts_are_valid_before_the_at() -> None:
    assert is_clearly_valid("a١@example.org")
    assert address_problem("a١@example.org") is None


def test_typo_domains_for_providers_and_the_organisation() -> None:
    advisor = DomainAdvisor(["york.ac.uk"])
    assert advisor.suggest("gmial.com") == "gmail.com"
    assert advisor.suggest("hotmial.com") == "hotmail.com"
    assert advisor.suggest("yaho.com") == "yahoo.com"
    assert advisor.suggest("gmail.con") == "gmail.com"
    assert advisor.suggest("yrok.ac.uk") == "york.ac.uk"
    assert advisor.suggest("cs.yrok.ac.uk") == "cs.york.ac.uk"
    assert advisor.suggest("cs.york.ac.uk") is None
    assert advisor.suggest("gmail.com") is None
    assert advisor.suggest("example.org") is None


def test_role_addresses() -> None:
    assert is_role_address("info@example.org")
    assert is_role_address("No-Reply+x@example.org")
    assert not is_role_address("ann@example.org")
    assert not is_role_address("info")
    assert not is_role_address("info@a@example.org")
    column = ["ann@x.org", "Sales@x.org", "info", "help+me@x.org", "", "office@a@b.org"]
    assert role_addresses(column) == {1, 3}


def test_split_full_name() -> None:
    assert split_full_name("Ann  Marie Smith") == ("Ann Marie", "Smith")
    assert split_full_name("Smith, Ann") == ("Ann", "Smith")
    assert split_full_name("Cher") == ("Cher", "")


def test_clean_table_flags_every_kind_of_problem() -> None:
    table = make_table(
        ["Email", "Name", "Consent", "Consent date", "Dept"],
        [" Ann@Example.org ", "Ann Smith", "yes", "13/02/2025", "History"],
        ["bob@gmial.com", "Bob Jones", "no", "", ""],
        ["not an address", "X", "yes", "", ""],
        ["ANN@example.ORG", "Ann Again", "yes", "", ""],
        ["info@york.ac.uk", "Office", "maybe", "soon", ""],
    )
    cleaned = clean_table(table, guess_mapping(table), ConsentSpec(), org_domains=("york.ac.uk",))
    assert cleaned.emails[0] == "Ann@example.org"
    assert cleaned.keys[0] == email_key(" Ann@Example.org ")
    assert set(cleaned.problems) == {2}
    assert cleaned.suggestions == {1: "bob@gmail.com"}
    assert cleaned.role_addresses == {4}
    assert cleaned.duplicates == {3: 0}
    assert cleaned.row(3).duplicate_of_row == 2
    assert cleaned.consent == [
        ConsentState.GRANTED,
        ConsentState.NOT_GIVEN,
        ConsentState.GRANTED,
        ConsentState.GRANTED,
        ConsentState.UNRECOGNISED,
    ]
    assert cleaned.unrecognised_consent == {"maybe": 1}
    assert cleaned.consent_at[0] == datetime(2025, 2, 13)
    # 'soon' holds no consent ('maybe'): nothing to hold back; ANN again, consented without a
    # date, is recorded on the day of the import, as the dry run says.
    assert cleaned.date_problems == {
        3: "No consent date here: the day of the import is recorded.",
        4: "'soon' is not a date.",
    }
    assert (cleaned.first_names[0], cleaned.last_names[0]) == ("Ann", "Smith")
    assert cleaned.row(0).properties == {"dept": "History"}


def test_consent_modes_dates_and_edits() -> None:
    table = make_table(
        ["email", "signed up"], ["a@gmial.com", "01/02/2025"], ["b@example.org", "03/04/2025"]
    )
    mapping = guess_mapping(table)
    when = datetime(2024, 5, 1)
    spec = ConsentSpec(ConsentMode.ALL_ROWS, wording="Send me news", source="Form", given_at=when)
    cleaned = clean_table(table, mapping, spec, edits={(0, "email"): "a@gmail.com"})
    assert cleaned.consent == [ConsentState.GRANTED, ConsentState.GRANTED]
    assert cleaned.suggestions == {}
    assert cleaned.emails[0] == "a@gmail.com"
    assert table.column("email")[0] == "a@gmial.com"  # the read table is left as read
    assert cleaned.consent_at == [when, when]  # "signed up" is not mapped as a date here
    dated = mapping.with_role("signed up", mapping.columns[1].role.CONSENT_DATE)
    cleaned = clean_table(table, dated, spec)
    assert cleaned.date_order is not None
    assert cleaned.date_order.ambiguous
    assert cleaned.consent_at[0] == datetime(2025, 2, 1)  # UK order until the user says
    us = ConsentSpec(ConsentMode.ALL_ROWS, wording="w", source="s", date_order=DateOrder.MDY)
    assert clean_table(table, dated, us).consent_at[0] == datetime(2025, 1, 2)
    none = clean_table(table, mapping, ConsentSpec(ConsentMode.NONE))
    assert none.consent == [ConsentState.NOT_GIVEN] * 2


@st.composite
def _misspelt(draw: st.DrawFn) -> str:
    """A provider's domain with up to two letters swapped, dropped, doubled or replaced."""
    text = list(draw(st.sampled_from(POPULAR_DOMAINS)))
    for _ in range(draw(st.integers(0, 2))):
        i = draw(st.integers(0, len(text) - 1))
        action = draw(st.sampled_from(["swap", "drop", "double", "replace"]))
        if action == "swap" and i + 1 < len(text):
            text[i], text[i + 1] = text[i + 1], text[i]
        elif action == "drop" and len(text) > 1:
            del text[i]
        elif action == "double":
            text.insert(i, text[i])
        else:
            text[i] = draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz.-"))
    return "".join(text)


@given(
    st.one_of(
        _misspelt(),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz.-", min_size=1, max_size=20),
    )
)
@settings(max_examples=400, deadline=None)
def test_typo_suggestions_are_what_comparing_with_every_provider_gives(domain: str) -> None:
    """The quick bounds (length, letters the provider lacks) only skip hopeless pairs."""
    best: tuple[int, str] | None = None
    for known in POPULAR_DOMAINS:
        limit = 1 if len(known) < 10 else 2
        distance = validation._distance(domain, known, limit)
        if distance <= limit and (best is None or distance < best[0]):
            best = (distance, known)
    expected = None if domain in POPULAR_DOMAINS or best is None else best[1]
    assert DomainAdvisor().suggest(domain) == expected


@given(
    st.lists(
        st.one_of(
            st.text(max_size=12),
            st.sampled_from(["Straße@EXAMPLE.org", "ANN@x.org", "ǅemo@x.org", "a\x00b@x.org"]),
        ),
        max_size=40,
    )
)
@settings(max_examples=200, deadline=None)
def test_keys_are_each_address_folded(emails: list[str]) -> None:
    """Keys are folded a block at a time (blocks of 3 here), also around a NUL."""
    import mjdesk.core.importing.cleaning as cleaning

    real = cleaning._FOLD_BLOCK
    cleaning._FOLD_BLOCK = 3
    try:
        assert cleaning._keys(emails) == [e.casefold() for e in emails]
    finally:
        cleaning._FOLD_BLOCK = real


def test_a_consent_date_that_is_none_or_in_the_future_holds_back_its_row() -> None:
    """The date is part of the proof: never replaced by another one without saying so."""
    table = make_table(
        ["Email", "Consent", "Consent date"],
        ["ok@example.org", "yes", "2025-01-10"],
        ["bad@example.org", "yes", "2024-13-45"],
        ["late@example.org", "yes", "2099-01-01"],
        ["none@example.org", "yes", ""],
        ["no@example.org", "no", "garbage"],
    )
    cleaned = clean_table(table, guess_mapping(table), ConsentSpec())
    assert set(cleaned.problems) == {1, 2}
    assert "'2024-13-45' is not a date" in cleaned.problems[1]
    assert "in the future" in cleaned.problems[2]
    assert "day of the import is recorded" in cleaned.date_problems[3]
    assert 4 not in cleaned.problems  # no consent to record: its date is no matter
