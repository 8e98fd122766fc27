"""``mjdesk gdpr access ADDRESS OUTDIR``: everything held about one person, for a GDPR access
request, without Qt: a JSON file and a readable HTML summary in OUTDIR. ``mjdesk gdpr erase
ADDRESS --yes``: the person erased, with no byte of them left in the workspace, and the
backups that still hold them named. Exit codes: 0 done; 2 nothing done (the reason is
printed); 3 an internal error."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
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
from mjdesk.core.details import NoSuchPerson, access_export, contact_details, find_contact
from mjdesk.core.erasure import erase_address
from mjdesk.core.sync.held import MailjetHeld
from mjdesk.core.work import UserError
from mjdesk.core.workspace import Workspace

log = logging.getLogger("mjdesk.gdpr")


def build_parser() -> argparse.ArgumentParser:
    parser = JobParser(
        prog=f"{APP_NAME} gdpr",
        description="Answer a GDPR request about one person.",
        epilog="Exit codes: 0 done; 2 nothing done (the reason is printed); 3 internal error.",
    )
    jobs = parser.add_subparsers(dest="job", required=True, metavar="access|erase")
    access = jobs.add_parser(
        "access",
        help="write everything held about ADDRESS to OUTDIR (JSON and a readable HTML page)",
    )
    access.add_argument("address", metavar="ADDRESS", help="the person's e-mail address")
    access.add_argument("outdir", type=Path, metavar="OUTDIR", help="the folder to write to")
    access.add_argument(
        "--api-url", metavar="URL", help="read what Mailjet holds from this base instead"
    )
    add_workspace_options(access)
    erase = jobs.add_parser(
        "erase",
        help="erase ADDRESS from the workspace for good (it cannot be undone; needs --yes)",
    )
    erase.add_argument("address", metavar="ADDRESS", help="the person's e-mail address")
    erase.add_argument(
        "--yes", action="store_true", help="confirm the erasure: it cannot be undone"
    )
    erase.add_argument(
        "--reason", default="", help="kept with the tombstone, e.g. the request's reference"
    )
    add_workspace_options(erase)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``mjdesk gdpr`` with ``argv`` (the arguments after "gdpr")."""
    args = build_parser().parse_args(argv)
    if args.job == "erase":
        return _erase(args)
    try:
        job = existing_workspace(args)
        with Workspace.open(job.file) as workspace:
            with workspace.reading() as con:
                details = contact_details(con, find_contact(con, args.address))
            if details is None:  # (erased between the two reads)
                raise NoSuchPerson(f"No contact in this workspace has the address {args.address}.")
            held, note = _mailjet_held(args, job, workspace, details.email)
        data, page = access_export(details, args.outdir, held, note)
    except UserError as exc:
        sys.stderr.write(f"{APP_NAME} gdpr: {exc.user_message}\n")
        return EXIT_NOTHING_DONE
    except OSError as exc:
        sys.stderr.write(f"{APP_NAME} gdpr: {args.outdir} cannot be written ({exc.strerror}).\n")
        return EXIT_NOTHING_DONE
    except Exception as exc:  # noqa: BLE001  (a bug: reported in one line)
        return internal_error(log, "gdpr", exc)
    sys.stdout.write(f"Everything held about {details.email}: {data}\n{page}\n")
    sys.stdout.write(
        f"In Mailjet: from {held.source}.\n" if held is not None else f"In Mailjet: {note}\n"
    )
    return EXIT_DONE


def _mailjet_held(
    args: argparse.Namespace, job: JobWorkspace, workspace: Workspace, email: str
) -> tuple[MailjetHeld | None, str]:
    """What Mailjet holds (read with the keys from the environment or the profile's
    keyring entry, when there are some), else what the last pull saw."""
    from mjdesk.mailjet.held import mailjet_held

    try:
        client = profile_client(job, args.api_url)
    except UserError:
        raise  # (half a key pair in the environment: said, not passed over)
    except Exception:  # (no keyring here: what the last pull saw will do)
        log.info("no keys read for the access export", exc_info=True)
        client = None
    if client is None:
        return mailjet_held(None, workspace, email)
    with client:
        return mailjet_held(client, workspace, email)


def _erase(args: argparse.Namespace) -> int:
    try:
        _paths, _profile, file = existing_workspace(args)
        with Workspace.open(file) as workspace:
            with workspace.reading() as con:
                find_contact(con, args.address)  # (no such person: said before --yes)
            if not args.yes:
                sys.stderr.write(
                    f"{APP_NAME} gdpr: erasing {args.address.strip()} cannot be undone; "
                    "nothing was done. Run it again with --yes to erase them.\n"
                )
                return EXIT_NOTHING_DONE
            done = erase_address(workspace, args.address, reason=args.reason)
    except UserError as exc:
        sys.stderr.write(f"{APP_NAME} gdpr: {exc.user_message}\n")
        return EXIT_NOTHING_DONE
    except Exception as exc:  # noqa: BLE001  (a bug: reported in one line; the log masks any address)
        return internal_error(log, "gdpr erase", exc, say_what=False)
    lines = [f"Erased {args.address.strip()}: nothing of them is left in this workspace."]
    if done.backups:
        lines.append("These backups made before still hold them; delete them if you can:")
        lines += [f"  {path}" for path in done.backups]
    lines.append(
        "Copies you made yourself (File > Back Up Workspace, mjdesk backup) still hold them too."
    )
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_DONE
