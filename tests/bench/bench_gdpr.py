"""GDPR requests on a 1,000,000-contact workspace: the access export and the erasure of one
person, with a check that nothing of the erased is left in the file.

Run with ``make bench`` (or ``python tests/bench/bench_gdpr.py [--contacts N]``). Targets
(issue #13), on a 2-core machine: access export of one person at most 200 ms; erasure of one
person (nothing left in the file) at most 1 s. Works on a copy of the cached workspace of
bench_contacts.py, never on the cache itself.
"""

from __future__ import annotations

import argparse
import mmap
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.bench_contacts import data_dir  # noqa: E402

from mjdesk.core.details import access_export, contact_details  # noqa: E402
from mjdesk.core.erasure import SECURE_FTS, erase_contact  # noqa: E402
from mjdesk.core.workspace import Workspace  # noqa: E402

ACCESS_TARGET_S = 0.2
ERASE_TARGET_S = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    cached = data_dir(args.contacts) / "data" / "workspaces" / "Bench.sqlite3"
    with tempfile.TemporaryDirectory(prefix="mjdesk-bench-gdpr-") as temp:
        file = Path(temp) / "Bench.sqlite3"
        began = time.perf_counter()
        shutil.copyfile(cached, file)
        print(f"copied the workspace in {time.perf_counter() - began:.1f} s", flush=True)
        began = time.perf_counter()
        with Workspace.open(file) as ws:
            print(f"opened (and upgraded) in {time.perf_counter() - began:.1f} s", flush=True)
            total = int(ws.fetch("SELECT max(id) FROM contacts")[0][0])
            chosen = random.Random(13).sample(range(1, total + 1), args.rounds + 1)
            people = {
                i: str(ws.fetch("SELECT email_key FROM contacts WHERE id = ?", (i,))[0][0])
                for i in chosen
            }
            began = time.perf_counter()
            erase_contact(ws, chosen[0], actor="bench")
            print(
                f"first erasure (once per workspace made before erasures zeroed: the file is "
                f"made again): {time.perf_counter() - began:.1f} s",
                flush=True,
            )
            access, erase = [], []
            for contact_id in chosen[1:]:
                began = time.perf_counter()
                with ws.reading() as con:
                    details = contact_details(con, contact_id)
                assert details is not None
                access_export(details, Path(temp) / "access")
                access.append(time.perf_counter() - began)
                began = time.perf_counter()
                done = erase_contact(ws, contact_id, actor="bench")
                erase.append(time.perf_counter() - began)
                assert done.log_emptied
            left = _left_in(file, list(people.values()))
            con = sqlite3.connect(file)
            try:
                gone = con.execute(
                    f"SELECT count(*) FROM contacts WHERE id IN ({','.join('?' * len(chosen))})",
                    chosen,
                ).fetchone()[0]
            finally:
                con.close()
    print(f"SQLite {sqlite3.sqlite_version}: search index purged by "
          + ("secure-delete" if SECURE_FTS else "merging it whole (optimize)"))  # fmt: skip
    _report("access export of one person", access, ACCESS_TARGET_S)
    _report("erasure of one person", erase, ERASE_TARGET_S)
    print(f"erased addresses still in the file: {left}; erased contacts still there: {gone}")
    if left or gone:
        raise SystemExit("an erased person is still in the workspace")


def _left_in(file: Path, addresses: list[str]) -> int:
    with file.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as raw:
        return sum(raw.find(address.encode("utf-8")) >= 0 for address in addresses)


def _report(what: str, times: list[float], target: float) -> None:
    median, worst = statistics.median(times), max(times)
    verdict = "ok" if worst <= target else "OVER TARGET"
    print(
        f"{what}: median {median * 1000:.0f} ms, worst {worst * 1000:.0f} ms "
        f"(target {target * 1000:.0f} ms): {verdict}",
        flush=True,
    )


if __name__ == "__main__":
    main()
