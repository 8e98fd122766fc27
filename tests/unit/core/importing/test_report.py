"""The per-row report (CSV, XLSX) and the annotated copy of the source spreadsheet."""

from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from mjdesk.core.importing import clean_table, guess_mapping, read_table
from mjdesk.core.importing.consent_values import ConsentSpec
from mjdesk.core.importing.lookups import plan_for_workspace
from mjdesk.core.importing.plan import Plan
from mjdesk.core.importing.report import (
    REPORT_HEADER,
    write_annotated_copy,
    write_report,
)
from mjdesk.core.workspace import Workspace

from support.importing import MIXED, seed

TITLE = "Open day sign-ups, exported 2025-06-01"


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(tmp_path / "ws.sqlite3") as workspace:
        seed(workspace)
        yield workspace


def source_file(tmp_path: Path) -> Path:
    """A CSV with a title line and a blank line above the header (header on row 3)."""
    path = tmp_path / "sign-ups.csv"
    rows = [
        [TITLE, "", "", "", "", ""],
        ["", "", "", "", "", ""],
        ["Email", "First name", "Last name", "Consent", "Consent date", "Team"],
        *MIXED,
        ["ty@gmial.com", "Ty", "", "yes", "2025-01-01", ""],
        ["info@example.org", "", "", "yes", "2025-02-01", ""],
        ["maybe@example.org", "", "", "perhaps", "", ""],
        ["late@example.org", "", "", "yes", "not a date", ""],
    ]
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)
    return path


def planned(ws: Workspace, path: Path) -> Plan:
    table = read_table(path)
    assert table.source.header_row == 3
    cleaned = clean_table(table, guess_mapping(table), ConsentSpec())
    return plan_for_workspace(ws, cleaned)


def test_csv_report_has_a_line_per_row(ws: Workspace, tmp_path: Path) -> None:
    plan = planned(ws, source_file(tmp_path))
    out = write_report(plan, tmp_path / "report.csv")
    with out.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert tuple(rows[0]) == REPORT_HEADER
    assert len(rows) == len(plan) + 1
    by_email = {row[1]: row for row in rows[1:]}
    assert by_email["new@example.org"][:3] == ["4", "new@example.org", "new"]
    update = by_email["old@example.org"]
    assert update[2] == "update"
    assert "first_name: 'Olga' → 'Olivia'" in update[4]
    assert "team: 'A' → 'C'" in update[4]
    assert by_email["bad-address"][2] == "invalid"
    assert by_email["bad-address"][3]
    assert by_email["new@example.org"][0] == "4"
    assert "row 4" in rows[7][3]  # NEW@example.org repeats row 4
    assert by_email["ty@gmial.com"][5] == "ty@gmail.com"
    assert "role address" in by_email["info@example.org"][3]
    assert by_email["late@example.org"][2] == "invalid"  # a consent date that is none
    assert "not a date" in by_email["late@example.org"][3]
    assert by_email["gone@example.org"][2] == "unchanged"
    assert "withdrawn" in by_email["gone@example.org"][3]


def test_xlsx_report_reads_back(ws: Workspace, tmp_path: Path) -> None:
    from python_calamine import CalamineWorkbook

    plan = planned(ws, source_file(tmp_path))
    out = write_report(plan, tmp_path / "report.xlsx")
    book = CalamineWorkbook.from_path(str(out))
    assert book.sheet_names == ["Report", "Counts"]
    rows = book.get_sheet_by_name("Report").to_python()
    assert tuple(rows[0]) == REPORT_HEADER
    assert len(rows) == len(plan) + 1
    assert rows[1][:3] == [4, "new@example.org", "new"]
    counts = {str(r[0]): r[1] for r in book.get_sheet_by_name("Counts").to_python()[1:9]}
    assert counts["new"] == 3  # new@, wd@ and info@
    assert counts["invalid"] == 2  # bad-address, and info@ with a consent date that is none


def test_report_refuses_other_formats(ws: Workspace, tmp_path: Path) -> None:
    plan = planned(ws, source_file(tmp_path))
    with pytest.raises(ValueError, match=r"\.csv or \.xlsx"):
        write_report(plan, tmp_path / "report.pdf")


def _sheet_xml(path: Path, part: str) -> str:
    with zipfile.ZipFile(path) as book:
        return book.read(part).decode("utf-8")


