"""Sync: the pull of a Mailjet list of 50,000 members against the sandbox with 50 ms added
to every response, through the real client: requests and seconds, first and again.

Run with ``make bench`` (or ``python tests/bench/bench_sync_pull.py [--members N]
[--latency-ms MS]``). Target (issue #14): a pull of 50,000 memberships in at most 60
requests. The first pull of a list also reads every member's properties (the consent a
colleague's push left there: N/1,000 more pages); a later one reads them again only for
the contacts Mailjet says changed since.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from mjdesk.core.workspace import Workspace  # noqa: E402
from mjdesk.mailjet.client import MailjetClient  # noqa: E402
from mjdesk.mailjet.syncing import pull_list  # noqa: E402
from mjdesk.sandbox.server import Sandbox  # noqa: E402
from mjdesk.sandbox.store import Contact, ContactsList, Membership  # noqa: E402

TARGET_REQUESTS = 60
UNSUBSCRIBED_EVERY = 50
"""One member in this many unsubscribed in Mailjet."""


def fill(sandbox: Sandbox, members: int) -> tuple[str, str]:
    """An account with one list of ``members`` contacts, made in the store directly."""
    key, secret = sandbox.add_account("Bench")
    account = sandbox.store.accounts[key]
    stamp = "2026-01-01T00:00:00Z"
    listed = ContactsList(account.new_id(), "Newsletter", "news@lists.mailjet.com", stamp)
    account.lists[listed.id] = listed
    for n in range(members):
        person = Contact(account.new_id(), f"person{n}@example.org", created_at=stamp)
        account.add_contact(person)
        gone = n % UNSUBSCRIBED_EVERY == 0
        account.add_membership(
            Membership(
                account.new_id(),
                person.id,
                listed.id,
                is_unsubscribed=gone,
                subscribed_at=stamp,
                unsubscribed_at=stamp if gone else "",
            )
        )
    return key, secret


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args()

    failures = 0
    with Sandbox(latency=args.latency_ms / 1000) as sandbox, tempfile.TemporaryDirectory() as temp:
        key, secret = fill(sandbox, args.members)
        with (
            Workspace.open(Path(temp) / "ws.sqlite3") as workspace,
            MailjetClient(key, secret, api_url=sandbox.url) as client,
        ):
            print(f"\nPull of {args.members:,} members, {args.latency_ms:g} ms a response")
            for label, target in (("first pull", None), ("a later pull", TARGET_REQUESTS)):
                before = len(sandbox.requests)
                began = time.perf_counter()
                pulled = pull_list(client, workspace, "Newsletter")
                seconds = time.perf_counter() - began
                requests = len(sandbox.requests) - before
                assert pulled.result.members == args.members, pulled.message
                line = f"  {label:<14} {requests:>5} requests {seconds:>7.2f} s"
                if target is not None:
                    ok = requests <= target
                    failures += not ok
                    line += f"   (target <= {target} requests) {'ok' if ok else 'OVER'}"
                print(line)
    print(f"\n{failures} figure(s) over target")
    return 0  # (a figure over its target is printed, and `make bench` goes on to the next)


if __name__ == "__main__":
    sys.exit(main())
