"""``mjdesk export OUT.csv|OUT.xlsx``: the contacts a filter and a search pick, with the chosen
columns, for scheduled jobs and scripts, without Qt. The same rules as the window's export:
no cell can run as a formula, OUT is replaced only by a finished file (as reports and
backups are), and the export is recorded in the activity journal. Exit codes: 0 done; 2
nothing done (no contact matched, or another reason, printed); 3 an internal error."""

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
    add_workspace_options,
    existing_workspace,
    internal_error,
)
from mjdesk.core.contacts import ContactQuery
from mjdesk.core.export_contacts import DEFAULT_KEYS, choose_columns, export_contacts
from mjdesk.core.filters import Consent, ContactFilter, retention_months, stale_before
from mjdesk.core.flags import Flag
from mjdesk.core.work import UserError
from mjdesk.core.workspace import Workspace

log = logging.getLogger("mjdesk.export")

GRANTED = "granted"
"""``--consent granted``: a consent given, whether current or stale."""
CONSENT_CHOICES = (GRANTED, *(c.stored for c in Consent))


def build_parser() -> argparse.ArgumentParser:
    parser = JobParser(
        prog=f"{APP_NAME} export",
        description="Export the contacts a filter picks to a CSV or Excel file. Options of "
        "one kind widen the choice (any of them); options of different kinds narrow it.",
        epilog="Exit codes: 0 done; 2 nothing done (no contact matched, or another reason, "
        "printed); 3 internal error. The re-permission list (consent older than the "
        "retention period) is --consent stale.",
    )
    parser.add_argument("out", type=Path, metavar="OUT", help="the file to write (.csv or .xlsx)")
    parser.add_argument(
        "--consent",
        action="append",
        choices=CONSENT_CHOICES,
        default=[],
        help="contacts whose consent is so (granted = current or stale); repeatable",
    )
    parser.add_argument(
        "--flag",
        action="append",
        default=[],
        metavar="F",
        help="contacts with flag F (" + ", ".join(f.stored for f in Flag) + "); repeatable",
    )
    parser.add_argument(
        "--list", action="append", default=[], metavar="L", help="members of list L; repeatable"
    )
    parser.add_argument(
        "--search", default="", metavar="TEXT", help="contacts whose address or name has TEXT"
    )
    parser.add_argument(
        "--columns",
        metavar="A,B,C",
        help="the columns, in order (default: " + ",".join(DEFAULT_KEYS) + "); also "
        "consent_source, lists, subscription, flags and any imported property's name",
    )
    add_workspace_options(parser)
    return parser


def _consent(values: Sequence[str]) -> frozenset[str]:
    wanted = set(values)
    if GRANTED in wanted:
        wanted = (wanted - {GRANTED}) | {Consent.CURRENT.stored, Consent.STALE.stored}
    return frozenset(wanted)


def _flags(values: Sequence[str]) -> frozenset[str]:
    try:
        return frozenset(Flag.named(value.strip().lower()).stored for value in values)
    except ValueError as exc:
        raise UserError(f"--flag: {exc}.") from None


def _list_ids(workspace: Workspace, names: Sequence[str]) -> frozenset[int]:
    found: set[int] = set()
    for name in names:
        rows = workspace.fetch("SELECT id FROM lists WHERE name = ?", (name.strip(),))
        if not rows:
            known = [str(row[0]) for row in workspace.fetch("SELECT name FROM lists ORDER BY 1")]
            listed = ", ".join(known) if known else "none yet"
            raise UserError(f"--list: no list named {name!r} (the lists: {listed}).")
        found.add(int(rows[0][0]))
    return frozenset(found)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``mjdesk export`` with ``argv`` (the arguments after "export")."""
    args = build_parser().parse_args(argv)
    try:
        _paths, profile, file = existing_workspace(args)
        with Workspace.open(file) as workspace:
            wanted = ContactFilter(
                consent=_consent(args.consent),
                flags=_flags(args.flag),
                lists=_list_ids(workspace, args.list),
            )
            with workspace.reading() as con:
                keys = args.columns.split(",") if args.columns else DEFAULT_KEYS
                columns = choose_columns(con, keys)
                cutoff = stale_before(retention_months(con))
            query = ContactQuery(text=args.search, filter=wanted, cutoff=cutoff)
            done = export_contacts(workspace, query, columns, args.out)
    except UserError as exc:
        sys.stderr.write(f"{APP_NAME} export: {exc.user_message}\n")
        return EXIT_NOTHING_DONE
    except OSError as exc:
        sys.stderr.write(
            f"{APP_NAME} export: {args.out} cannot be written ({exc.strerror or exc}). "
            "Nothing was written.\n"
        )
        return EXIT_NOTHING_DONE
    except Exception as exc:  # noqa: BLE001  (a bug: reported in one line)
        return internal_error(log, "export", exc)
    sys.stdout.write(
        f"Exported {done.contacts:,} contacts from profile {profile!r} to {done.path}.\n"
    )
    return EXIT_DONE
