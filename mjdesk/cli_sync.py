"""``mjdesk sync pull|plan|push --list NAME``: the sync with Mailjet for scheduled jobs,
without Qt. ``pull`` reads the Mailjet list into the workspace (unsubscribes, exclusions,
bounces, a colleague's consent or erasure); ``plan`` says what a push would do for each
member and why (``--plan-csv OUT`` writes it down), from the last pull, offline; ``push``
pulls, shows the plan, and with ``--yes`` sends it (or resumes the list's unfinished push),
verified by reading Mailjet again.

The keys come from the profile's keyring entry or, where both are set, from the
environment variables ``MJ_APIKEY_PUBLIC`` and ``MJ_APIKEY_PRIVATE`` (Mailjet's own
convention); never from an option. Exit codes: 0 done; 1 done, with contacts blocked;
2 nothing done (the reason is printed); 3 an internal error."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
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
from mjdesk.core.sync.journal import unfinished_run
from mjdesk.core.sync.plan import Action, Plan, make_plan, write_plan_csv
from mjdesk.core.work import UserError
from mjdesk.core.workspace import Workspace

if TYPE_CHECKING:
    from mjdesk.mailjet.client import MailjetClient

log = logging.getLogger("mjdesk.sync")

EXIT_BLOCKED = 1
"""Done, but some contacts are blocked (the plan says why)."""


def build_parser() -> argparse.ArgumentParser:
    parser = JobParser(
        prog=f"{APP_NAME} sync",
        description="Sync the workspace with a Mailjet list.",
        epilog=(
            "Keys: the profile's (saved in the window, kept in the system keyring), or "
            "MJ_APIKEY_PUBLIC and MJ_APIKEY_PRIVATE when both are set. Exit codes: 0 done; "
            "1 done, some contacts blocked; 2 nothing done (the reason is printed); "
            "3 internal error."
        ),
    )
    jobs = parser.add_subparsers(dest="job", required=True, metavar="pull|plan|push")
    pull = jobs.add_parser("pull", help="read the Mailjet list NAME into the workspace")
    plan = jobs.add_parser(
        "plan", help="what a push would do for each member of NAME, and why (offline)"
    )
    push = jobs.add_parser(
        "push", help="pull NAME, show the plan, and with --yes send it to Mailjet"
    )
    for job in (pull, plan, push):
        job.add_argument("--list", required=True, metavar="NAME", help="the list's name")
        add_workspace_options(job)
    for job in (pull, push):
        job.add_argument("--api-url", metavar="URL", help="talk to this Mailjet base instead")
    push.add_argument(
        "--yes",
        action="store_true",
        help="send the plan (without it nothing is sent: the plan is only shown)",
    )
    plan.add_argument("--plan-csv", type=Path, metavar="OUT", help="write the plan to OUT")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``mjdesk sync`` with ``argv`` (the arguments after "sync")."""
    args = build_parser().parse_args(argv)
    try:
        if not args.list.strip():
            raise UserError("--list: give the name of the list.")
        csv_out = getattr(args, "plan_csv", None)
        if csv_out is not None and csv_out.suffix.lower() != ".csv":
            raise UserError(f"--plan-csv: the plan is written as CSV; name it …{'.csv'}.")
        job = existing_workspace(args)
        if args.job == "pull":
            return _pull(args, job)
        if args.job == "push":
            return _push(args, job)
        return _plan(args, job)
    except UserError as exc:
        sys.stderr.write(f"{APP_NAME} sync: {exc.user_message}\n")
        return EXIT_NOTHING_DONE
    except KeyboardInterrupt:
        sys.stderr.write(
            f"{APP_NAME} sync: stopped (Ctrl-C). What was done is kept; run the same command "
            "again to go on (a push resumes where it stopped, sending nothing twice).\n"
        )
        return EXIT_NOTHING_DONE
    except Exception as exc:  # noqa: BLE001  (a bug: reported in one line)
        return internal_error(log, f"sync {args.job}", exc, say_what=False)


def _client(args: argparse.Namespace, job: JobWorkspace) -> MailjetClient:
    client = profile_client(job, args.api_url)
    if client is None:
        raise UserError(
            f"profile {job.profile!r} has no Mailjet keys: add them in the window "
            "(Settings › Accounts), or set MJ_APIKEY_PUBLIC and MJ_APIKEY_PRIVATE."
        )
    return client


def _pull(args: argparse.Namespace, job: JobWorkspace) -> int:
    from mjdesk.mailjet.syncing import pull_list

    with _client(args, job) as client, Workspace.open(job.file) as workspace:
        pulled = pull_list(client, workspace, args.list)
    sys.stdout.write(pulled.message + "\n")
    if pulled.erased:
        sys.stdout.write(
            f"{pulled.erased:,} erased here too: anonymised in Mailjet (another owner's "
            "erasure, or one made in Mailjet).\n"
        )
    return EXIT_DONE


def _plan_lines(plan: Plan) -> list[str]:
    lines = [plan.summary()]
    if plan.pulled_at:
        lines.append(f"From the pull of {plan.pulled_at}.")
    for reason, count in sorted(plan.reasons().items()):
        lines.append(f"  blocked ({reason}): {count:,}")
    return lines


def _plan(args: argparse.Namespace, job: JobWorkspace) -> int:
    with Workspace.open(job.file) as workspace, workspace.reading() as con:
        plan = make_plan(con, args.list)
    lines = _plan_lines(plan)
    if args.plan_csv is not None:
        try:
            write_plan_csv(plan, args.plan_csv)
        except OSError as exc:
            raise UserError(f"{args.plan_csv} cannot be written ({exc.strerror}).") from exc
        lines.append(f"Plan written to {args.plan_csv}.")
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_BLOCKED if plan.count(Action.BLOCKED) else EXIT_DONE


def _push(args: argparse.Namespace, job: JobWorkspace) -> int:
    """Pull, show the plan, and send it only with --yes (an unfinished push of the list is
    resumed instead: its steps were planned before it stopped)."""
    from mjdesk.mailjet.pushing import push_list
    from mjdesk.mailjet.syncing import pull_list

    with _client(args, job) as client, Workspace.open(job.file) as workspace:
        pulled = pull_list(client, workspace, args.list)
        with workspace.reading() as con:
            plan = make_plan(con, args.list)
            unfinished = unfinished_run(con, plan.list_id)
        lines = [pulled.message, *_plan_lines(plan)]
        if unfinished is not None:
            started = unfinished.started_at.replace("T", " ")[:16]
            lines.append(
                f"A push of “{plan.list_name}” started {started} UTC did not finish: "
                + ("it is resumed now" if args.yes else "--yes resumes it")
                + " (its own steps, not this plan)."
            )
        sys.stdout.write("\n".join(lines) + "\n")
        if not args.yes:
            raise UserError(
                "nothing sent (the pull above is done): add --yes to send "
                + ("the unfinished push." if unfinished else "this plan to Mailjet.")
            )
        result = push_list(client, workspace, args.list)
    if result.state != "nothing":  # (the plan said so already)
        sys.stdout.write(result.message + "\n")
    if result.state == "cancelled":
        return EXIT_NOTHING_DONE
    if result.state == "failed":
        sys.stderr.write(
            f"{APP_NAME} sync: Mailjet does not show every change; push again to send the rest.\n"
        )
        return EXIT_NOTHING_DONE
    return EXIT_BLOCKED if plan.count(Action.BLOCKED) else EXIT_DONE
