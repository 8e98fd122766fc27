"""Exporting what a filter shows: the chosen columns, the filter and search honoured, no cell
that runs as a formula (CSV or XLSX), no half file, and one journal line without a person."""

from __future__ import annotations

import csv
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from mjdesk.core import export_contacts as exporting
from mjdesk.core.contacts import ConsentRecord, ContactQuery, NewContact, add_contacts
from mjdesk.core.export_contacts import (
    BUILT_IN,
    ExportRefused,
    NothingToExport,
    available_columns,
    choose_columns,
    export_contacts,
    repermission_query,
)
from mjdesk.core.filters import ContactFilter, stale_before
from mjdesk.core.flags import refresh_flags
from mjdesk.core.work import Cancelled, CancelToken
from mjdesk.core.workspace import Workspace

HOSTILE = ["=cmd|'/c calc'!A0", "+1", "-2", "@SUM(1)", "\ttab", "\rreturn"]
CUTOFF = stale_before(24)


def _granted(at: str, source: str = "form.csv") -> ConsentRecord:
    return ConsentRecord("granted", at, source, wording="Yes, send me news")


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = Workspace.open(tmp_path / "ws.sqlite3")
    recent = stale_before(1)
    people = [
        NewContact(
            "ann@x.org",
            "Ann",
            "Archer",
            {"Department": "History", "Phone": '=HYPERLINK("http://evil")'},
            _granted(recent),
        ),
        NewContact("old@x.org", "Otto", "Old", consent=_granted("2019-01-01T00:00:00Z")),
        NewContact("info@x.org", consent=_granted(recent)),
        NewContact("gone@x.org", consent=ConsentRecord("withdrawn", recent)),
        NewContact("never@x.org", "Nina", "Never"),
        *(
            NewContact(f"h{i}@x.org", text, text, {"Department": text}, _granted(recent))
            for i, text in enumerate(HOSTILE)
        ),
    ]
    with workspace.transaction() as con:
        add_contacts(con, people, actor="t")
        con.execute(
            "INSERT INTO property_types (name, datatype) VALUES ('Department', 'str'), "
            "('Phone', 'str')"
        )
        con.execute("INSERT INTO lists (name, created_at) VALUES ('News', 'n')")
        con.execute("INSERT INTO memberships (contact_id, list_id, added_at) VALUES (1, 1, 'n')")
        refresh_flags(con)
    yield workspace
    workspace.close()


def _csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.reader(stream))


def _query(**wanted: frozenset[str]) -> ContactQuery:
    return ContactQuery(filter=ContactFilter(**wanted), cutoff=CUTOFF)  # type: ignore[arg-type]


def test_the_chosen_columns_come_in_the_chosen_order(ws: Workspace, tmp_path: Path) -> None:
    with ws.reading() as con:
        columns = choose_columns(con, ["consent", "EMAIL", "department", "lists", "flags"])
    out = export_contacts(ws, _query(), columns, tmp_path / "all.csv")
    rows = _csv(out.path)
    assert rows[0] == ["Consent", "Email", "Department", "Lists", "Flags"]
    assert out.contacts == len(rows) - 1 == 11
    by_email = {row[1]: row for row in rows[1:]}
    assert by_email["ann@x.org"] == ["Granted", "ann@x.org", "History", "News", ""]
    assert by_email["old@x.org"][0] == "Too old"  # (the window's words)
    assert by_email["gone@x.org"][0] == "Withdrawn"
    assert by_email["never@x.org"][0] == "No consent"
    assert by_email["info@x.org"][4] == "Role address"
    assert [row[1] for row in rows[1:]] == sorted(row[1] for row in rows[1:])  # address order


def test_the_filter_and_the_search_are_honoured(ws: Workspace, tmp_path: Path) -> None:
    columns = [BUILT_IN[0]]
    stale = export_contacts(ws, _query(consent=frozenset({"stale"})), columns, tmp_path / "s.csv")
    assert _csv(stale.path)[1:] == [["old@x.org"]]
    roles = export_contacts(ws, _query(flags=frozenset({"role"})), columns, tmp_path / "r.csv")
    assert _csv(roles.path)[1:] == [["info@x.org"]]
    query = ContactQuery(
        text="x.org",
        filter=ContactFilter(consent=frozenset({"withdrawn", "none"})),
        cutoff=CUTOFF,
    )
    both = export_contacts(ws, query, columns, tmp_path / "b.csv")
    assert _csv(both.path)[1:] == [["gone@x.org"], ["never@x.org"]]


