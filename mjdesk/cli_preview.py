"""``mjdesk preview (FILE.html | --draft ID | --template ID) [--contact ADDRESS |
--worst-case] [--png OUT.png] [--width PX] [--html OUT.html] [--checks OUT.json]``: a mailing
as one recipient gets it, and the pre-flight checklist, for scheduled checks before anyone
presses Send.

Drafts and templates come from the workspace's copy (fetched by the Preview page, or here
first with ``--fetch`` or ``--api-url``, with the profile's keys); rendering reads nothing
from the network: ``--png`` paints the mail with the window's privacy-locked QtWebEngine
(mjdesk.ui.preview.engine, imported only for it, on an offscreen QApplication), where no
request leaves the page.

Exit codes: 0 every check passes; 1 a check warns or fails (the checklist says which);
2 nothing could be rendered (the reason is printed); 3 an internal error."""

from __future__ import annotations

import argparse
import json
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
    internal_error,
    no_workspace,
    profile_client,
    workspace_of,
)
from mjdesk.core.atomic import write_text_atomically
from mjdesk.core.preview.preflight import DESKTOP_WIDTH, PHONE_WIDTH
from mjdesk.core.work import UserError
from mjdesk.core.workspace import Workspace

if TYPE_CHECKING:
    import sqlite3

    from mjdesk.core.preview.mail import Mail
    from mjdesk.core.preview.preflight import Preflight, Recipient

log = logging.getLogger("mjdesk.preview")

EXIT_CHECKS_FLAGGED = 1
"""Rendered, and a check warns or fails."""


