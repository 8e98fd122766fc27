"""The filter panel's fast counts (core.facet_index) against the plain SQL ones
(core.filters.count_facet): the same numbers for any filter and search."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mjdesk.core.contacts import ContactQuery, plan_view, search_sql
from mjdesk.core.facet_index import FacetIndex
from mjdesk.core.filters import ContactFilter, Facet, count_facet
from mjdesk.core.workspace import Workspace

from support.generate import generate

CUTOFF = "2024-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    path = generate(tmp_path_factory.mktemp("facets") / "w.sqlite3", 3_000)
    workspace = Workspace.open(path)
    with workspace.transaction() as con:  # an import of some of them, and a gap in the ids
        con.execute(
            "INSERT INTO import_batches (file_name, file_sha256, imported_by, imported_at) "
            "VALUES ('more.csv', '', 't', '2025-01-01T00:00:00Z')"
        )
        con.execute(
            "INSERT INTO consent_ledger (contact_id, status, given_at, source_file, "
            "recorded_by, recorded_at, batch_id) SELECT id, 'granted', '2025-02-01', "
            "'more.csv', 't', 'n', 2 FROM contacts WHERE id % 3 = 0"
        )
        con.execute("INSERT INTO ledger_release (kind, ref) VALUES ('contact', 17)")
        con.execute("DELETE FROM consent_ledger WHERE contact_id = 17")
        con.execute("DELETE FROM contacts WHERE id = 17")
    yield workspace
    workspace.close()


_FILTERS = st.builds(
    ContactFilter,
    consent=st.frozensets(st.sampled_from(["current", "stale", "withdrawn", "none"])),
    flags=st.frozensets(st.sampled_from(["same_name", "near_address", "role", "typo"])),
    lists=st.frozensets(st.sampled_from([1, 2, 3, 99])),
    sources=st.frozensets(st.sampled_from(["", "careers-fair.csv", "more.csv"])),
    imports=st.frozensets(st.sampled_from([1, 2, 5])),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(wanted=_FILTERS, text=st.sampled_from(["", "smith", "york.ac", "zz"]))
def test_fast_counts_agree_with_the_plain_ones(
    ws: Workspace, wanted: ContactFilter, text: str
) -> None:
    with ws.reading() as con:
        index = FacetIndex.read(con, CUTOFF)
        query = ContactQuery(text)
        search = search_sql(con, query)
        found = None
        if text:
            import numpy as np

            view = plan_view(con, query)
            assert view.ids is not None
            found = np.frombuffer(view.ids, dtype=np.int64)
        for facet in Facet:
            plain = count_facet(con, facet, wanted, CUTOFF, search)
            assert index.count(facet, wanted, found) == plain, facet
