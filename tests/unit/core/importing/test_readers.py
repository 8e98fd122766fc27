"""Reading files for import: formats, encodings, delimiters, sheets, headers and bad input."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from data.make_import_corpus import Sheet, build, write_ods, write_text, write_xls, write_xlsx
from hypothesis import given, settings
from hypothesis import strategies as st

from mjdesk.core.importing import biff, errors, sheets
from mjdesk.core.importing.errors import NoticeKind
from mjdesk.core.importing.formats import FileKind
from mjdesk.core.importing.readers import (
    ERROR_TEXTS,
    NO_HEADER,
    file_sha256,
    list_sheets,
    read_table,
)
from mjdesk.core.importing.textfiles import detect_encoding, sniff_dialect


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build(tmp_path_factory.mktemp("corpus"))


def kinds(table_notices: list[errors.Notice]) -> set[NoticeKind]:
    return {notice.kind for notice in table_notices}


@pytest.mark.parametrize("name", ["good.csv", "good.xlsx"])
def test_good_files_read_as_text_with_provenance(corpus: dict[str, Path], name: str) -> None:
    table = read_table(corpus[name])
    assert table.headers[:3] == ["Email address", "First name", "Last name"]
    assert len(table) == 20
    assert table.row_numbers.tolist() == list(range(2, 22))
    assert table.column("Student ID")[:2] == ["00000000", "00000001"]  # leading zeros kept
    assert table.column("Consent date")[0] == "2021-01-01"
    assert table.source.sha256 == file_sha256(corpus[name])
    assert table.source.file_name == name
    assert table.source.header_row == 1


def test_ods_is_read(corpus: dict[str, Path]) -> None:
    table = read_table(corpus["good.ods"])
    assert table.source.kind is FileKind.ODS
    assert table.headers == ["E-mail", "Vorname", "Nachname"]
    assert table.row(0) == ["anna@example.org", "Anna", "B"]


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("empty.csv", errors.EmptyFileError),
        ("blank.xlsx", errors.EmptyFileError),
        ("header_only.csv", errors.HeaderOnlyError),
        ("header_only.xlsx", errors.HeaderOnlyError),
        ("binary.csv", errors.NotASpreadsheetError),
        ("encrypted.xlsx", errors.PasswordProtectedError),
        ("encrypted.ods", errors.PasswordProtectedError),
        ("corrupt.xlsx", errors.CorruptFileError),
    ],
)
def test_bad_input_gives_a_typed_error_naming_the_file(
    corpus: dict[str, Path], name: str, error: type[errors.ImportFileError]
) -> None:
    with pytest.raises(error) as caught:
        read_table(corpus[name])
    assert caught.value.file_name == name
    assert name in caught.value.user_message


@pytest.mark.parametrize("name", ["huge_cell.csv", "huge_cell.xlsx"])
def test_a_long_cell_holds_back_its_row_only_when_its_column_is_imported(
    corpus: dict[str, Path], name: str
) -> None:
    """A notes cell of megabytes no longer refuses the whole file: skipped, it is no matter;
    imported, it holds back its own row, saying why."""
    from mjdesk.core.importing import Role, clean_table, guess_mapping

    table = read_table(corpus[name])  # read, not refused
    assert table.long_cells == {"notes": [0]}
    mapping = guess_mapping(table)
    skipped = clean_table(table, mapping.with_role("notes", Role.SKIP))
    assert skipped.problems == {}
    kept = clean_table(table, mapping.with_role("notes", Role.PROPERTY, property_name="notes"))
    assert "'notes' cell holds" in kept.problems[0]
    assert "131,072" in kept.problems[0]


def test_a_cell_beyond_what_can_be_read_refuses_the_file(tmp_path: Path) -> None:
    path = tmp_path / "enormous.csv"
    path.write_text('email,notes\nann@example.org,"' + "x" * (17 << 20) + '"\n', encoding="utf-8")
    with pytest.raises(errors.CellTooLargeError) as caught:
        read_table(path)
    assert caught.value.row == 2
    assert "row 2" in caught.value.user_message


def test_header_only_error_names_the_row(corpus: dict[str, Path]) -> None:
    with pytest.raises(errors.HeaderOnlyError) as caught:
        read_table(corpus["header_only.csv"])
    assert caught.value.row == 1


def test_text_renamed_as_xlsx_is_read_by_content_with_a_notice(corpus: dict[str, Path]) -> None:
    table = read_table(corpus["text_called.xlsx"])
    assert table.source.kind is FileKind.TEXT
    assert table.row(0) == ["ann@example.org", "Ann"]
    assert NoticeKind.RENAMED_FILE in kinds(table.notices)


def test_duplicate_headers_are_numbered_with_a_notice(corpus: dict[str, Path]) -> None:
    table = read_table(corpus["duplicate_headers.csv"])
    assert table.headers == ["email", "name", "name (2)", "Email (2)"]
    assert NoticeKind.DUPLICATE_HEADER in kinds(table.notices)


def test_mixed_encodings_read_per_line_and_rows_named(corpus: dict[str, Path]) -> None:
    table = read_table(corpus["mixed_encoding.csv"])
    assert table.column("name") == ["Zoë", "André", "Chloé"]
    notice = next(n for n in table.notices if n.kind is NoticeKind.MIXED_ENCODING)
    assert notice.rows == (3,)


def test_formula_errors_become_empty_with_a_notice_naming_cells(corpus: dict[str, Path]) -> None:
    table = read_table(corpus["formula_errors.xlsx"])
    assert table.column("Name") == ["", "Bob"]
    notice = next(n for n in table.notices if n.kind is NoticeKind.ERROR_CELLS)
    assert "B2" in notice.message


@pytest.mark.parametrize("error_kind", ["formula", "cell"])
def test_legacy_xls_error_cells_are_named_in_a_notice(tmp_path: Path, error_kind: str) -> None:
    """calamine reads an .xls error cell as '' without a sign; the sheet's own records
    say which cells they are (a formula with an error result, or an error cell)."""
    rows: list[list[str | float | None]] = [["Email", "Name", "Score"]]
    rows += [[f"p{i}@example.org", f"P{i}", float(i)] for i in range(300)]
    path = write_xls(
        tmp_path / "old.xls",
        rows,
        sheet="Liste",
        errors={(2, 1): 0x2A, (5, 2): 0x07},
        error_kind=error_kind,
    )
    table = read_table(path)
    assert table.column("Name")[1] == ""
    assert table.column("Score")[4] == ""
    notice = next(n for n in table.notices if n.kind is NoticeKind.ERROR_CELLS)
    assert notice.message.startswith("Sheet 'Liste': 2 cells hold a formula error")
    assert notice.message.endswith("read as empty: B3, C6.")
    # Without errors there is no notice; a sheet that is not there, or a file that is
    # not a compound file, gives no answer rather than an error.
    clean = write_xls(tmp_path / "clean.xls", rows)
    assert NoticeKind.ERROR_CELLS not in kinds(read_table(clean).notices)
    assert biff.error_cells(clean, "Sheet1") == (0, [])
    assert biff.error_cells(clean, "Other") is None
    assert biff.error_cells(tmp_path / "missing.xls", "Sheet1") is None
    broken = tmp_path / "broken.xls"
    broken.write_bytes(path.read_bytes()[:1500])
    assert biff.error_cells(broken, "Liste") is None


def test_legacy_xls_files_of_the_corpus_have_no_error_cells() -> None:
    from support.corpus import SPREADSHEETS

    files = [path for path in SPREADSHEETS if path.suffix == ".xls"]
    if not files:
        pytest.skip("the shared corpus is not present")
    for path in files:
        try:
            names = [sheet.name for sheet in list_sheets(path)]
        except errors.ImportFileError:  # encrypted, or too old for calamine: no answer
            assert biff.error_cells(path, "Sheet1") is None, path.name
            continue
        for name in names:  # every sheet found by its name, none with an error cell
            assert biff.error_cells(path, name) == (0, []), (path.name, name)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-be", "utf-16-le", "cp1252"])
@pytest.mark.parametrize("error", ["#N/A", "Err:502"])
@pytest.mark.parametrize("block", [1 << 20, 5, 8])
def test_error_texts_in_csv_become_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encoding: str, error: str, block: int
) -> None:
    # The file's bytes are searched for the marks of error texts while they are hashed,
    # a block at a time (small blocks: the marks fall across two of them).
    monkeypatch.setattr("mjdesk.core.importing.readers._BLOCK", block)
    path = tmp_path / "e.csv"
    text = f"email,name\na@example.org,{error}\nb@example.org,Bo\n"
    path.write_bytes(
        ("\ufeff" if encoding == "utf-16-be" else "").encode(encoding) + text.encode(encoding)
    )
    table = read_table(path)
    assert table.column("name") == ["", "Bo"]
    assert next(n for n in table.notices if n.kind is NoticeKind.ERROR_CELLS).rows == (2,)
    assert table.source.sha256 == file_sha256(path)


def test_a_csv_without_error_texts_is_hashed_the_same_and_gets_no_notice(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("email,name\na@example.org,N/A\nb@example.org,Err\n", encoding="utf-8")
    table = read_table(path)
    assert table.column("name") == ["N/A", "Err"]
    assert NoticeKind.ERROR_CELLS not in kinds(table.notices)
    assert table.source.sha256 == file_sha256(path)


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16", "utf-16"),
        ("utf-16-le", "utf-16-le"),
        ("utf-16-be", "utf-16-be"),
        ("cp1252", "cp1252"),
        ("latin-1", "cp1252"),
    ],
)
def test_encodings(tmp_path: Path, encoding: str, expected: str) -> None:
    text = "email;prénom;nom\r\nrene@example.fr;René;Lefèvre\r\nzoe@example.fr;Zoë;Brontë\r\n"
    path = tmp_path / "people.csv"
    path.write_bytes(text.encode(encoding))
    assert detect_encoding(path.read_bytes()) == expected
    table = read_table(path)
    assert table.headers == ["email", "prénom", "nom"]
    assert table.column("nom") == ["Lefèvre", "Brontë"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_quoted_newlines_and_ragged_rows(tmp_path: Path, delimiter: str) -> None:
    d = delimiter
    text = (
        f"email{d}name{d}note\n"
        f'a@example.org{d}"Smith{d} Ann"{d}"two\nlines"\n'
        f"b@example.org{d}Bob\n"
        f"c@example.org{d}Cy{d}x{d}extra\n"
    )
    path = tmp_path / "people.txt"
    path.write_text(text, encoding="utf-8")
    table = read_table(path)
    assert table.source.delimiter == d
    assert table.headers == ["email", "name", "note", "Column D"]
    assert table.row(0) == ["a@example.org", f"Smith{d} Ann", "two\nlines", ""]
    assert table.row(1) == ["b@example.org", "Bob", "", ""]
    assert table.row(2) == ["c@example.org", "Cy", "x", "extra"]
    assert table.row_numbers.tolist() == [2, 3, 4]
    assert NoticeKind.RAGGED_ROWS in kinds(table.notices)


def test_sniffing_uses_every_sampled_row() -> None:
    sample = "a,b,c\n" + "1\t2\t3\n" * 10
    assert sniff_dialect(sample).delimiter == "\t"
    assert sniff_dialect("x;y\n1,5;2,5\n3,1;4\n").delimiter == ";"


def test_header_below_title_rows_and_blank_rows(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "t.xlsx",
        [
            ["Mailing list export", None],
            [None, None],
            ["E-mail", "Name"],
            ["a@example.org", "Ann"],
            [None, None],
            ["b@example.org", "Bo"],
        ],
    )
    table = read_table(path)
    assert table.source.header_row == 3
    assert table.row_numbers.tolist() == [4, 6]
    assert NoticeKind.HEADER_ROW in kinds(table.notices)


def test_no_header_when_the_first_row_is_an_address(tmp_path: Path) -> None:
    path = write_text(tmp_path / "list.csv", [["a@example.org"], ["b@example.org"]])
    table = read_table(path)
    assert table.source.header_row is None
    assert table.headers == ["Column A"]
    assert table.column("Column A") == ["a@example.org", "b@example.org"]


def test_header_row_can_be_given(tmp_path: Path) -> None:
    path = write_text(tmp_path / "x.csv", [["title"], ["email", "n"], ["a@example.org", "A"]])
    assert read_table(path, header_row=2).headers == ["email", "n"]
    assert read_table(path, header_row=NO_HEADER).row_numbers.tolist() == [1, 2, 3]


def test_sheet_picker_skips_hidden_and_empty_sheets(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "book.xlsx",
        sheets=[
            Sheet("Empty", []),
            Sheet("Secret", [["email"], ["hidden@example.org"]], state="hidden"),
            Sheet("People", [["email"], ["shown@example.org"]]),
        ],
    )
    table = read_table(path)
    assert table.source.sheet == "People"
    assert NoticeKind.SKIPPED_SHEETS in kinds(table.notices)
    assert read_table(path, sheet="secret").column("email") == ["hidden@example.org"]
    assert read_table(path, sheet=1).source.sheet == "Secret"
    infos = list_sheets(path)
    assert [(i.name, i.visible, i.has_data) for i in infos] == [
        ("Empty", True, False),
        ("Secret", False, True),
        ("People", True, True),
    ]
    with pytest.raises(errors.SheetNotFoundError, match="People"):
        read_table(path, sheet="Nope")


def test_numbers_and_dates_as_text(tmp_path: Path) -> None:
    from datetime import date

    path = write_xlsx(tmp_path / "n.xlsx", [["a", "b", "c"], [12.0, 1.25, date(2024, 2, 29)]])
    assert read_table(path).row(0) == ["12", "1.25", "2024-02-29"]


def test_ods_encrypted_manifest_detected(tmp_path: Path) -> None:
    with pytest.raises(errors.PasswordProtectedError, match="password"):
        read_table(write_ods(tmp_path / "x.ods", [], encrypted=True))


def test_progress_and_cancel(tmp_path: Path) -> None:
    path = write_text(tmp_path / "x.csv", [["email"], *([f"p{i}@example.org"] for i in range(10))])
    seen: list[tuple[int, int]] = []
    read_table(path, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (path.stat().st_size, path.stat().st_size)

    class Stop(Exception):
        pass

    def stop() -> None:
        raise Stop

    with pytest.raises(Stop):
        read_table(
            write_xlsx(tmp_path / "x.xlsx", [["email"], ["a@example.org"]]), check_cancel=stop
        )

    # A workbook reports its steps (calamine parses a sheet in one call).
    book = write_xlsx(tmp_path / "y.xlsx", [["email"], ["a@example.org"]])
    steps: list[tuple[int, int]] = []
    read_table(book, progress=lambda done, total: steps.append((done, total)))
    size = book.stat().st_size
    assert [done for done, _ in steps] == sorted(done for done, _ in steps)
    assert len(steps) >= 3
    assert steps[-1] == (size, size)


def test_a_cancel_does_not_wait_for_a_long_sheet_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """calamine parses without holding the GIL: the reader polls for a cancel meanwhile,
    and the abandoned parse ends in the background (closing the workbook)."""
    path = write_xlsx(tmp_path / "big.xlsx", [["email"], ["a@example.org"]])
    release = threading.Event()
    real = sheets._Parser._parse

    def slow(self: sheets._Parser, index: int, name: str) -> object:
        release.wait(30)  # a parse that would take long
        return real(self, index, name)

    monkeypatch.setattr(sheets._Parser, "_parse", slow)

    class Stop(Exception):
        pass

    polls: list[float] = []

    def stop() -> None:
        polls.append(time.monotonic())
        if len(polls) > 2:
            raise Stop

    began = time.monotonic()
    with pytest.raises(Stop):
        read_table(path, check_cancel=stop)
    assert time.monotonic() - began < 10  # far less than the parse would have taken
    release.set()
    for thread in threading.enumerate():
        if thread.name == "sheet-parse":
            thread.join(10)
            assert not thread.is_alive()
    # Nothing is left holding the file: it can be read again at once.
    monkeypatch.setattr(sheets._Parser, "_parse", real)
    assert read_table(path).column("email") == ["a@example.org"]


_CELLS = st.one_of(
    st.text(max_size=12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(min_value=-(10**16), max_value=10**16).map(float),
    st.booleans(),
    st.integers(),
    st.datetimes(min_value=datetime(1900, 1, 1)),
    st.dates(min_value=date(1900, 1, 1)).map(lambda d: datetime(d.year, d.month, d.day)),
    st.dates(),
    st.times(),
    st.timedeltas(min_value=timedelta(days=-5), max_value=timedelta(days=5)),
)


@given(
    st.one_of(
        st.lists(_CELLS, max_size=30),
        st.lists(st.integers(-(10**16), 10**16).map(float), max_size=30),  # whole numbers
        st.lists(  # midnight dates, now and then an empty cell
            st.one_of(
                st.dates(min_value=date(1900, 1, 1)).map(
                    lambda d: datetime(d.year, d.month, d.day)
                ),
                st.just(""),
            ),
            max_size=30,
        ),
    )
)
@settings(max_examples=300, deadline=None)
def test_a_column_converts_as_each_cell_would(values: list[object]) -> None:
    """The column-wise conversion of a sheet gives each cell's own text."""
    assert sheets._column_text(values) == [  # type: ignore[arg-type]
        v if isinstance(v, str) else sheets.cell_text(v)  # type: ignore[arg-type]
        for v in values
    ]


