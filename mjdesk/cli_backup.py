"""``mjdesk backup OUT.sqlite3``: a safe copy of a workspace, without Qt.

Safe while mjdesk has the workspace open in another process (SQLite's online backup API);
the copy is written to a temporary name beside OUT and renamed once it is whole and checked.
Exit codes: 0 done; 2 nothing done (the reason is printed); 3 an internal error.
"""

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
    internal_error,
    workspace_of,
)
from mjdesk.core.backup import back_up_workspace
from mjdesk.core.work import UserError

log = logging.getLogger("mjdesk.backup")


def build_parser() -> argparse.ArgumentParser:
    parser = JobParser(
        prog=f"{APP_NAME} backup",
        description="Copy a workspace to OUT safely, even while mjdesk has it open. "
        "Restore by putting the copy in place of the workspace file while mjdesk is closed.",
        epilog="Exit codes: 0 done; 2 nothing done (the reason is printed); 3 internal error.",
    )
    parser.add_argument("out", type=Path, metavar="OUT", help="the backup file to write")
    add_workspace_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``mjdesk backup`` with ``argv`` (the arguments after "backup")."""
    args = build_parser().parse_args(argv)
    try:
        _paths, profile, workspace = workspace_of(args)
        done = back_up_workspace(workspace, args.out)
    except UserError as exc:
        said = exc.user_message
        if "Nothing was" not in said:  # a full disk says so itself
            said = said.rstrip() + ("" if said.rstrip().endswith(".") else ".")
            said += " Nothing was written."
        sys.stderr.write(f"{APP_NAME} backup: {said}\n")
        return EXIT_NOTHING_DONE
    except Exception as exc:  # noqa: BLE001  (a bug: reported in one line)
        return internal_error(log, "backup", exc)
    sys.stdout.write(f"Backed up profile {profile!r} ({workspace}) to {done}.\n")
    return EXIT_DONE
