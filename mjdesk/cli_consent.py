"""``mjdesk consent withdraw (ADDRESS... | --from FILE) --reason TEXT``: withdraw the consent of
people who asked (removal requests that arrive by e-mail), without Qt, in one step that
Edit › Undo in the window can take back. FILE holds one address a line, or is a CSV file whose
``email`` column (else its first column) holds them. Addresses no contact has are listed, and
the rest is done. Exit codes: 0 done; 2 nothing done (the reason is printed); 3 an internal
error."""

from __future__ import annotations

import argparse
import csv
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from mjdesk import APP_NAME
from mjdesk.cli_common import (
    EXIT_DONE,
    EXIT_NOTHING_DONE,
    JobParser,
    add_workspace_options,
    existing_workspace,
    internal_error,
)
from mjdesk.core.edits import contacts_by_address, withdraw_consent
from mjdesk.core.work import UserError
from mjdesk.core.workspace import Workspace

log = logging.getLogger("mjdesk.consent")

ADDRESS_HEADERS = {"email", "e-mail", "email address", "e-mail address", "address"}
SHOWN_UNKNOWN = 20
"""Addresses not found that are listed one by one; the rest are counted."""


def build_parser() -> argparse.ArgumentParser:
    parser = JobParser(
        prog=f"{APP_NAME} consent",
        description="Change the consent of contacts from the command line.",
        epilog="Exit codes: 0 done; 2 nothing done (the reason is printed); 3 internal error.",
    )
    jobs = parser.add_subparsers(dest="job", required=True, metavar="withdraw")
    withdraw = jobs.add_parser(
        "withdraw",
        help="withdraw the consent of the people at ADDRESS... (or in FILE), in one step "
        "that can be undone",
    )
    withdraw.add_argument("addresses", nargs="*", metavar="ADDRESS", help="e-mail addresses")
    withdraw.add_argument(
        "--from",
        dest="from_file",
        type=Path,
        metavar="FILE",
        help="addresses one a line, or a CSV file with an 'email' column (else the first)",
    )
    withdraw.add_argument(
        "--reason", required=True, metavar="TEXT", help="why (kept with each withdrawal)"
    )
    add_workspace_options(withdraw)
    return parser


def read_addresses(path: Path) -> list[str]:
    """The addresses in ``path``: its ``email`` column if its first row names one, else its
    first column (a first row without an @ in it is taken for a header)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="cp1252")
    rows = [row for row in csv.reader(text.splitlines(), _dialect(text)) if any(row)]
    if not rows:
        return []
    heads = [cell.strip().casefold() for cell in rows[0]]
    column = next((i for i, head in enumerate(heads) if head in ADDRESS_HEADERS), None)
    if column is not None or "@" not in rows[0][0]:
        rows = rows[1:]
    column = column or 0
    return [row[column].strip() for row in rows if len(row) > column and row[column].strip()]


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:  # one column: no delimiter to find
        return csv.excel


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``mjdesk consent`` with ``argv`` (the arguments after "consent")."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if bool(args.addresses) == bool(args.from_file):
        parser.error("give either addresses or --from FILE")
    try:
        source = None
        addresses = list(args.addresses)
        if args.from_file is not None:
            addresses = read_addresses(args.from_file)
            source = args.from_file.name
            if not addresses:
                raise UserError(f"{args.from_file} holds no addresses.")
        _paths, _profile, file = existing_workspace(args)
        with Workspace.open(file) as workspace:
            with workspace.reading() as con:
                ids, unknown = contacts_by_address(con, addresses)
            _report_unknown(unknown)
            if not ids:
                raise UserError("No contact in this workspace has any of those addresses.")
            result = withdraw_consent(workspace, ids, args.reason, source=source)
    except UserError as exc:
        sys.stderr.write(f"{APP_NAME} consent: {exc.user_message}\n")
        return EXIT_NOTHING_DONE
    except OSError as exc:
        sys.stderr.write(f"{APP_NAME} consent: {args.from_file} cannot be read ({exc.strerror}).\n")
        return EXIT_NOTHING_DONE
    except Exception as exc:  # noqa: BLE001  (a bug: reported in one line)
        return internal_error(log, "consent", exc)
    sys.stdout.write(f"{result.message} Edit › Undo in the window takes it back.\n")
    return EXIT_DONE


def _report_unknown(unknown: list[str]) -> None:
    if not unknown:
        return
    count = len(unknown)
    sys.stderr.write(
        f"{count:,} address{'' if count == 1 else 'es'} not in this workspace (passed over):\n"
    )
    for address in unknown[:SHOWN_UNKNOWN]:
        sys.stderr.write(f"  {address}\n")
    if count > SHOWN_UNKNOWN:
        sys.stderr.write(f"  ... and {count - SHOWN_UNKNOWN:,} more\n")
