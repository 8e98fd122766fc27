"""The filter panel's counts as vector sums: who has which value of each facet, read once
into arrays over contact ids, so a count under any filter is a few passes over a million
small numbers rather than a query per facet (seconds at a million contacts).

:func:`mjdesk.core.filters.count_facet` answers the same question in SQL; it stays as the
plain way, and a differential test holds the two to the same counts. The index is read
again after every change to the workspace (in the background, seconds at a million).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mjdesk.core.filters import Consent, ContactFilter, Facet, FacetChoice
from mjdesk.core.flags import Flag
from mjdesk.core.work import CancelToken

if TYPE_CHECKING:
    import numpy as np

#: consent codes, by position in `Consent` (0: no contact with that id)
_CONSENT_CODES = {consent.stored: code for code, consent in enumerate(Consent, start=1)}


class FacetIndex:
    """Each contact's consent state and source as codes in arrays indexed by contact id,
    and for each list, flag and import the ids of its contacts."""

    def __init__(
        self,
        cutoff: str,
        consent: np.ndarray,
        source: np.ndarray,
        source_names: list[str],
        members: dict[Facet, dict[object, np.ndarray]],
        labels: dict[Facet, list[tuple[object, str]]],
    ) -> None:
        self.cutoff = cutoff
        self.consent = consent
        self.source = source
        self.source_names = source_names
        self.members = members
        self.labels = labels

    @classmethod
    def read(
        cls, con: sqlite3.Connection, cutoff: str, cancel: CancelToken | None = None
    ) -> FacetIndex:
        """Read the index from a workspace (a reading connection; about two seconds at a
        million contacts). ``cutoff``: when a granted consent becomes stale."""
        import numpy as np  # (not at start-up)

        def ids(sql: str, params: Sequence[object] = ()) -> np.ndarray:
            if cancel is not None:
                cancel.check()
            cursor = con.execute(sql, params)
            chunks = []
            while rows := cursor.fetchmany(200_000):
                chunks.append(np.fromiter((row[0] for row in rows), np.int64, len(rows)))
            return np.concatenate(chunks) if chunks else np.zeros(0, np.int64)

        top = int(con.execute("SELECT coalesce(max(id), 0) FROM contacts").fetchone()[0])
        consent = np.zeros(top + 1, np.int8)
        consent[ids("SELECT id FROM contacts")] = _CONSENT_CODES[Consent.NONE.stored]
        for status, where, params in (
            (Consent.WITHDRAWN, "consent_status = 'withdrawn'", ()),
            (Consent.CURRENT, "consent_status = 'granted' AND consent_at >= ?", (cutoff,)),
            (Consent.STALE, "consent_status = 'granted' AND consent_at < ?", (cutoff,)),
        ):
            consent[ids(f"SELECT contact_id FROM consent_summaries WHERE {where}", params)] = (
                _CONSENT_CODES[status.stored]
            )
        source = np.zeros(top + 1, np.int32)
        names = [
            str(row[0])
            for row in con.execute(
                "SELECT DISTINCT consent_source FROM consent_summaries ORDER BY consent_source"
            )
        ]
        for code, name in enumerate(names):
            if code:  # (code 0 is the first name, also where there is no contact)
                source[
                    ids(
                        "SELECT contact_id FROM consent_summaries WHERE consent_source = ?", (name,)
                    )
                ] = code
        members: dict[Facet, dict[object, np.ndarray]] = {
            Facet.FLAG: {
                flag.stored: ids(
                    "SELECT contact_id FROM contact_flags WHERE flag = ?", (flag.stored,)
                )
                for flag in Flag
            },
        }
        lists = [(int(i), str(name)) for i, name in con.execute(_LISTS)]
        members[Facet.LIST] = {
            i: ids("SELECT contact_id FROM memberships WHERE list_id = ?", (i,)) for i, _ in lists
        }
        imports = [(int(i), f"{name} ({at[:10]})") for i, name, at in con.execute(_IMPORTS)]
        members[Facet.IMPORT] = {
            i: ids("SELECT DISTINCT contact_id FROM consent_ledger WHERE batch_id = ?", (i,))
            for i, _ in imports
        }
        labels: dict[Facet, list[tuple[object, str]]] = {
            Facet.FLAG: [(flag.stored, flag.label) for flag in Flag],
            Facet.LIST: [(i, name) for i, name in lists],
            Facet.IMPORT: [(i, label) for i, label in imports],
        }
        return cls(cutoff, consent, source, names, members, labels)

    @property
    def size(self) -> int:
        return len(self.consent)

    def mask(
        self, wanted: ContactFilter, search: np.ndarray | None = None, *, skip: Facet | None = None
    ) -> np.ndarray:
        """Which contact ids the filter (but the ``skip`` facet) and the search keep."""
        import numpy as np

        keep: np.ndarray = self.consent > 0
        if search is not None:
            found = np.zeros(self.size, bool)
            found[search[search < self.size]] = True
            keep &= found
        for facet in Facet:
            values = wanted.picked(facet)
            if facet is skip or not values:
                continue
            if facet is Facet.CONSENT:
                codes = [_CONSENT_CODES[str(v)] for v in values]
                keep &= np.isin(self.consent, codes)
            elif facet is Facet.SOURCE:
                codes = [i for i, name in enumerate(self.source_names) if name in values]
                keep &= np.isin(self.source, codes)
            else:
                any_of = np.zeros(self.size, bool)
                for value in values:
                    if value in self.members[facet]:
                        any_of[self.members[facet][value]] = True
                keep &= any_of
        return keep

    def count(
        self, facet: Facet, wanted: ContactFilter, search: np.ndarray | None = None
    ) -> list[FacetChoice]:
        """The choices of ``facet`` with their counts under every other facet's choice and
        the search (the ids it finds), as `count_facet` gives them."""
        import numpy as np

        keep = self.mask(wanted, search, skip=facet)
        if facet is Facet.CONSENT:
            counts = np.bincount(self.consent[keep], minlength=len(Consent) + 1)
            return [
                FacetChoice(c.stored, c.label, int(counts[_CONSENT_CODES[c.stored]]))
                for c in Consent
            ]
        if facet is Facet.SOURCE:
            counts = np.bincount(self.source[keep], minlength=len(self.source_names))
            return [
                FacetChoice(name, name or "No source file", int(counts[code]))
                for code, name in enumerate(self.source_names)
                if counts[code]
            ]
        return [
            FacetChoice(value, label, int(np.count_nonzero(keep[self.members[facet][value]])))
            for value, label in self.labels[facet]
        ]


_LISTS = "SELECT id, name FROM lists ORDER BY name COLLATE NOCASE"
_IMPORTS = (
    "SELECT id, file_name, imported_at FROM import_batches WHERE undone_at IS NULL ORDER BY id DESC"
)
