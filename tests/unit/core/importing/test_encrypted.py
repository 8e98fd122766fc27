"""Workbooks encrypted with a password: opened in memory with it, refused clearly without
it, and the password kept out of every message."""

from __future__ import annotations

import tempfile
import traceback
from pathlib import Path

import pytest
from data.make_import_corpus import write_ods

from mjdesk.core.importing import errors, sheets
from mjdesk.core.importing.readers import file_sha256, list_sheets, read_table

from support.corpus import CORPUS
from support.encrypted import encrypted_xlsx

ROWS = [["Email", "First name"], ["ann@example.org", "Ann"], ["bob@example.org", "Bob"]]
SECRET = "s3cret-Pa55"


@pytest.fixture
def locked(tmp_path: Path) -> Path:
    return encrypted_xlsx(tmp_path / "members.xlsx", ROWS, SECRET)


def test_the_right_password_opens_the_workbook(locked: Path) -> None:
    assert [s.name for s in list_sheets(locked, password=SECRET)] == ["Members"]
    table = read_table(locked, password=SECRET)
    assert table.headers == ["Email", "First name"]
    assert table.row(1) == ["bob@example.org", "Bob"]
    assert table.source.sheet == "Members"
    # the ledger's proof is the file on disk: the encrypted bytes
    assert table.source.sha256 == file_sha256(locked)
    assert table.source.size == locked.stat().st_size


def test_without_a_password_it_asks_for_one(locked: Path) -> None:
    for read in (list_sheets, read_table):
        with pytest.raises(errors.PasswordProtectedError) as caught:
            read(locked)
        assert caught.value.password_helps
        assert not isinstance(caught.value, errors.WrongPasswordError)


def test_a_wrong_password_says_so_and_is_never_repeated(locked: Path) -> None:
    wrong = "not-the-Pa55word"
    for read in (list_sheets, read_table):
        with pytest.raises(errors.WrongPasswordError) as caught:
            read(locked, password=wrong)
        exc = caught.value
        assert "password does not open members.xlsx" in exc.user_message
        shown = "".join(traceback.format_exception(exc)) + repr(exc) + str(exc)
        assert wrong not in shown
        assert exc.__cause__ is None
        assert exc.__suppress_context__


def test_nothing_decrypted_touches_the_disk(
    locked: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a temporary file was made")

    for name in ("TemporaryFile", "NamedTemporaryFile", "mkstemp", "SpooledTemporaryFile"):
        monkeypatch.setattr(tempfile, name, refuse)
    before = sorted(tmp_path.rglob("*"))
    read_table(locked, password=SECRET)
    legacy = CORPUS / "spreadsheets" / "messytables__encrypted_no_password.xls"
    if legacy.exists():  # the .xls decryption is the one that made a temporary copy
        table = read_table(legacy, password="VelvetSweatshop")
        assert table.headers == ["date", "temperature", "place"]
    assert sorted(tmp_path.rglob("*")) == before


def test_an_encrypted_xls_opens_with_its_password() -> None:
    legacy = CORPUS / "spreadsheets" / "messytables__encrypted_no_password.xls"
    if not legacy.exists():
        pytest.skip("the shared corpus is not here")
    with pytest.raises(errors.PasswordProtectedError):
        list_sheets(legacy)
    assert [s.name for s in list_sheets(legacy, password="VelvetSweatshop")] == ["simple.csv"]
    with pytest.raises(errors.WrongPasswordError):
        read_table(legacy, password="velvet")


def test_the_size_checks_read_the_decrypted_workbook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_text = [["Email", "Notes"], ["ann@example.org", "x" * 5000]]
    locked = encrypted_xlsx(tmp_path / "long.xlsx", long_text, SECRET)
    monkeypatch.setattr(sheets, "MAX_TEXT_BYTES", 4000)
    monkeypatch.setattr(sheets, "_CHUNK", 1024)  # a run is measured across chunks
    with pytest.raises(errors.SheetTooLargeError):
        read_table(locked, password=SECRET)
    monkeypatch.undo()
    # a cell in column AA makes the check measure the sheet's extent: 3 rows x 27 columns
    far = [[*row, *[""] * 25, "far"] for row in ROWS]
    wide = encrypted_xlsx(tmp_path / "wide.xlsx", far, SECRET)
    monkeypatch.setattr(sheets, "MAX_CELLS", 80)
    with pytest.raises(errors.SheetTooLargeError):
        list_sheets(wide, password=SECRET)


def test_an_encrypted_ods_is_refused_even_with_a_password(tmp_path: Path) -> None:
    path = write_ods(tmp_path / "x.ods", [], encrypted=True)
    with pytest.raises(errors.PasswordProtectedError) as caught:
        read_table(path, password=SECRET)
    assert not caught.value.password_helps
    assert "OpenDocument" in caught.value.user_message
    assert "without a password" in caught.value.user_message
