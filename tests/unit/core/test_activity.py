"""The Activity page's reading of the journal: filters, paging by id, which entries can still
be undone, and the CSV export."""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mjdesk.core.activity import (
    EXPORT_HEADER,
    ActivityFilter,
    activity_kinds,
    count_activity,
    export_activity,
    kind_label,
    list_activity,
    undo_blocker,
)
from mjdesk.core.edits import withdraw_consent
from mjdesk.core.journal import record_activity
from mjdesk.core.undo import undo_step
from mjdesk.core.work import UserError
from mjdesk.core.workspace import Workspace

from support.importing import MIXED, run_import, seed


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = Workspace.open(tmp_path / "ws.sqlite3")
    yield workspace
    workspace.close()


def fill(ws: Workspace, entries: list[tuple[str, str, str, str]]) -> None:
    """(at, actor, action, summary) rows, in that order."""
    with ws.transaction() as con:
        con.executemany(
            "INSERT INTO activity (at, actor, action, summary, count) VALUES (?, ?, ?, ?, 1)",
            entries,
        )


def summaries(ws: Workspace, where: ActivityFilter = ActivityFilter(), **kw: object) -> list[str]:  # noqa: B008
    with ws.reading() as con:
        return [e.summary for e in list_activity(con, where, **kw)]  # type: ignore[arg-type]


def test_entries_come_newest_first_and_filter_by_kind_words_and_dates(ws: Workspace) -> None:
    fill(
        ws,
        [
            ("2025-01-05T09:00:00Z", "ana", "import", "Import of staff.csv: 3 new, 0 updated"),
            ("2025-02-10T09:00:00Z", "ben", "withdraw", "Consent withdrawn: 40 contacts"),
            ("2025-03-01T12:30:00Z", "ana", "export", "Export of 100% of the list"),
            ("2025-03-02T08:00:00Z", "carl", "import", "Import of Alumni_2024.xlsx: 9 new"),
        ],
    )
    assert summaries(ws)[0].startswith("Import of Alumni")
    assert summaries(ws, ActivityFilter(actions=("import",))) == [
        "Import of Alumni_2024.xlsx: 9 new",
        "Import of staff.csv: 3 new, 0 updated",
    ]
    # words over what and who, in any case; LIKE's wildcards are taken literally
    assert summaries(ws, ActivityFilter(text="ALUMNI")) == ["Import of Alumni_2024.xlsx: 9 new"]
    assert summaries(ws, ActivityFilter(text="ben")) == ["Consent withdrawn: 40 contacts"]
    assert summaries(ws, ActivityFilter(text="100%")) == ["Export of 100% of the list"]
    assert summaries(ws, ActivityFilter(text="i_2")) == ["Import of Alumni_2024.xlsx: 9 new"]
    assert summaries(ws, ActivityFilter(text="%")) == ["Export of 100% of the list"]
    dated = ActivityFilter(since="2025-02-10T09:00:00Z", until="2025-03-02T00:00:00Z")
    assert summaries(ws, dated) == ["Export of 100% of the list", "Consent withdrawn: 40 contacts"]
    both = ActivityFilter(actions=("import", "export"), text="ana")
    assert summaries(ws, both) == [
        "Export of 100% of the list",
        "Import of staff.csv: 3 new, 0 updated",
    ]
    with ws.reading() as con:
        assert count_activity(con, both) == 2
        assert count_activity(con) == 4
        assert activity_kinds(con) == ["export", "import", "withdraw"]


def test_kinds_have_names_for_people() -> None:
    assert kind_label("import") == "Import"
    assert kind_label("withdraw_consent") == "Consent withdrawn"
    assert kind_label("something_new") == "Something new"


def test_a_bulk_edit_is_listed_and_can_be_undone_from_the_page(ws: Workspace) -> None:
    seed(ws)
    result = withdraw_consent(ws, [1, 2, 3], "asked by e-mail", actor="ana")
    with ws.reading() as con:
        [entry] = list_activity(con, ActivityFilter(actions=("withdraw_consent",)))
        assert entry.undoable_kind
        assert undo_blocker(con, result.activity_id) is None
    undo_step(ws, result.activity_id, actor="ana")
    with ws.reading() as con:
        assert "already undone" in (undo_blocker(con, result.activity_id) or "")