def test_annotated_copy_marks_each_problem_cell_where_it_was(ws: Workspace, tmp_path: Path) -> None:
    plan = planned(ws, source_file(tmp_path))
    out = write_annotated_copy(plan, tmp_path / "sign-ups annotated.xlsx")
    comments = _sheet_xml(out, "xl/comments1.xml")
    notes = dict(
        re.findall(r'<comment ref="([A-Z]+\d+)".*?<t(?: [^>]*)?>([^<]*)</t>', comments, flags=re.S)
    )
    # Header on row 3, data from row 4, in source order: row numbers as in the file.
    assert "A9" in notes  # bad-address (7th data row -> row 9)
    assert "No consent" in notes["D8"]  # no@example.org: the consent cell
    assert notes["A10"].startswith("Same address as row 4")  # NEW@example.org
    assert "gmail.com" in notes["A12"]  # ty@gmial.com
    assert "role address" in notes["A13"].lower()
    assert "not a date" in notes["E15"]
    assert "not one of the known" in notes["D14"]  # "perhaps"
    assert "withdrawn" in notes["D6"]  # gone@: a grant that cannot undo the withdrawal
    sheet = _sheet_xml(out, "xl/worksheets/sheet1.xml")
    assert 'r="A3"' in sheet  # the header row
    assert 'r="A1"' not in sheet  # the title line is not data (left empty)
    # A highlighted cell has its own style.
    styled = re.search(r'<c r="A9" s="(\d+)"', sheet)
    assert styled is not None
    assert styled.group(1) != "0"
    legend = _sheet_xml(out, "xl/workbook.xml")
    assert "mjdesk notes" in legend


def test_annotated_copy_values_and_status_column(ws: Workspace, tmp_path: Path) -> None:
    from python_calamine import CalamineWorkbook

    plan = planned(ws, source_file(tmp_path))
    out = write_annotated_copy(plan, tmp_path / "copy.xlsx")
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    header = next(r for r in rows if r and r[0] == "Email")
    assert header[-1] == "mjdesk"
    lines = {r[0]: r for r in rows if r}
    assert lines["new@example.org"][-1] == "new"
    assert str(lines["bad-address"][-1]).startswith("invalid: ")
    assert lines["old@example.org"][5] == "C"


def test_a_cell_longer_than_excel_holds_is_cut_with_a_comment_saying_so(
    ws: Workspace, tmp_path: Path
) -> None:
    from python_calamine import CalamineWorkbook

    long_note = "ab" * 20_000  # 40,000 characters
    path = tmp_path / "long.csv"
    with path.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows(
            [
                ["Email", "Consent", "Notes"],
                ["kim@example.org", "yes", long_note],
                ["not an address " + long_note, "yes", "short"],
            ]
        )
    table = read_table(path)
    assert len(table.column("Notes")[0]) == 40_000  # read whole
    plan = plan_for_workspace(ws, clean_table(table, guess_mapping(table), ConsentSpec()))
    out = write_annotated_copy(plan, tmp_path / "long annotated.xlsx")
    notes = dict(
        re.findall(
            r'<comment ref="([A-Z]+\d+)".*?<t(?: [^>]*)?>([^<]*)</t>',
            _sheet_xml(out, "xl/comments1.xml"),
            flags=re.S,
        )
    )
    cut = "Cut to 32,767 characters: Excel's limit; the whole value was read."
    assert notes["C2"] == cut
    assert notes["A3"].endswith(cut)  # after the row's own note: an invalid address
    assert notes["A3"] != cut
    assert "C3" not in notes
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert rows[1][2] == long_note[:32_767]


def test_the_fixes_made_in_the_dry_run_are_in_the_reports(ws: Workspace, tmp_path: Path) -> None:
    """An address corrected by hand (or a suggestion accepted) is named in the report and
    commented in the annotated copy, so the file's owner can correct the file too."""
    import re as regex

    path = source_file(tmp_path)
    table = read_table(path)
    mapping = guess_mapping(table)
    bad = table.column("Email").index("bad-address")
    ty = table.column("Email").index("ty@gmial.com")
    edits = {(bad, "Email"): "bad@example.org", (ty, "Email"): "ty@gmail.com"}
    cleaned = clean_table(table, mapping, ConsentSpec(), edits=edits)
    plan = plan_for_workspace(ws, cleaned)
    out = write_report(plan, tmp_path / "fixed.csv")
    with out.open(encoding="utf-8-sig", newline="") as stream:
        by_email = {row[1]: row for row in csv.reader(stream)}
    assert (
        "Corrected in mjdesk: Email 'bad-address' → 'bad@example.org'."
        in (by_email["bad@example.org"][3])
    )
    assert "'ty@gmial.com' → 'ty@gmail.com'" in by_email["ty@gmail.com"][3]
    copy = write_annotated_copy(plan, tmp_path / "fixed.xlsx")
    comments = _sheet_xml(copy, "xl/comments1.xml")
    notes = dict(
        regex.findall(
            r'<comment ref="([A-Z]+\d+)".*?<t(?: [^>]*)?>([^<]*)</t>', comments, flags=regex.S
        )
    )
    assert "Corrected in mjdesk to 'bad@example.org'" in notes["A9"]
    assert "Corrected in mjdesk to 'ty@gmail.com'" in notes["A12"]
