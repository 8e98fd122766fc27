"""Run the sandbox alone:

python -m mjdesk.sandbox --port P [--seed] [--campaigns N] [--state FILE] [--https]
    [--faults 429:0.1,503:0.05,drop:0.02] [--fault-seed N] [--latency MS]
    [--job-seconds S] [--job-rate ROWS]
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from mjdesk.sandbox.faults import parse_chances
from mjdesk.sandbox.seed import LONG_HISTORY_EVERY_DAYS, seeded_store
from mjdesk.sandbox.server import Sandbox
from mjdesk.sandbox.store import Store, practice_key
from mjdesk.sandbox.tls import TlsUnavailable

_FAULTS_HELP = (
    "make each request fail by chance: comma-separated KIND:PROBABILITY, one draw per request "
    "(so they add up to at most 1). Kinds: 429 (HTML body, no Retry-After), 500 and 503 "
    "(Mailjet's JSON error), drop (connection closed, nothing done), lost (a write is applied, "
    "then the connection is closed without a reply), slow (the reply waits; slow:P:SECONDS, "
    "5 s unless given). Example: 429:0.1,503:0.05,drop:0.02"
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mjdesk.sandbox",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free one)")
    parser.add_argument("--seed", action="store_true", help="start with the practice data")
    parser.add_argument(
        "--campaigns",
        type=int,
        metavar="N",
        help="seed N sent campaigns instead of 12, about 1.4 days apart (implies --seed; "
        "500 makes a long history for statistics benchmarks)",
    )
    parser.add_argument("--state", type=Path, help="load the state from and save it to this file")
    parser.add_argument("--https", action="store_true", help="serve HTTPS with a throw-away CA")
    parser.add_argument("--faults", default="", metavar="KIND:P,...", help=_FAULTS_HELP)
    parser.add_argument(
        "--fault-seed", type=int, metavar="N", help="seed the fault draws, to repeat a run exactly"
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        metavar="MS",
        help="milliseconds added before every reply (e.g. 50 for a far-away Mailjet)",
    )
    parser.add_argument(
        "--job-seconds",
        type=float,
        metavar="S",
        help="how long a bulk job or CSV import takes besides its rows (default 1; 0: at once)",
    )
    parser.add_argument(
        "--job-rate",
        type=float,
        metavar="ROWS",
        help="contacts or CSV rows a job gets through per second (default 20000; 0: no limit)",
    )
    return parser


def build(argv: list[str] | None = None) -> Sandbox:
    """The sandbox the command line describes, not yet started (``SystemExit`` on bad options)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        chances = parse_chances(args.faults)
    except ValueError as problem:
        parser.error(f"--faults: {problem}")
    if args.latency < 0:
        parser.error("--latency must not be negative")
    if args.state is not None and args.state.exists():
        store = Store()
    elif args.campaigns is not None:
        if args.campaigns < 0:
            parser.error("--campaigns must not be negative")
        store = seeded_store(campaigns=args.campaigns, every_days=LONG_HISTORY_EVERY_DAYS)
    elif args.seed:
        store = seeded_store()
    else:
        store = Store()
        key, secret = practice_key("department")
        store.add_account("Department (practice)", key, secret)
    sandbox = Sandbox(
        store,
        port=args.port,
        tls=args.https,
        state_file=args.state,
        latency=args.latency / 1000.0,
    )
    if args.job_seconds is not None:
        sandbox.store.options.job_seconds = max(0.0, args.job_seconds)
    if args.job_rate is not None:
        sandbox.store.options.job_rows_per_second = max(0.0, args.job_rate)
    sandbox.faults.set_chances(chances, seed=args.fault_seed)
    return sandbox


def main(argv: list[str] | None = None) -> int:
    """Start the sandbox, print its URL and practice keys, serve until interrupted."""
    sandbox = build(argv)
    store = sandbox.store
    try:
        sandbox.start()
    except TlsUnavailable as problem:
        sys.stderr.write(f"{problem}\n")
        return 2
    # A plain kill (SIGTERM) ends it as Ctrl-C does: the state is saved on the way out. The
    # handler is in place before the address is printed, so whoever reads it may kill at once.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        out = sys.stdout
        out.write(f"Practice sandbox at {sandbox.url} (nothing is sent)\n")
        if sandbox.ca_file is not None:
            out.write(f"CA certificate: {sandbox.ca_file} (set REQUESTS_CA_BUNDLE to it)\n")
        out.write("Practice key pairs (API key / secret key; these are not real secrets):\n")
        for account in store.accounts.values():
            out.write(f"  {account.name}: {account.api_key} / {account.secret_key}\n")
        out.flush()
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    raise SystemExit(main())
