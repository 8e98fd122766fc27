"""``mjdesk stats [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--list NAME] (--csv OUT |
--xlsx OUT | --pdf OUT [--campaign ID])``: the campaigns table for reports and scheduled
jobs, without Qt.

With keys (the profile's keyring entry, or ``MJ_APIKEY_PUBLIC`` and ``MJ_APIKEY_PRIVATE``) the
statistics are refreshed first (a full fetch the first time); without, or when Mailjet cannot
be reached, the cached figures are written and their age is said. Exit codes: 0 done; 2 nothing
done (the reason is printed); 3 an internal error. ``--pdf`` is the window's one-page report
(drawn by mjdesk.ui.stats.report, imported only for it, on an offscreen QApplication): of the
``--campaign`` given (one, or 2 to 10 compared), else of the newest campaign that matches."""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    import sqlite3

    from mjdesk.core.stats.cache import CampaignDetail
    from mjdesk.core.stats.figures import CampaignFigures

log = logging.getLogger("mjdesk.stats")


def _day(text: str) -> str:
    """A real calendar day as ``YYYY-MM-DD`` (not 2026-13-01, 2026-02-30 nor 0000-00-00)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a date as YYYY-MM-DD")
    try:
        date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day of the calendar") from None
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = JobParser(
        prog=f"{APP_NAME} stats",
        description="Write the statistics of sent campaigns to a file.",
        epilog=(
            "Keys: the profile's, or MJ_APIKEY_PUBLIC and MJ_APIKEY_PRIVATE when both are set; "
            "without keys the saved figures are written. Exit codes: 0 done; 2 nothing done "
            "(the reason is printed); 3 internal error."
        ),
    )
    parser.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="sent on or after")
    parser.add_argument("--until", type=_day, metavar="YYYY-MM-DD", help="sent on or before")
    parser.add_argument("--list", metavar="NAME", help="only campaigns sent to this list")
    out = parser.add_mutually_exclusive_group(required=True)
    out.add_argument("--csv", type=Path, metavar="OUT", help="write the table as CSV")
    out.add_argument("--xlsx", type=Path, metavar="OUT", help="write the table as XLSX")
    out.add_argument(
        "--pdf", type=Path, metavar="OUT", help="a one-page report (of the newest campaign)"
    )
    parser.add_argument(
        "--campaign",
        type=int,
        action="append",
        metavar="ID",
        help="the campaign --pdf reports (2 to 10 times: a comparison)",
    )
    parser.add_argument("--api-url", metavar="URL", help="talk to this Mailjet base instead")
    parser.add_argument(
        "--offline", action="store_true", help="write the saved figures, fetch nothing"
    )
    add_workspace_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``mjdesk stats`` with ``argv`` (the arguments after "stats")."""
    args = build_parser().parse_args(argv)
    try:
        if args.campaign is not None and args.pdf is None:
            raise UserError("--campaign goes with --pdf.")
        if args.campaign is not None and len(args.campaign) > 10:
            raise UserError("--pdf compares at most 10 campaigns.")
        if args.campaign is not None and (args.since or args.until or args.list):
            raise UserError(
                "--campaign names the campaigns to report; --since, --until and --list "
                "choose them otherwise: give one or the other."
            )
        if args.since and args.until and args.until < args.since:
            raise UserError(f"--until {args.until} is before --since {args.since}.")
        _check_suffix(args)
        job = existing_workspace(args)
        return _write(args, job)
    except UserError as exc:
        sys.stderr.write(f"{APP_NAME} stats: {exc.user_message}\n")
        return EXIT_NOTHING_DONE
    except KeyboardInterrupt:
        sys.stderr.write(
            f"{APP_NAME} stats: stopped (Ctrl-C); the saved figures are as they were.\n"
        )
        return EXIT_NOTHING_DONE
    except Exception as exc:  # noqa: BLE001  (a bug: reported in one line)
        return internal_error(log, "stats", exc)


