"""Contact queries (search, sort, paging from either end) and the summaries kept by triggers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mjdesk.core.contacts import (
    FIRST_MATCHES,
    ConsentRecord,
    ContactQuery,
    NewContact,
    SortKey,
    add_contacts,
    complete_view,
    count_contacts,
    fetch_rows,
    plan_view,
    record_consent,
)
from mjdesk.core.work import Cancelled, CancelToken
from mjdesk.core.workspace import Workspace

from support.generate import generate


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    path = generate(tmp_path_factory.mktemp("ws") / "sample.sqlite3", 3_000)
    ws = Workspace.open(path)
    yield ws
    ws.close()


def python_order(ws: Workspace, query: ContactQuery) -> list[int]:
    """The order the query must give, computed in Python from every row."""
    rows = ws.fetch(
        "SELECT id, email_key, last_name, first_name, consent_status, consent_at, "
        "consent_source, lists_label, subscription_label, flags FROM contacts_with_consent"
    )
    columns: dict[SortKey, Callable[[tuple[Any, ...]], tuple[Any, ...]]] = {
        SortKey.EMAIL: lambda r: (r[1],),
        SortKey.NAME: lambda r: (r[2].lower(), r[3].lower()),
        SortKey.CONSENT: lambda r: (r[4], r[5] or ""),
        SortKey.LISTS: lambda r: (r[7].lower(),),
    }
    key = columns[query.sort]
    ordered = sorted(rows, key=lambda r: (*key(r), r[0]), reverse=query.descending)
    return [r[0] for r in ordered]


def all_ids(ws: Workspace, query: ContactQuery, block: int = 97) -> list[int]:
    con = ws.reader()
    try:
        view = plan_view(con, query)
        ids: list[int] = []
        for start in range(0, view.total, block):
            ids.extend(row.id for row in fetch_rows(con, view, start, block))
        return ids
    finally:
        con.close()


@pytest.mark.parametrize("sort", [SortKey.EMAIL, SortKey.NAME, SortKey.CONSENT, SortKey.LISTS])
@pytest.mark.parametrize("descending", [False, True])
def test_paging_from_either_end_gives_one_consistent_order(
    sample: Workspace, sort: SortKey, descending: bool
) -> None:
    query = ContactQuery(sort=sort, descending=descending)
    if sort in (SortKey.NAME, SortKey.LISTS):
        # NOCASE folds ASCII only: compare with SQLite's own order for non-ASCII names.
        expected = [
            r[0]
            for r in sample.fetch(f"SELECT id FROM contacts ORDER BY {sort.order_by(descending)}")
        ]
    else:
        expected = python_order(sample, query)
    assert all_ids(sample, query) == expected


def expected_matches(ws: Workspace, text: str) -> list[int]:
    """What a search must find, worked out in Python from every contact."""
    terms = ContactQuery(text).terms
    substring = any(len(t) >= 3 for t in terms)

    def found(email: str, first: str, last: str) -> bool:
        if substring:
            return all(t.lower() in f"{email} {first} {last}".lower() for t in terms)
        return all(
            any(part.lower().startswith(t.lower()) for part in (email, first, last)) for t in terms
        )

    rows = ws.fetch("SELECT id, email, first_name, last_name FROM contacts")
    return sorted(r[0] for r in rows if found(r[1], r[2], r[3]))


@pytest.mark.parametrize(
    "text",
    ["york.ac", "TAYLOR", "ólafs", "son 12", "smith y", "@gm", "z", "ma", "ma ta", "zz"],
)
def test_search_finds_substrings_or_short_prefixes(sample: Workspace, text: str) -> None:
    con = sample.reader()
    try:
        view = plan_view(con, ContactQuery(text))
        walked = plan_view(con, ContactQuery(text), first_page=True)
    finally:
        con.close()
    expected = expected_matches(sample, text)
    assert view.ids is not None
    assert sorted(view.ids) == expected
    assert view.total == len(expected)
    assert walked.ids is not None
    assert list(walked.ids) == list(view.ids[: len(walked.ids)])  # same rows, same order


def test_search_text_with_quotes_and_wildcards_is_literal(sample: Workspace) -> None:
    con = sample.reader()
    try:
        for text in ('"', "o'brien", "%", "_", "a*b", "NEAR(", "\\", "%%%", "a_b"):
            view = plan_view(con, ContactQuery(text))
            assert view.total == len(expected_matches(sample, text)), text
    finally:
        con.close()


def test_a_search_is_sorted_and_pages_like_the_whole_table(sample: Workspace) -> None:
    query = ContactQuery("smith", SortKey.NAME, descending=True)
    ids = all_ids(sample, query, block=7)
    rows = {r[0]: r for r in sample.fetch("SELECT id, last_name, first_name FROM contacts")}
    keys = [(rows[i][1].lower(), rows[i][2].lower(), i) for i in ids]
    assert keys == sorted(keys, reverse=True)
    assert len(ids) > 10


def test_a_broad_search_starts_with_its_first_page(sample: Workspace) -> None:
    con = sample.reader()
    try:
        query = ContactQuery("york", SortKey.NAME)
        full = plan_view(con, query)
        first = plan_view(con, query, first_page=True)
        rest = complete_view(con, first)
    finally:
        con.close()
    assert full.ids is not None
    assert first.ids is not None
    assert rest.ids is not None
    assert full.total > FIRST_MATCHES
    assert not first.complete
    assert first.total == FIRST_MATCHES
    assert list(first.ids) == list(full.ids[:FIRST_MATCHES])
    assert rest.complete
    assert list(rest.ids) == list(full.ids)


def test_matches_far_down_the_sort_order_get_their_first_page_from_the_index(
    sample: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "yusuf" addresses sort last: walking from the top finds none of them, so the index
    # lists the matches and SQLite keeps the first page.
    monkeypatch.setattr("mjdesk.core.contacts.FIRST_MATCHES", 20)
    monkeypatch.setattr("mjdesk.core.contacts.PROBE_ROWS", 100)
    con = sample.reader()
    try:
        full = plan_view(con, ContactQuery("yusuf"))
        first = plan_view(con, ContactQuery("yusuf"), first_page=True)
    finally:
        con.close()
    assert full.ids is not None
    assert first.ids is not None
    assert full.total > 20
    assert not first.complete
    assert list(first.ids) == list(full.ids[:20])


def test_a_narrow_search_is_listed_whole_at_once(sample: Workspace) -> None:
    con = sample.reader()
    try:
        view = plan_view(con, ContactQuery("o'brien smith"), first_page=True)
    finally:
        con.close()
    assert view.complete
    assert view.total < FIRST_MATCHES


def test_a_cancelled_search_raises_cancelled(sample: Workspace) -> None:
    token = CancelToken()
    token.cancel()
    con = sample.reader()
    try:
        with pytest.raises(Cancelled):
            plan_view(con, ContactQuery("taylor"), token)
    finally:
        con.close()


def test_fetch_rows_past_the_end_is_empty(sample: Workspace) -> None:
    con = sample.reader()
    try:
        view = plan_view(con, ContactQuery())
        assert fetch_rows(con, view, view.total, 10) == []
        assert len(fetch_rows(con, view, view.total - 3, 10)) == 3
    finally:
        con.close()


def test_counts(sample: Workspace) -> None:
    con = sample.reader()
    try:
        counts = count_contacts(con)
    finally:
        con.close()
    by_sql = dict(
        sample.fetch("SELECT consent_status, count(*) FROM contacts_with_consent GROUP BY 1")
    )
    assert counts.total == 3_000
    assert counts.granted == by_sql["granted"]
    assert counts.withdrawn == by_sql["withdrawn"]
    assert counts.without_consent == by_sql["none"]


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = Workspace.open(tmp_path / "w.sqlite3")
    yield workspace
    workspace.close()


def consent_of(ws: Workspace) -> tuple[str, str | None, str]:
    return ws.fetch("SELECT consent_status, consent_at, consent_source FROM contacts_with_consent")[
        0
    ]


def test_a_withdrawal_is_never_overridden_by_an_older_grant(ws: Workspace) -> None:
    with ws.transaction() as con:
        add_contacts(con, [NewContact("a@x.org")], actor="t")
        record_consent(con, 1, ConsentRecord("withdrawn", "2025-05-01T00:00:00Z"), "t")
        record_consent(con, 1, ConsentRecord("granted", "2025-01-01T00:00:00Z", "old.csv"), "t")
    assert consent_of(ws) == ("withdrawn", "2025-05-01T00:00:00Z", "")
    with ws.transaction() as con:  # a newer grant does count
        record_consent(con, 1, ConsentRecord("granted", "2025-06-01T00:00:00Z", "new.csv"), "t")
    assert consent_of(ws) == ("granted", "2025-06-01T00:00:00Z", "new.csv")
    with ws.transaction() as con:  # on the same second, withdrawal wins
        record_consent(con, 1, ConsentRecord("withdrawn", "2025-06-01T00:00:00Z"), "t")
    assert consent_of(ws)[0] == "withdrawn"


def labels(ws: Workspace) -> tuple[str, str]:
    return ws.fetch("SELECT lists_label, subscription_label FROM contacts")[0]


def test_list_and_subscription_labels_follow_memberships(ws: Workspace) -> None:
    with ws.transaction() as con:
        add_contacts(con, [NewContact("a@x.org")], actor="t")
        for name in ("Newsletter", "Alumni"):
            con.execute("INSERT INTO lists (name, created_at) VALUES (?, 'now')", (name,))
        con.execute("INSERT INTO memberships (contact_id, list_id, added_at) VALUES (1, 1, 'n')")
    assert labels(ws) == ("Newsletter", "subscribed")
    with ws.transaction() as con:
        con.execute("INSERT INTO memberships (contact_id, list_id, added_at) VALUES (1, 2, 'n')")
        con.execute("UPDATE memberships SET mailjet_status = 'unsubscribed' WHERE list_id = 2")
    assert labels(ws) == ("Alumni, Newsletter", "unsubscribed from 1 of 2")
    with ws.transaction() as con:
        con.execute("UPDATE lists SET name = 'Graduates' WHERE id = 2")
        con.execute("DELETE FROM memberships WHERE list_id = 1")
    assert labels(ws) == ("Graduates", "unsubscribed")


def test_search_index_follows_edits_and_deletes(ws: Workspace) -> None:
    with ws.transaction() as con:
        add_contacts(con, [NewContact("ann@x.org", "Ann", "Lee")], actor="t")
        con.execute("UPDATE contacts SET last_name = 'Okafor' WHERE id = 1")

    def found(text: str) -> int:
        con = ws.reader()
        try:
            return plan_view(con, ContactQuery(text)).total
        finally:
            con.close()

    assert found("okafor") == 1
    assert found("lee") == 0
    with ws.transaction() as con:
        con.execute("DELETE FROM contacts")
    assert found("ann") == 0


@pytest.mark.parametrize("text", ["ma", "Ma", "s", "yu", "ó", "zz", "a_", "o'"])
@pytest.mark.parametrize("descending", [False, True])
def test_a_search_by_one_or_two_letters_takes_its_first_page_from_the_indexes(
    sample: Workspace, monkeypatch: pytest.MonkeyPatch, text: str, descending: bool
) -> None:
    # Matches far from the top of the address order: the first page comes from the three
    # indexes (address, first name, last name) merged, and must be the whole view's start.
    monkeypatch.setattr("mjdesk.core.contacts.FIRST_MATCHES", 20)
    monkeypatch.setattr("mjdesk.core.contacts.PROBE_ROWS", 10)
    con = sample.reader()
    try:
        query = ContactQuery(text, SortKey.EMAIL, descending)
        full = plan_view(con, query)
        first = plan_view(con, query, first_page=True)
    finally:
        con.close()
    assert full.ids is not None
    assert first.ids is not None
    assert list(first.ids) == list(full.ids[:20])
    assert first.complete == (full.total < 20)
    # And the whole view is what the words mean: an address or a name starts with them.
    rows = sample.fetch("SELECT id, email_key, first_name, last_name FROM contacts")
    wanted = {
        i
        for i, key, first_name, last_name in rows
        if key.startswith(text.casefold())
        or _ascii_fold(first_name).startswith(_ascii_fold(text))
        or _ascii_fold(last_name).startswith(_ascii_fold(text))
    }
    assert set(full.ids) == wanted


def _ascii_fold(text: str) -> str:
    """Lower case for A-Z only, as SQLite's NOCASE (and LIKE) compare."""
    return text.translate({c: c + 32 for c in range(ord("A"), ord("Z") + 1)})