def test_pages_follow_on_by_id_through_100000_entries(ws: Workspace) -> None:
    fill(
        ws,
        [
            (
                f"2025-01-01T00:00:{i % 60:02d}Z",
                "ana",
                "import" if i % 10 else "export",
                f"step {i}",
            )
            for i in range(100_000)
        ],
    )
    where = ActivityFilter(actions=("export",))
    started = time.perf_counter()
    with ws.reading() as con:
        first = list_activity(con, where)
        total = count_activity(con, where)
    took = time.perf_counter() - started
    assert total == 10_000
    assert [e.summary for e in first[:2]] == ["step 99990", "step 99980"]
    assert len(first) == 200
    assert took < 1.0  # a generous bound on a shared machine; it takes a few ms
    seen: list[int] = []
    with ws.reading() as con:
        before = None
        while page := list_activity(con, where, before=before, limit=3_000):
            seen.extend(e.id for e in page)
            before = page[-1].id
    assert len(seen) == len(set(seen)) == 10_000
    assert seen == sorted(seen, reverse=True)


def test_an_import_can_be_undone_until_later_work_touches_its_contacts(ws: Workspace) -> None:
    seed(ws)
    first, _ = run_import(ws, MIXED)
    with ws.reading() as con:
        [entry] = list_activity(con, ActivityFilter(actions=("import",)))
        assert entry.undoable_kind
        assert undo_blocker(con, first.activity_id) is None
    second, _ = run_import(ws, [["new@example.org", "Nina", "New", "yes", "2025-02-01", "B"]])
    with ws.reading() as con:
        blocker = undo_blocker(con, first.activity_id)
    assert blocker is not None
    assert "1 contact it changed were changed again later by “Import of people.csv" in blocker
    assert "Undo that first" in blocker
    undo_step(ws, second.activity_id, actor="tester")
    with ws.reading() as con:
        assert undo_blocker(con, first.activity_id) is None
        blocker = undo_blocker(con, second.activity_id)
        assert blocker is not None
        assert "already undone on" in blocker
        [undo] = list_activity(con, ActivityFilter(actions=("undo",)))
        assert not undo.undoable_kind
        assert undo_blocker(con, undo.id) == "An undo is taken back with Edit › Redo."


def test_kinds_that_cannot_be_undone_say_so(ws: Workspace) -> None:
    with ws.transaction() as con:
        ident = record_activity(con, actor="ana", action="export", summary="Export", count=3)
    with ws.reading() as con:
        assert undo_blocker(con, ident) == "Export entries cannot be undone."
        assert undo_blocker(con, ident + 1) is not None


def test_the_export_writes_the_filtered_entries_with_who_and_profile(
    ws: Workspace, tmp_path: Path
) -> None:
    fill(
        ws,
        [
            ("2025-01-05T09:00:00Z", "ana", "import", "Import of staff.csv"),
            ("2025-02-10T09:00:00Z", "ben", "export", '=HYPERLINK("x")'),
            ("2025-03-01T12:30:00Z", "ana", "export", "Export of the list"),
        ],
    )
    out = tmp_path / "activity.csv"
    with ws.reading() as con:
        written = export_activity(
            con, ActivityFilter(actions=("export",)), out, profile="Dept", workspace=ws.path
        )
    assert written == 2
    with out.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert tuple(rows[0]) == EXPORT_HEADER
    assert [(r[2], r[3], r[4], r[5]) for r in rows[1:]] == [
        ("ana", "Dept", "export", "Export of the list"),
        ("ben", "Dept", "export", '\'=HYPERLINK("x")'),
    ]


def test_the_export_never_writes_over_the_workspace(ws: Workspace) -> None:
    fill(ws, [("2025-01-05T09:00:00Z", "ana", "import", "Import of staff.csv")])
    before = ws.path.read_bytes()
    with ws.reading() as con, pytest.raises(UserError, match="workspace"):
        export_activity(con, ActivityFilter(), ws.path, profile="Dept", workspace=ws.path)
    assert ws.path.read_bytes() == before
