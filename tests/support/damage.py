"""A workspace with pages overwritten in the middle (its header intact), as a disk fault or
a careless copy leaves it."""

from __future__ import annotations

import random
from pathlib import Path

from mjdesk.core.workspace import Workspace

from support.importing import run_import


def damaged_workspace(target: Path, contacts: int = 3000) -> Path:
    """Make a workspace of ``contacts`` at ``target``, then overwrite a few of its pages."""
    rows = [[f"p{i}@example.org", f"P{i}", "Q", "yes", "2025-01-01", "T"] for i in range(contacts)]
    with Workspace.open(target) as ws:
        run_import(ws, rows)
        ws.fetch("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(target.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    pages = len(data) // page
    rng = random.Random(7)
    for number in (pages // 2, pages // 2 + 1, pages // 3):
        start = number * page
        data[start : start + page] = rng.randbytes(page)
    target.write_bytes(bytes(data))
    return target