@pytest.mark.parametrize("text", ["smith", "york", "yusuf", "ólafs", "smith 1", "gmail.com"])
@pytest.mark.parametrize("sort", [SortKey.EMAIL, SortKey.NAME, SortKey.CONSENT_DATE])
@pytest.mark.parametrize("budget", [50, 100_000])
def test_every_way_to_a_first_page_gives_the_whole_views_start(
    sample: Workspace, monkeypatch: pytest.MonkeyPatch, text: str, sort: SortKey, budget: int
) -> None:
    # Small samples and budgets make each way run: the row-by-row probe, the walk that
    # looks rows up among the indexed matches, and the index listing them all.
    monkeypatch.setattr("mjdesk.core.contacts.FIRST_MATCHES", 15)
    monkeypatch.setattr("mjdesk.core.contacts.PROBE_ROWS", 20)
    monkeypatch.setattr("mjdesk.core.contacts.IN_ORDER_ROWS", budget)
    con = sample.reader()
    try:
        for descending in (False, True):
            query = ContactQuery(text, sort, descending)
            full = plan_view(con, query)
            first = plan_view(con, query, first_page=True)
            assert full.ids is not None
            assert first.ids is not None
            assert list(first.ids) == list(full.ids[:15]), (text, sort, descending)
            assert first.complete == (full.total < 15)
    finally:
        con.close()
