"""Consent review, bulk edits on a 1,000,000-contact workspace: withdraw the consent of
100,000 contacts in one step, undo it, redo it.

Run with ``make bench`` (or ``python tests/bench/bench_review_edits.py [--contacts N]
[--workspace FILE]``). Targets (issue #13), on a 2-core machine:
- bulk withdraw of 100,000 contacts: at most 3 s;
- its undo: at most 3 s.

The edits run on a copy of the generated workspace (`bench_contacts.data_dir`), made in a
temporary folder, so the cached one is never written to.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mjdesk.core.workspace import Workspace

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

TARGET_S = 3.0


def background(ws: Workspace) -> tuple[str, float, None]:
    """What the window does in the background after a big step (the user can carry on):
    build again the indexes the step left behind, and copy its pages from the log into
    the file."""
    from mjdesk.core.indexing import catch_up

    began = time.perf_counter()
    catch_up(ws)
    seconds = time.perf_counter() - began
    os.sync()  # (its writing done, as it would be by the time the user's next step comes)
    return ("  then, in the background: indexes", seconds, None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--selected", type=int, default=100_000)
    parser.add_argument(
        "--workspace", type=Path, help="a workspace file to copy (default: the generated one)"
    )
    args = parser.parse_args()

    from mjdesk.core.edits import withdraw_consent
    from mjdesk.core.indexing import catch_up
    from mjdesk.core.undo import redo_step, undo_step
    from mjdesk.core.workspace import Workspace

    source = args.workspace
    if source is None:
        from bench.bench_contacts import data_dir

        source = data_dir(args.contacts) / "data" / "workspaces" / "Bench.sqlite3"
    failures = 0
    with tempfile.TemporaryDirectory(prefix="mjdesk-bench-edits-") as temp:
        copy = Path(temp) / "Bench.sqlite3"
        print(f"copying {source} ...", flush=True)
        shutil.copyfile(source, copy)
        Workspace.open(copy).close()  # (a workspace of an older format is migrated here)
        for backup in copy.parent.glob("*.bak.sqlite3"):
            backup.unlink()
        os.sync()  # the copy on disk, so that its writing does not run beside the figures
        with Workspace.open(copy) as ws:
            contacts = ws.fetch("SELECT value FROM counters WHERE name = 'contacts'")[0][0]
            granted = [
                row[0]
                for row in ws.fetch(
                    "SELECT id "
                    "FROM contacts_with_consent WHERE consent_status = 'granted' ORDER BY id"
                )
            ]
            # The window checks the file in the background when it opens it; done here
            # first, so that the first write does not wait for it.
            ws.check_integrity()
            catch_up(ws)  # (indexes a step of an earlier run left behind, as the window would)
            os.sync()
            stride = max(1, len(granted) // args.selected)
            ids = granted[::stride][: args.selected]  # spread over the whole table

            figures: list[tuple[str, float, float | None]] = []
            began = time.perf_counter()
            result = withdraw_consent(ws, ids, "bench: asked by e-mail", actor="bench")
            label = f"withdraw consent of {len(ids):,} contacts"
            figures.append((label, time.perf_counter() - began, TARGET_S))
            assert result.done == len(ids), result

            figures.append(background(ws))

            began = time.perf_counter()
            undo_step(ws, result.activity_id, actor="bench")
            figures.append(("its undo", time.perf_counter() - began, TARGET_S))
            figures.append(background(ws))
            assert ws.fetch(
                "SELECT count(*) FROM consent_ledger WHERE wording = 'bench: asked by e-mail'"
            ) == [(0,)]

            began = time.perf_counter()
            redo_step(ws, result.activity_id, actor="bench")
            figures.append(("its redo", time.perf_counter() - began, None))

        print(f"\nBulk edits, {contacts:,} contacts")
        for label, seconds, target in figures:
            if target is None:
                print(f"  {label:<44} {seconds:>7.2f} s")
                continue
            ok = seconds <= target
            failures += not ok
            verdict = "ok" if ok else "OVER"
            print(f"  {label:<44} {seconds:>7.2f} s   (target <= {target:g} s) {verdict}")
    print(f"\n{failures} figure(s) over target")
    return 0  # (a figure over its target is printed, and `make bench` goes on to the next)


if __name__ == "__main__":
    sys.exit(main())
