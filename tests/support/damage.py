"""A workspace with pages overwritten in the middle (its header intact), as a disk fault or
a careless copy leaves it.

The pages are chosen among the address-key index's leaves, not by their place in the file,
so a migration that moves the pages does not move the damage into rows a test reads.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from mjdesk.core.workspace import Workspace

from support.importing import run_import


def damaged_workspace(target: Path, contacts: int = 3000) -> Path:
    """Make a workspace of ``contacts`` at ``target``, then overwrite a few of its pages."""
    rows = [[f"p{i}@example.org", f"P{i}", "Q", "yes", "2025-01-01", "T"] for i in range(contacts)]
    with Workspace.open(target) as ws:
        run_import(ws, rows)
        ws.fetch("PRAGMA wal_checkpoint(TRUNCATE)")
    with sqlite3.connect(target) as con:  # dbstat numbers pages from 1
        leaves = [
            int(row[0]) - 1
            for row in con.execute(
                "SELECT pageno FROM dbstat WHERE name = 'contacts_by_key' AND pagetype = 'leaf'"
                " ORDER BY pageno"
            )
        ]
    con.close()
    data = bytearray(target.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    rng = random.Random(7)
    for number in (
        leaves[len(leaves) // 2],
        leaves[len(leaves) // 2 + 1],
        leaves[len(leaves) // 3],
    ):
        start = number * page
        data[start : start + page] = rng.randbytes(page)
    target.write_bytes(bytes(data))
    return target
