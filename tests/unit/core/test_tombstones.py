"""Tombstones recognise an erased address in any spelling, and hold no address."""

from __future__ import annotations

from pathlib import Path

from mjdesk.core.tombstones import add_tombstone, erased_among, hashes_for
from mjdesk.core.workspace import Workspace


def test_an_erased_address_is_recognised_but_not_stored(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "a.sqlite3") as ws:
        with ws.transaction() as con:
            add_tombstone(con, "Ann.Lee@York.ac.uk", actor="admin", reason="request 12")
        con = ws.reader()
        try:
            found = erased_among(
                con, [" ann.lee@york.ac.uk", "bob@york.ac.uk", "ANN.LEE@YORK.AC.UK"]
            )
        finally:
            con.close()
        assert found == {" ann.lee@york.ac.uk", "ANN.LEE@YORK.AC.UK"}
        rows = ws.fetch("SELECT * FROM tombstones")
        assert len(rows) == 1
        assert "ann" not in repr(rows).lower()
        assert rows[0][2:] == ("admin", "request 12")
    raw = (tmp_path / "a.sqlite3").read_bytes()
    assert b"ann.lee" not in raw.lower()


def test_two_workspaces_hash_the_same_address_differently(tmp_path: Path) -> None:
    digests = []
    for name in ("a", "b"):
        with Workspace.open(tmp_path / f"{name}.sqlite3") as ws:
            con = ws.reader()
            try:
                digests.append(hashes_for(con, ["x@y.org"])["x@y.org"])
            finally:
                con.close()
    assert digests[0] != digests[1]
