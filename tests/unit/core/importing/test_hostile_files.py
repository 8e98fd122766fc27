"""Workbooks built to hurt the reader: a grid of billions of cells declared by one far cell,
a cell of hundreds of megabytes. Each is refused with a message, before python-calamine
allocates (it aborts the process when it cannot), so each is read in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from data.make_import_corpus import write_xlsx

from mjdesk.core.importing import read_table, sheets

from support.hostile import ROWS, far_cell, patched

READ = """
import json, resource, sys
from mjdesk.core.importing import list_sheets, read_table
try:
    if sys.argv[2] == "list":
        list_sheets(sys.argv[1])
    else:
        read_table(sys.argv[1])
    outcome = "read"
except Exception as exc:
    outcome = type(exc).__name__ + ": " + getattr(exc, "user_message", str(exc))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(json.dumps({"outcome": outcome, "peak_mb": peak}))
"""


def read_apart(path: Path, how: str = "read") -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", READ, str(path), how],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_one_far_cell_is_refused_before_the_grid_is_allocated(tmp_path: Path) -> None:
    path = far_cell(tmp_path / "far.xlsx")
    assert path.stat().st_size < 4096
    for how in ("read", "list"):
        outcome = str(read_apart(path, how)["outcome"])
        assert outcome.startswith("SheetTooLargeError: far.xlsx, sheet 'Sheet1'")
        assert "row 1,048,576 and column 16,384" in outcome
        assert f"{sheets.MAX_CELLS:,} cells" in outcome


def test_the_limit_is_on_rows_times_columns(tmp_path: Path) -> None:
    # 1,000,000 rows x 60 columns: each within Excel's limits, together too many.
    path = write_xlsx(tmp_path / "wide.xlsx", ROWS)
    patched(
        path,
        b"</sheetData>",
        b'<row r="1000000"><c s="0" r="BH1000000" t="inlineStr"><is><t>x</t></is></c></row>'
        b"</sheetData>",
    )
    assert "SheetTooLargeError" in str(read_apart(path)["outcome"])


def test_formatting_and_the_declared_dimension_alone_refuse_nothing(tmp_path: Path) -> None:
    # Excel writes formatted empty cells and may declare the whole grid; the reader sizes
    # nothing by either, so neither is a reason to refuse.
    path = write_xlsx(tmp_path / "styled.xlsx", ROWS)
    patched(
        path,
        b"<sheetData>",
        b'<dimension ref="A1:XFD1048576"/><sheetData>',
    )
    patched(path, b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" s="0"/></row></sheetData>')
    table = read_table(path)
    assert table.row(0) == ["ann@example.org", "hello"]


def test_a_long_inline_text_is_refused_with_its_sheet(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "inline.xlsx", ROWS)
    text = b"y" * (sheets.MAX_TEXT_BYTES + 1)
    patched(
        path,
        b"</sheetData>",
        b'<row r="9"><c r="A9" t="inlineStr"><is><t>' + text + b"</t></is></c></row></sheetData>",
    )
    outcome = str(read_apart(path)["outcome"])
    assert outcome.startswith("SheetTooLargeError: inline.xlsx, sheet 'Sheet1' holds a cell")


def test_a_reference_cut_by_the_read_boundary_is_still_seen() -> None:
    xml = b"<sheetData>" + b" " * (sheets._CHUNK - 10) + b'<c r="XFD1048576" t="s"><v>0</v></c>'
    chunks = iter([xml[: sheets._CHUNK], xml[sheets._CHUNK :]])
    assert sheets._extent(chunks)[:2] == (1_048_576, 16_384)


def test_a_300_mb_cell_is_refused_without_being_read(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "huge.xlsx", [["Email", "Notes"], ["ann@example.org", "BIG"]])
    source = path.with_suffix(".orig")
    path.rename(source)
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name in src.namelist():
            data = src.read(name)
            if name != "xl/sharedStrings.xml":
                out.writestr(name, data)
                continue
            before, after = data.split(b"BIG")
            with out.open(name, "w") as part:
                part.write(before)
                block = b"x" * (1 << 20)
                for _ in range(300):
                    part.write(block)
                part.write(after)
    result = read_apart(path)
    assert str(result["outcome"]).startswith(
        "SheetTooLargeError: huge.xlsx holds a cell of about 300 MB of text"
    )
    baseline = read_apart(write_xlsx(tmp_path / "small.xlsx", ROWS))["peak_mb"]
    assert isinstance(result["peak_mb"], int)
    assert isinstance(baseline, int)
    # 924 MB when the reader took the cell, 28 MB now (a small read: 26 MB); the child
    # keeps the parent's peak across exec, hence the comparison
    assert result["peak_mb"] - baseline < 64, (result, baseline)
