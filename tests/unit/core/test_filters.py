"""The review's filters and the counts beside each choice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mjdesk.core.contacts import (
    ConsentRecord,
    ContactQuery,
    NewContact,
    add_contacts,
    plan_view,
    search_sql,
)
from mjdesk.core.filters import (
    ContactFilter,
    Facet,
    count_facet,
    retention_months,
    set_retention_months,
    stale_before,
)
from mjdesk.core.flags import refresh_flags
from mjdesk.core.workspace import Workspace

CUTOFF = "2024-06-01T00:00:00Z"


def _granted(at: str, source: str = "form.csv") -> ConsentRecord:
    return ConsentRecord("granted", at, source, wording="Yes")


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = Workspace.open(tmp_path / "ws.sqlite3")
    people = [
        NewContact("fresh@x.org", "Fay", "Fresh", consent=_granted("2025-01-01T00:00:00Z")),
        NewContact("old@x.org", "Otto", "Old", consent=_granted("2023-01-01T00:00:00Z", "old.csv")),
        NewContact("info@x.org", consent=_granted("2025-02-01T00:00:00Z")),
        NewContact("gone@x.org", consent=ConsentRecord("withdrawn", "2025-01-01T00:00:00Z")),
        NewContact("never@x.org"),
    ]
    with workspace.transaction() as con:
        add_contacts(con, people, actor="t")
        con.execute("INSERT INTO lists (name, created_at) VALUES ('News', 'n'), ('Events', 'n')")
        con.execute(
            "INSERT INTO memberships (contact_id, list_id, added_at) "
            "VALUES (1, 1, 'n'), (2, 1, 'n'), (3, 2, 'n')"
        )
        refresh_flags(con)
    yield workspace
    workspace.close()


def _emails(ws: Workspace, query: ContactQuery, first_page: bool = False) -> list[str]:
    with ws.reading() as con:
        view = plan_view(con, query, first_page=first_page)
        assert view.ids is not None
        by_id = dict(con.execute("SELECT id, email FROM contacts"))
    return [by_id[i] for i in view.ids]


def _counts(
    ws: Workspace, facet: Facet, wanted: ContactFilter, text: str = ""
) -> dict[object, int]:
    with ws.reading() as con:
        search = search_sql(con, ContactQuery(text))
        return {c.value: c.contacts for c in count_facet(con, facet, wanted, CUTOFF, search)}


def test_consent_states_split_granted_by_the_retention_cutoff(ws: Workspace) -> None:
    assert _counts(ws, Facet.CONSENT, ContactFilter()) == {
        "current": 2,
        "stale": 1,
        "withdrawn": 1,
        "none": 1,
    }
    stale = ContactQuery(filter=ContactFilter(consent=frozenset({"stale"})), cutoff=CUTOFF)
    assert _emails(ws, stale) == ["old@x.org"]
    both = ContactFilter(consent=frozenset({"stale", "none"}))
    assert _emails(ws, ContactQuery(filter=both, cutoff=CUTOFF)) == ["never@x.org", "old@x.org"]


def test_facets_combine_and_each_counts_under_the_others(ws: Workspace) -> None:
    news = ContactFilter(lists=frozenset({1}))
    assert _emails(ws, ContactQuery(filter=news, cutoff=CUTOFF)) == ["fresh@x.org", "old@x.org"]
    # Under the list, consent counts only its members; the list facet ignores its own pick.
    assert _counts(ws, Facet.CONSENT, news) == {"current": 1, "stale": 1, "withdrawn": 0, "none": 0}
    assert _counts(ws, Facet.LIST, news) == {1: 2, 2: 1}
    current_news = news.with_values(Facet.CONSENT, frozenset({"current"}))
    assert _emails(ws, ContactQuery(filter=current_news, cutoff=CUTOFF)) == ["fresh@x.org"]
    assert _counts(ws, Facet.LIST, current_news) == {1: 1, 2: 1}
    assert _counts(ws, Facet.SOURCE, current_news) == {"form.csv": 1}
    role = ContactFilter(flags=frozenset({"role"}))
    assert _emails(ws, ContactQuery(filter=role, cutoff=CUTOFF)) == ["info@x.org"]
    assert _counts(ws, Facet.FLAG, news)["role"] == 0
    assert _counts(ws, Facet.FLAG, ContactFilter())["role"] == 1


def test_a_filter_and_a_search_narrow_each_other(ws: Workspace) -> None:
    granted = ContactFilter(consent=frozenset({"current", "stale"}))
    query = ContactQuery("old", filter=granted, cutoff=CUTOFF)
    assert _emails(ws, query) == ["old@x.org"]
    assert _emails(ws, query, first_page=True) == ["old@x.org"]
    assert _emails(ws, ContactQuery("x.org", filter=granted, cutoff=CUTOFF)) == [
        "fresh@x.org",
        "info@x.org",
        "old@x.org",
    ]
    assert _counts(ws, Facet.CONSENT, granted, "old") == {
        "current": 0,
        "stale": 1,
        "withdrawn": 0,
        "none": 0,
    }
    assert _counts(ws, Facet.LIST, granted, "fresh") == {1: 1, 2: 0}


def test_the_retention_period_is_kept_in_the_workspace(ws: Workspace) -> None:
    with ws.reading() as con:
        assert retention_months(con) == 24
    with ws.transaction() as con:
        set_retention_months(con, 12)
    with ws.reading() as con:
        assert retention_months(con) == 12
    with pytest.raises(ValueError, match="between 1 and 240"), ws.transaction() as con:
        set_retention_months(con, 0)


@pytest.mark.parametrize(
    ("today", "months", "cutoff"),
    [
        (datetime(2026, 12, 3, 10, 0, tzinfo=UTC), 24, "2024-12-03T10:00:00Z"),
        (datetime(2026, 3, 31, tzinfo=UTC), 1, "2026-02-28T00:00:00Z"),
        (datetime(2026, 1, 15, tzinfo=UTC), 13, "2024-12-15T00:00:00Z"),
        (datetime(2024, 2, 29, tzinfo=UTC), 12, "2023-02-28T00:00:00Z"),
    ],
)
def test_the_stale_cutoff_is_whole_months_back(today: datetime, months: int, cutoff: str) -> None:
    assert stale_before(months, today) == cutoff