def _write(args: argparse.Namespace, job: JobWorkspace) -> int:
    from mjdesk.core.stats import cache
    from mjdesk.core.stats.export import write_table
    from mjdesk.mailjet.errors import MailjetError

    out = (args.csv or args.xlsx or args.pdf).expanduser().absolute()
    with Workspace.open(job.file) as workspace:
        client = None if args.offline else profile_client(job, args.api_url)
        if client is None and args.api_url and not args.offline:
            sys.stderr.write(
                f"{APP_NAME} stats: no Mailjet keys (the profile's, or MJ_APIKEY_PUBLIC and "
                "MJ_APIKEY_PRIVATE), so --api-url was not used and nothing was refreshed; "
                "writing the saved figures.\n"
            )
        if client is not None:
            from mjdesk.mailjet.stats_fetch import fetch_details, fetch_statistics

            with client:
                with workspace.reading() as con:
                    first = cache.last_fetch(con) is None
                try:
                    fetched = fetch_statistics(client, workspace, full=first)
                    sys.stdout.write(fetched.message + "\n")
                    if args.pdf is not None:
                        with workspace.reading() as con:
                            wanted = _reported(con, args)
                            missing = [c.campaign_id for c in wanted if _stale(con, c)]
                        if missing:
                            fetch_details(client, workspace, missing)
                except MailjetError as exc:
                    sys.stderr.write(
                        f"{APP_NAME} stats: Mailjet could not be read ({exc.user_message}); "
                        "writing the saved figures.\n"
                    )
        with workspace.reading() as con:
            age = cache.cache_age(con, datetime.now(UTC))
            if age is None:
                raise UserError(
                    "no statistics fetched yet: give Mailjet keys (the profile's, or "
                    "MJ_APIKEY_PUBLIC and MJ_APIKEY_PRIVATE) to fetch them."
                )
            _check_list(con, args.list)
            if args.pdf is not None:
                rows = _reported(con, args)
                details = [cache.detail(con, row.campaign_id) for row in rows]
            else:
                rows = cache.campaigns(con, since=args.since, until=args.until, list_name=args.list)
    if not rows:
        raise UserError("no sent campaign matches; nothing was written.")
    try:
        if args.pdf is not None:
            _write_pdf(rows, details, out)
        else:
            write_table(rows, out)
    except OSError as exc:
        raise UserError(f"{out} cannot be written ({exc.strerror}).") from exc
    what = f"{len(rows):,} campaigns" if len(rows) > 1 else "1 campaign"
    sys.stdout.write(f"{what} written to {out}. {cache.describe_age(age)}\n")
    return EXIT_DONE


def _check_suffix(args: argparse.Namespace) -> None:
    """The file's name ends as its option says (``--xlsx y.csv`` is refused, not written as
    CSV, and ``.xls`` is not ``.xlsx``)."""
    for option, suffix in (("csv", ".csv"), ("xlsx", ".xlsx"), ("pdf", ".pdf")):
        out = getattr(args, option)
        if out is not None and out.suffix.lower() != suffix:
            raise UserError(
                f"--{option} writes a {suffix} file: name it so ({out.name} ends "
                f"in “{out.suffix or 'nothing'}”)."
            )


def _check_list(con: sqlite3.Connection, name: str | None) -> None:
    """``--list`` names a list campaigns were sent to (any case), else says which exist."""
    from mjdesk.core.stats import cache

    if not name:
        return
    known = cache.list_names(con)
    if name.casefold() not in {known_name.casefold() for known_name in known}:
        listed = ", ".join(f"“{known_name}”" for known_name in known) or "none yet"
        raise UserError(f"no campaign was sent to a list named “{name}”. Lists: {listed}.")


def _reported(con: sqlite3.Connection, args: argparse.Namespace) -> list[CampaignFigures]:
    """The campaigns --pdf reports: those --campaign names (each must be cached), else the
    newest that matches --since and --list."""
    from mjdesk.core.stats import cache

    if not args.campaign:
        return cache.campaigns(con, since=args.since, until=args.until, list_name=args.list)[:1]
    found = []
    for campaign_id in dict.fromkeys(args.campaign):
        row = cache.campaign(con, campaign_id)
        if row is None:
            raise UserError(f"campaign {campaign_id} is not among the sent campaigns fetched.")
        found.append(row)
    return found


def _stale(con: sqlite3.Connection, row: CampaignFigures) -> bool:
    """Its detail (links, opens and clicks over time) is missing or older than its figures."""
    from mjdesk.core.stats import cache

    detail = cache.detail(con, row.campaign_id)
    return detail is None or detail.fetched_at < row.fetched_at


def _write_pdf(
    rows: list[CampaignFigures], details: list[CampaignDetail | None], out: Path
) -> None:
    """The window's report, drawn on an offscreen QApplication (made here unless one runs)."""
    from PySide6.QtWidgets import QApplication

    from mjdesk.ui.stats.report import write_report

    _app = QApplication.instance() or QApplication([APP_NAME, "-platform", "offscreen"])
    write_report(rows, details, out)
