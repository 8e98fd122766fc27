"""``mjdesk stats [--since YYYY-MM-DD] [--list NAME] (--csv OUT | --xlsx OUT | --pdf OUT
[--campaign ID])``: the campaigns table for reports and scheduled jobs, without Qt.

With keys (the profile's keyring entry, or ``MJ_APIKEY_PUBLIC`` and ``MJ_APIKEY_PRIVATE``) the
statistics are refreshed first (a full fetch the first time); without, or when Mailjet cannot
be reached, the cached figures are written and their age is said. Exit codes: 0 done; 2 nothing
done (the reason is printed); 3 an internal error. ``--pdf`` is drawn by the window's code and
is not available here yet (exit 2)."""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from mjdesk import APP_NAME
from mjdesk.cli_common import (
    EXIT_DONE,
    EXIT_NOTHING_DONE,
    JobParser,
    JobWorkspace,
    add_workspace_options,
    existing_workspace,
    internal_error,
    profile_client,
)
from mjdesk.core.work import UserError
from mjdesk.core.workspace import Workspace

log = logging.getLogger("mjdesk.stats")


def _day(text: str) -> str:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a date as YYYY-MM-DD")
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = JobParser(
        prog=f"{APP_NAME} stats",
        description="Write the statistics of sent campaigns to a file.",
        epilog=(
            "Keys: the profile's, or MJ_APIKEY_PUBLIC and MJ_APIKEY_PRIVATE when both are set; "
            "without keys the cached figures are written. Exit codes: 0 done; 2 nothing done "
            "(the reason is printed); 3 internal error."
        ),
    )
    parser.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="sent on or after")
    parser.add_argument("--list", metavar="NAME", help="only campaigns sent to this list")
    out = parser.add_mutually_exclusive_group(required=True)
    out.add_argument("--csv", type=Path, metavar="OUT", help="write the table as CSV")
    out.add_argument("--xlsx", type=Path, metavar="OUT", help="write the table as XLSX")
    out.add_argument("--pdf", type=Path, metavar="OUT", help="a one-page report (not yet)")
    parser.add_argument("--campaign", type=int, metavar="ID", help="the campaign --pdf reports")
    parser.add_argument("--api-url", metavar="URL", help="talk to this Mailjet base instead")
    parser.add_argument(
        "--offline", action="store_true", help="write the cached figures, fetch nothing"
    )
    add_workspace_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``mjdesk stats`` with ``argv`` (the arguments after "stats")."""
    args = build_parser().parse_args(argv)
    try:
        if args.pdf is not None:
            raise UserError(
                "--pdf is not available from the command line yet; use --csv or --xlsx."
            )
        if args.campaign is not None:
            raise UserError("--campaign goes with --pdf.")
        job = existing_workspace(args)
        return _write(args, job)
    except UserError as exc:
        sys.stderr.write(f"{APP_NAME} stats: {exc.user_message}\n")
        return EXIT_NOTHING_DONE
    except KeyboardInterrupt:
        sys.stderr.write(f"{APP_NAME} stats: stopped (Ctrl-C); the cache is as it was.\n")
        return EXIT_NOTHING_DONE
    except Exception as exc:  # noqa: BLE001  (a bug: reported in one line)
        return internal_error(log, "stats", exc)


def _write(args: argparse.Namespace, job: JobWorkspace) -> int:
    from mjdesk.core.stats import cache
    from mjdesk.core.stats.export import write_table
    from mjdesk.mailjet.errors import MailjetError

    out = (args.csv or args.xlsx).expanduser().absolute()
    with Workspace.open(job.file) as workspace:
        client = None if args.offline else profile_client(job, args.api_url)
        if client is not None:
            from mjdesk.mailjet.stats_fetch import fetch_statistics

            with client:
                with workspace.reading() as con:
                    first = cache.last_fetch(con) is None
                try:
                    fetched = fetch_statistics(client, workspace, full=first)
                    sys.stdout.write(fetched.message + "\n")
                except MailjetError as exc:
                    sys.stderr.write(
                        f"{APP_NAME} stats: Mailjet could not be read ({exc.user_message}); "
                        "writing the cached figures.\n"
                    )
        with workspace.reading() as con:
            age = cache.cache_age(con, datetime.now(UTC))
            if age is None:
                raise UserError(
                    "no statistics fetched yet: give Mailjet keys (the profile's, or "
                    "MJ_APIKEY_PUBLIC and MJ_APIKEY_PRIVATE) to fetch them."
                )
            rows = cache.campaigns(con, since=args.since, list_name=args.list)
    if not rows:
        raise UserError("no sent campaign matches; nothing was written.")
    try:
        write_table(rows, out)
    except OSError as exc:
        raise UserError(f"{out} cannot be written ({exc.strerror}).") from exc
    sys.stdout.write(f"{len(rows):,} campaigns written to {out}. {cache.describe_age(age)}\n")
    return EXIT_DONE
