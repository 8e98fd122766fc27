"""Run the sandbox alone:

python -m mjdesk.sandbox --port P [--seed] [--state FILE] [--https]
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from mjdesk.sandbox.seed import seeded_store
from mjdesk.sandbox.server import Sandbox
from mjdesk.sandbox.store import Store, practice_key
from mjdesk.sandbox.tls import TlsUnavailable


def main(argv: list[str] | None = None) -> int:
    """Start the sandbox, print its URL and practice keys, serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m mjdesk.sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free one)")
    parser.add_argument("--seed", action="store_true", help="start with the practice data")
    parser.add_argument("--state", type=Path, help="load the state from and save it to this file")
    parser.add_argument("--https", action="store_true", help="serve HTTPS with a throw-away CA")
    args = parser.parse_args(argv)
    if args.state is not None and args.state.exists():
        store = Store()
    elif args.seed:
        store = seeded_store()
    else:
        store = Store()
        key, secret = practice_key("department")
        store.add_account("Department (practice)", key, secret)
    sandbox = Sandbox(store, port=args.port, tls=args.https, state_file=args.state)
    try:
        sandbox.start()
    except TlsUnavailable as problem:
        sys.stderr.write(f"{problem}\n")
        return 2
    out = sys.stdout
    out.write(f"Practice sandbox at {sandbox.url} (nothing is sent)\n")
    if sandbox.ca_file is not None:
        out.write(f"CA certificate: {sandbox.ca_file} (set REQUESTS_CA_BUNDLE to it)\n")
    out.write("Practice key pairs (API key / secret key; these are not real secrets):\n")
    for account in store.accounts.values():
        out.write(f"  {account.name}: {account.api_key} / {account.secret_key}\n")
    out.flush()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
