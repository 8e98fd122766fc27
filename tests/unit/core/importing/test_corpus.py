"""Every real-world file of the shared corpus through reader, mapper and cleaner: no crash.

A clean `ImportFileError` (a password, an unreadable old format) is a pass; anything else
escaping is a bug. Skipped when the shared corpus is not present.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mjdesk.core.importing import errors
from mjdesk.core.importing.cleaning import clean_table
from mjdesk.core.importing.mapping import Role, guess_mapping
from mjdesk.core.importing.readers import read_table
from mjdesk.core.importing.validation import address_problem

from support.corpus import CORPUS, SPREADSHEETS

needs_corpus = pytest.mark.skipif(not SPREADSHEETS, reason="the shared corpus is not present")


@needs_corpus
@pytest.mark.parametrize("path", SPREADSHEETS, ids=lambda p: p.name)
def test_no_file_crashes_the_importer(path: Path) -> None:
    refused: errors.ImportFileError | None = None
    try:
        table = read_table(path)
        cleaned = clean_table(table, guess_mapping(table))
    except errors.ImportFileError as exc:
        refused = exc
    if refused is not None:
        assert path.name in refused.user_message
    else:
        assert len(cleaned) == len(table)


EXPECTED = {
    "thunderbird__shiftjis_addressbook.csv": ("Primary Email", "名無しの権兵衛@host.invalid"),
    "thunderbird__utf16_addressbook.csv": ("Primary Email", "johndoe@host.invalid"),
    "ghost-members__two-columns-obscure-header.csv": ("Email Address", "jbloggs@example.com"),
    "mailjet-python__contactslist_data.csv": ("address", "bob@mywebsite.com"),
    "chatwoot__invalid_contacts.csv": ("email", "cuzzell0@mozilla.org"),
}


@needs_corpus
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_contact_exports_map_their_address_column(name: str) -> None:
    table = read_table(CORPUS / "spreadsheets" / name)
    header, first = EXPECTED[name]
    mapping = guess_mapping(table)
    assert mapping.header_for(Role.EMAIL) == header
    assert table.column(header)[0] == first


@needs_corpus
def test_corpus_specifics() -> None:
    sheets = CORPUS / "spreadsheets"
    chatwoot = clean_table(*_mapped(sheets / "chatwoot__invalid_contacts.csv"))
    assert chatwoot.duplicates  # row 3 repeats row 1
    first_repeat = min(chatwoot.duplicates)
    assert chatwoot.row(first_repeat).duplicate_of_row == 2
    italian = read_table(sheets / "frictionless__issue-1232.csv")
    assert italian.column("comune")[0] == "030151360"
    accents = read_table(sheets / "frictionless__table-with-accents.csv")
    assert "Année" in accents.headers
    assert accents.source.delimiter == ";"
    xls = read_table(sheets / "xlrd__corrupted_error.xls")
    assert xls.source.header_row == 4
    with pytest.raises(errors.PasswordProtectedError):
        read_table(sheets / "calamine__pass_protected.xlsx")
    with pytest.raises(errors.PasswordProtectedError):
        read_table(sheets / "messytables__encrypted_no_password.xls")
    with pytest.raises(errors.PasswordProtectedError):
        read_table(sheets / "calamine__pass_protected.ods")
    with pytest.raises(errors.EmptyFileError):
        read_table(sheets / "python-calamine__empty_file.xlsx")
    header_row = read_table(sheets / "calamine__header-row.xlsx")
    assert header_row.source.header_row == 9


def _mapped(path: Path):  # type: ignore[no-untyped-def]
    table = read_table(path)
    return table, guess_mapping(table)


ADDRESS_SETS = CORPUS / "addresses"


@pytest.mark.skipif(not ADDRESS_SETS.is_dir(), reason="the shared corpus is not present")
def test_json_schema_email_cases_agree() -> None:
    disagreements = []
    for name in ("json-schema-test-suite__email.json", "json-schema-test-suite__idn-email.json"):
        for group in json.loads((ADDRESS_SETS / name).read_text(encoding="utf-8")):
            for case in group["tests"]:
                if not isinstance(case["data"], str):
                    continue
                ours = address_problem(case["data"]) is None
                if ours != case["valid"]:
                    disagreements.append((case["data"], case["valid"]))
    # Deliberate differences: quoted local parts, IP-literal domains and control or
    # non-characters (U+0085, U+FFFF) are valid by the RFCs but refused for a mailing list
    # (email-validator's defaults), as are special-use names.
    allowed = {
        data
        for data, valid in disagreements
        if valid and ('"' in data or "[" in data or "\x85" in data or "\uffff" in data)
    }
    assert [d for d in disagreements if d[0] not in allowed] == []