@pytest.mark.parametrize("header_row", [None, 3, NO_HEADER])
def test_a_sheet_read_by_columns_matches_the_same_rows_read_one_by_one(
    tmp_path: Path, header_row: int | None
) -> None:
    """A workbook's rectangle is read column by column; a CSV of the same cells row by row.
    Both give the same table: blank rows left out, cells beyond the header kept (and
    reported), row numbers as the spreadsheet shows them."""
    rows: list[list[str | None]] = [
        ["Mailing list export", None, None, None],
        [None, None, None, None],
        ["E-mail", "Name", None, None],
        ["a@example.org", "Ann", None, None],
        [None, None, None, None],
        [None, "Bo (no address)", None, "note"],
        ["c@example.org", None, "extra", None],
        ["d@example.org", "Di", None, None],
    ]
    text = [["" if v is None else str(v) for v in row] for row in rows]
    by_rows = read_table(write_text(tmp_path / "same.csv", text), header_row=header_row)
    for path in (write_xlsx(tmp_path / "same.xlsx", rows), write_ods(tmp_path / "same.ods", rows)):
        table = read_table(path, header_row=header_row)
        assert table.headers == by_rows.headers
        assert table.columns == by_rows.columns
        assert table.row_numbers.tolist() == by_rows.row_numbers.tolist()
        assert [(n.kind, n.message, n.rows) for n in table.notices] == [
            (n.kind, n.message, n.rows) for n in by_rows.notices
        ]


def test_every_error_text_holds_what_the_quick_search_looks_for() -> None:
    """Columns are searched for "#" and "Err:" before their cells are compared."""
    assert all("#" in text or "Err:" in text for text in ERROR_TEXTS)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_control_characters_are_removed_with_a_notice(tmp_path: Path, suffix: str) -> None:
    rows = [["Email", "First name", "Notes"], ["ann@example.org", "Nul\x00Name", "a\x1bb\tc\x85"]]
    if suffix == ".csv":
        path = write_text(tmp_path / "odd.csv", rows)
    else:
        path = write_xlsx(tmp_path / "odd.xlsx", rows)
    table = read_table(path)
    assert table.row(0) == ["ann@example.org", "NulName", "ab\tc"]
    found = [n for n in table.notices if n.kind is NoticeKind.NUL_CHARACTERS]
    assert [(n.column, n.rows) for n in found] == [("First name", (2,)), ("Notes", (2,))]
    assert "control characters" in found[0].message