def _width(text: str) -> int:
    if not text.isdigit() or not 200 <= int(text) <= 2000:
        raise argparse.ArgumentTypeError(f"{text!r} is not a width from 200 to 2000 pixels")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = JobParser(
        prog=f"{APP_NAME} preview",
        description="Render a mailing for one recipient and run the pre-flight checklist.",
        epilog=(
            "Exit codes: 0 every check passes; 1 a check warns or fails; 2 nothing could be "
            "rendered (the reason is printed); 3 internal error."
        ),
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", type=Path, help="a local .html file")
    source.add_argument("--draft", type=int, metavar="ID", help="a Mailjet campaign draft")
    source.add_argument("--template", type=int, metavar="ID", help="a Mailjet template")
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--contact", metavar="ADDRESS", help="render for this contact")
    who.add_argument(
        "--worst-case", action="store_true", help="render for the first worst-case recipient"
    )
    parser.add_argument(
        "--png", type=Path, metavar="OUT", help="write the mail as painted, as a PNG image"
    )
    parser.add_argument(
        "--width",
        type=_width,
        default=DESKTOP_WIDTH,
        metavar="PX",
        help=f"the width --png paints at (default {DESKTOP_WIDTH}; a phone is {PHONE_WIDTH})",
    )
    parser.add_argument("--dark", action="store_true", help="--png as a dark-mode reader sees it")
    parser.add_argument("--html", type=Path, metavar="OUT", help="write the rendered HTML")
    parser.add_argument("--checks", type=Path, metavar="OUT", help="write the checklist as JSON")
    parser.add_argument(
        "--fetch",
        action="store_true",
        help="first bring the drafts, templates and senders up to date from Mailjet",
    )
    parser.add_argument(
        "--api-url", metavar="URL", help="fetch first, from this Mailjet base instead"
    )
    add_workspace_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``mjdesk preview`` with ``argv`` (the arguments after "preview")."""
    args = build_parser().parse_args(argv)
    try:
        return _preview(args)
    except UserError as exc:
        sys.stderr.write(f"{APP_NAME} preview: {exc.user_message}\n")
        return EXIT_NOTHING_DONE
    except KeyboardInterrupt:
        sys.stderr.write(f"{APP_NAME} preview: stopped (Ctrl-C).\n")
        return EXIT_NOTHING_DONE
    except Exception as exc:  # noqa: BLE001  (a bug: reported in one line)
        return internal_error(log, "preview", exc)


def _preview(args: argparse.Namespace) -> int:
    from mjdesk.core.preview.cache import load_html_file
    from mjdesk.core.preview.preflight import preflight

    for output in (args.png, args.html, args.checks):
        if output is not None:
            _check_folder(output)
    job = workspace_of(args)
    fetch = args.fetch or args.api_url is not None
    needs_workspace = args.file is None or args.contact or args.worst_case or fetch
    if not job.file.exists():
        if needs_workspace:
            raise no_workspace(job)
        # A local file for nobody in particular needs no workspace.
        result = preflight(None, load_html_file(args.file), None)
        return _report(args, result)
    with Workspace.open(job.file) as workspace:
        if fetch:
            _fetch(workspace, job, args.api_url)
        with workspace.reading() as con:
            mail = load_html_file(args.file) if args.file is not None else _cached(con, args)
            result = preflight(con, mail, _recipient(con, mail, args))
    return _report(args, result)


def _fetch(workspace: Workspace, job: JobWorkspace, api_url: str | None) -> None:
    from mjdesk.mailjet.errors import MailjetError
    from mjdesk.mailjet.mailings import fetch_mailings

    client = profile_client(job, api_url)
    if client is None:
        sys.stderr.write(
            f"{APP_NAME} preview: no Mailjet keys for this profile; using the copy kept "
            "in the workspace.\n"
        )
        return
    with client:
        try:
            done = fetch_mailings(client, workspace)
        except MailjetError as exc:
            sys.stderr.write(
                f"{APP_NAME} preview: Mailjet could not be read ({exc.user_message}); "
                "using the copy kept in the workspace.\n"
            )
            return
    sys.stdout.write(
        f"Fetched {done.fetched:,} mailings from Mailjet ({done.unchanged:,} unchanged).\n"
    )


def _cached(con: sqlite3.Connection, args: argparse.Namespace) -> Mail:
    from mjdesk.core.preview.cache import load_mailing
    from mjdesk.core.preview.mail import MailKind

    if args.draft is not None:
        return load_mailing(con, MailKind.DRAFT, args.draft)
    return load_mailing(con, MailKind.TEMPLATE, args.template)


def _recipient(con: sqlite3.Connection, mail: Mail, args: argparse.Namespace) -> Recipient | None:
    from mjdesk.core.preview.preflight import contact_by_address, worst_case

    if args.contact:
        return contact_by_address(con, args.contact)
    if args.worst_case:
        picked = worst_case(con, mail)
        if not picked:
            raise UserError("The workspace has no contact to pick a worst case from.")
        return picked[0]
    return None


def _report(args: argparse.Namespace, result: Preflight) -> int:
    from mjdesk.core.preview.checks import Status

    if args.html is not None:
        _write(args.html, result.rendered.html)
    if args.png is not None:
        _paint(result.rendered.html, args.png, args.width, dark=args.dark)
    if args.checks is not None:
        _write(args.checks, json.dumps(_as_json(result), ensure_ascii=False, indent=2) + "\n")
    who = result.recipient
    shown = "nobody in particular (no merge data)"
    if who is not None:
        shown = who.data.email + (f" ({who.reason})" if who.reason else "")
    out = sys.stdout
    out.write(f"{result.mail.title or result.mail.source_id} for {shown}\n")
    out.write(f"Subject: {result.rendered.subject}\n")
    for check in result.checks:
        out.write(f"  {check.status.value.upper():4}  {check.title}: {check.reason}\n")
        for case in check.cases[:5]:
            out.write(f"          {case}\n")
    return EXIT_DONE if result.status is Status.PASS else EXIT_CHECKS_FLAGGED


def _as_json(result: Preflight) -> dict[str, object]:
    mail, who = result.mail, result.recipient
    return {
        "mailing": {"kind": mail.kind.value, "id": mail.source_id, "title": mail.title},
        "recipient": None
        if who is None
        else {"contact_id": who.data.contact_id, "email": who.data.email, "why": who.reason},
        "subject": result.rendered.subject,
        "status": result.status.value,
        "checks": [
            {
                "key": c.key,
                "title": c.title,
                "status": c.status.value,
                "reason": c.reason,
                "cases": list(c.cases),
            }
            for c in result.checks
        ],
    }


def _paint(html: str, path: Path, width: int, *, dark: bool) -> None:
    """The mail as painted, saved as a PNG (waits until it has painted: never a blank page)."""
    from mjdesk.ui.preview.headless import prepare_environment

    prepare_environment()  # (no screen: offscreen Chromium's flags, before Qt starts)
    from PySide6.QtWidgets import QApplication

    from mjdesk.ui.preview.engine import SnapshotError, save_png, snapshot

    _app = QApplication.instance() or QApplication([APP_NAME])
    target = path.expanduser().absolute()
    try:
        save_png(snapshot(html, width, dark=dark), target)
    except SnapshotError as exc:
        raise UserError(f"The mail could not be painted: {exc}.") from exc
    except OSError as exc:
        raise UserError(f"{target} cannot be written ({exc.strerror or exc}).") from exc


def _check_folder(path: Path) -> None:
    """Refuse an output into a folder that is not there (as the app's Export does), before
    any work: a mistyped folder is not created, and nothing is rendered for nothing."""
    folder = path.expanduser().absolute().parent
    if not folder.is_dir():
        raise UserError(f"{path} cannot be written: there is no folder {folder}.")


def _write(path: Path, text: str) -> None:
    target = path.expanduser().absolute()
    try:
        write_text_atomically(target, text)
    except OSError as exc:
        raise UserError(f"{target} cannot be written ({exc.strerror or exc}).") from exc
