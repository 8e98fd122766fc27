"""Indexes that catch up after a big import: searches stay right before, the backlog is
worked off in steps that a cancel or a later import can interrupt without harm."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mjdesk.core.contacts import ContactQuery, NewContact, SortKey, add_contacts, plan_view
from mjdesk.core.importing.undo import undo_import
from mjdesk.core.indexing import backlog, catch_up
from mjdesk.core.work import Cancelled, CancelToken
from mjdesk.core.workspace import Workspace

from support.importing import check_derived, run_import

PEOPLE = [
    [f"p{i:04d}@example.org", f"Ann{i}", ["Ólafsdóttir", "Smith"][i % 2], "yes", "", ""]
    for i in range(300)
]


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = Workspace.open(tmp_path / "ws.sqlite3")
    yield workspace
    workspace.close()


def found(ws: Workspace, text: str, sort: SortKey = SortKey.EMAIL) -> list[str]:
    with ws.reading() as con:
        view = plan_view(con, ContactQuery(text, sort))
        ids = list(view.ids or [])
        marks = ",".join("?" * len(ids))
        by_id = dict(con.execute(f"SELECT id, email FROM contacts WHERE id IN ({marks})", ids))
    return [by_id[i] for i in ids]


def test_a_bulk_import_leaves_its_indexes_for_later_and_searches_still_find_everything(
    ws: Workspace,
) -> None:
    with ws.transaction() as con:  # indexed the usual way, by the triggers
        add_contacts(con, [NewContact("olaf@example.org", "Ólaf", "Old")], actor="t")
    run_import(ws, PEOPLE, bulk=True)
    with ws.reading() as con:
        pending = backlog(con)
    assert pending.search_rows == 300
    assert "contacts_by_name" in pending.indexes
    before = {text: found(ws, text) for text in ("ólaf", "smith ann1", "p02", "example")}
    assert len(before["ólaf"]) == 151  # the old contact and the 150 new ones
    assert before["smith ann1"] == [
        f"p{i:04d}@example.org" for i in range(1, 300, 2) if str(i).startswith("1")
    ]
    assert len(before["example"]) == 301
    progress: list[tuple[int, int]] = []
    result = catch_up(ws, progress=lambda done, total: progress.append((done, total)))
    assert result.contacts_indexed == 300
    assert result.indexes_built == len(pending.indexes)
    assert progress[-1][0] == progress[-1][1] == pending.work
    with ws.reading() as con:
        assert backlog(con).empty
    assert {text: found(ws, text) for text in before} == before
    check_derived(ws)


def test_catch_up_works_in_steps_and_a_cancel_keeps_what_is_done(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mjdesk.core.indexing as indexing

    monkeypatch.setattr(indexing, "SEARCH_CHUNK", 100)
    run_import(ws, PEOPLE, bulk=True)
    with ws.reading() as con:
        deferred = len(backlog(con).indexes)
    token = CancelToken()
    steps = []

    def progress(done: int, total: int) -> None:
        steps.append(done)
        if len(steps) == 4:  # start, then some indexes
            token.cancel()

    with pytest.raises(Cancelled):
        catch_up(ws, progress=progress, cancel=token)
    with ws.reading() as con:
        left = backlog(con)
    assert 0 < len(left.indexes) < deferred
    assert left.search_rows == 300
    assert len(found(ws, "smith")) == 150  # still right half-way
    catch_up(ws)
    check_derived(ws)


def test_ids_reused_after_an_undo_are_not_indexed_twice(ws: Workspace) -> None:
    result, _ = run_import(ws, PEOPLE, bulk=True)
    undo_import(ws, result.batch_id, actor="t")
    run_import(ws, PEOPLE[:5], bulk=False)  # the same ids, indexed by the triggers
    catch_up(ws)
    check_derived(ws)
    assert found(ws, "ann0") == ["p0000@example.org"]


def test_contacts_changed_before_catching_up_are_indexed_as_they_are(
    ws: Workspace,
) -> None:
    run_import(ws, PEOPLE, bulk=True)
    with ws.transaction() as con:
        con.execute(
            "UPDATE contacts SET first_name = 'Zebedee' WHERE email_key = 'p0007@example.org'"
        )
    assert found(ws, "zebedee") == ["p0007@example.org"]
    catch_up(ws)
    assert found(ws, "zebedee") == ["p0007@example.org"]
    assert found(ws, "ann7") == [
        f"p{i:04d}@example.org" for i in (70, 71, 72, 73, 74, 75, 76, 77, 78, 79)
    ]
    check_derived(ws)