def test_the_repermission_list_is_the_stale_consents(ws: Workspace, tmp_path: Path) -> None:
    with ws.reading() as con:
        query = repermission_query(con)
    done = export_contacts(ws, query, [BUILT_IN[0]], tmp_path / "again.csv")
    assert _csv(done.path) == [["Email"], ["old@x.org"]]


def test_no_csv_cell_starts_a_formula(ws: Workspace, tmp_path: Path) -> None:
    with ws.reading() as con:
        columns = available_columns(con)
    rows = _csv(export_contacts(ws, _query(), columns, tmp_path / "all.csv").path)
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    department = rows[0].index("Department")
    kept = {row[department] for row in rows[1:]}
    assert {"'" + text for text in HOSTILE} <= kept  # kept, behind an apostrophe


def test_an_xlsx_holds_text_cells_only(ws: Workspace, tmp_path: Path) -> None:
    with ws.reading() as con:
        columns = available_columns(con)
    out = export_contacts(ws, _query(), columns, tmp_path / "all.xlsx").path
    with zipfile.ZipFile(out) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
    assert "<f " not in sheet
    assert not re.search(r'<c [^>]*t="(?!s"|inlineStr")', sheet)  # strings, nothing else
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Contacts").to_python()
    titles = [str(cell) for cell in rows[0]]
    assert titles[: len(BUILT_IN)] == [c.title for c in BUILT_IN]
    department = titles.index("Department")
    assert set(HOSTILE) <= {str(row[department]) for row in rows[1:]}  # the text as written
    phone = titles.index("Phone")
    assert '=HYPERLINK("http://evil")' in {str(row[phone]) for row in rows[1:]}


def test_an_export_is_journalled_without_a_person(ws: Workspace, tmp_path: Path) -> None:
    query = ContactQuery(text="Archer", cutoff=CUTOFF)
    export_contacts(ws, query, [BUILT_IN[0]], tmp_path / "one.csv", actor="tester")
    action, actor, summary, count, details = ws.fetch(
        "SELECT action, actor, summary, count, details FROM activity ORDER BY id DESC LIMIT 1"
    )[0]
    assert (action, actor, count) == ("export", "tester", 1)
    assert summary == "Exported 1 contacts to one.csv"
    recorded = summary + details
    assert "Archer" not in recorded
    assert "ann@" not in recorded
    assert json.loads(details)["searched"] is True


def test_nothing_matched_writes_nothing(ws: Workspace, tmp_path: Path) -> None:
    query = ContactQuery(text="nobody-here", cutoff=CUTOFF)
    with pytest.raises(NothingToExport):
        export_contacts(ws, query, [BUILT_IN[0]], tmp_path / "none.csv")
    assert list(tmp_path.glob("*none*")) == []


def test_a_cancelled_export_leaves_the_old_file(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "kept.csv"
    target.write_text("the old export")
    monkeypatch.setattr(exporting, "CHUNK", 2)
    token = CancelToken()

    def progress(done: int, _total: int) -> None:
        if done >= 4:
            token.cancel()

    with pytest.raises(Cancelled):
        export_contacts(ws, _query(), [BUILT_IN[0]], target, cancel=token, progress=progress)
    assert target.read_text() == "the old export"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert ws.fetch("SELECT count(*) FROM activity WHERE action = 'export'") == [(0,)]


def test_refusals(ws: Workspace, tmp_path: Path) -> None:
    with ws.reading() as con, pytest.raises(ExportRefused, match="No column nope"):
        choose_columns(con, ["email", "nope"])
    (tmp_path / "folder.csv").mkdir()
    for out, said in (
        (tmp_path / "x.txt", "as .csv or .xlsx"),
        (tmp_path / "folder.csv", "is a folder"),
        (tmp_path / "missing" / "x.csv", "does not exist"),
    ):
        with pytest.raises(ExportRefused, match=said):
            export_contacts(ws, _query(), [BUILT_IN[0]], out)
