"""``mjdesk import FILE ...``: the spreadsheet import from the command line, on the same core
as the import wizard (read, map, clean, dry run, commit), without Qt.

Exit codes: 0 done (every row imported, updated or unchanged); 1 done, but some rows were
rejected (invalid, duplicate, no consent, erased, possible typo: see the report); 2 nothing
done: unreadable input, bad arguments, a workspace that cannot be opened or written, or a
full disk; 3 an internal error (details in the log). Bad input never prints a stack trace.
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import NoReturn

from mjdesk import APP_NAME, __version__
from mjdesk.cli_common import workspace_of
from mjdesk.core import wording
from mjdesk.core.clock import current_user
from mjdesk.core.disk import BYTES_PER_IMPORTED_ROW, DiskFull, disk_full
from mjdesk.core.exporting import is_same_file, refuse_overwriting
from mjdesk.core.importing import (
    CleanedImport,
    ColumnMapping,
    CommitError,
    ConsentMode,
    ConsentSpec,
    ConsentSpecError,
    ImportFileError,
    Outcome,
    Role,
    Table,
    clean_table,
    guess_mapping,
    parse_date,
    plan_import,
    read_table,
    require_email_column,
)
from mjdesk.core.importing.commit import commit_import
from mjdesk.core.importing.errors import (
    NoEmailColumnError,
    PasswordProtectedError,
    WrongPasswordError,
)
from mjdesk.core.importing.headers import clean_header
from mjdesk.core.importing.lookups import plan_for_workspace
from mjdesk.core.importing.plan import Plan, never_erased, no_contacts
from mjdesk.core.importing.remembered import (
    org_domains,
    parse_domains,
    remember_mapping,
    remembered_mappings,
)
from mjdesk.core.importing.report import (
    OUTCOME_LABELS,
    REJECTED,
    write_annotated_copy,
    write_report,
)
from mjdesk.core.indexing import catch_up
from mjdesk.core.paths import AppPaths
from mjdesk.core.settings import Settings
from mjdesk.core.work import Cancelled, UserError
from mjdesk.core.workspace import Workspace, WorkspaceError

log = logging.getLogger("mjdesk.import")

EXIT_DONE = 0
EXIT_REJECTED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
PASSWORD_VARIABLE = "MJDESK_WORKBOOK_PASSWORD"
"""The environment variable that gives the password of an encrypted workbook."""


class UsageError(UserError):
    """Bad arguments or input: the message is shown as it is and the exit code is 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=f"{APP_NAME} import",
        description="Import a spreadsheet (CSV, TSV, TXT, XLSX, XLSM, XLSB, XLS, ODS) into the "
        "workspace: consented contacts only, with a dry run and a per-row report.",
        epilog="Exit codes: 0 done; 1 some rows rejected (see --report); 2 nothing imported: "
        "unreadable input, bad arguments, a workspace that cannot be opened or written, or a "
        "full disk; 3 internal error (see the log).",
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="the spreadsheet to import")
    parser.add_argument(
        "--sheet",
        metavar="S",
        help="the sheet to read (default: the first visible sheet with data)",
    )
    parser.add_argument(
        "--email-column", metavar="C", help="the column of addresses (default: guessed)"
    )
    # No option takes the password itself: the command line is seen in the process list.
    parser.add_argument(
        "--password-file",
        type=Path,
        metavar="PATH",
        help="the password of an encrypted workbook, on the first line of this file "
        f"(or set {PASSWORD_VARIABLE})",
    )
    consent = parser.add_mutually_exclusive_group()
    consent.add_argument(
        "--consent-column",
        metavar="C",
        help="the column that says, row by row, whether the person consented (yes/no...); "
        "default: the column guessed from its header and values",
    )
    consent.add_argument(
        "--all-consented",
        action="store_true",
        help="every row in this file consented (a sign-up form export); needs --wording "
        "and --source",
    )
    parser.add_argument("--wording", metavar="TEXT", help="the text people agreed to")
    parser.add_argument("--source", metavar="TEXT", help="where consent was collected")
    parser.add_argument(
        "--consent-date",
        metavar="D",
        help="the consent date for rows without one (YYYY-MM-DD, or day/month/year)",
    )
    parser.add_argument(
        "--org-domain",
        action="append",
        default=[],
        metavar="DOMAIN",
        help="your organisation's own mail domain, for typo suggestions (repeatable)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="check and report only; change nothing"
    )
    parser.add_argument(
        "--report", type=Path, metavar="OUT", help="write the per-row report (.csv or .xlsx)"
    )
    parser.add_argument(
        "--annotated-copy",
        type=Path,
        metavar="OUT",
        help="write a copy of the sheet (.xlsx) with every problem cell highlighted",
    )
    parser.add_argument(
        "--list",
        metavar="NAME",
        help="put the people of the file on the local list NAME (made if new), to sync",
    )
    parser.add_argument("--data-dir", type=Path, metavar="D", help="keep data under D")
    parser.add_argument("--profile", metavar="P", help="the profile (workspace) to import into")
    parser.add_argument("--quiet", action="store_true", help="print only problems")
    return parser


def _say(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _complain(text: str) -> None:
    sys.stderr.write(f"{APP_NAME} import: {text}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``mjdesk import`` with ``argv`` (the arguments after "import")."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except UserError as exc:  # bad options, or a refusal the core explains
        _complain(exc.user_message)
        return EXIT_BAD_INPUT
    except (Cancelled, KeyboardInterrupt):
        _complain("cancelled; nothing was imported.")
        return 130
    except Exception as exc:  # a bug: logged, and reported in one line
        log.exception("mjdesk import failed")
        _complain(f"internal error ({type(exc).__name__}: {exc}); nothing was imported.")
        return EXIT_INTERNAL


def _consent_date(text: str | None) -> datetime | None:
    if not text:
        return None
    when = parse_date(text)
    if when is None:
        raise UsageError(f"--consent-date {text!r} is not a date (use YYYY-MM-DD).")
    if when > datetime.now():
        raise UsageError(f"--consent-date {text} is in the future: give the day they agreed.")
    return when


def _run(args: argparse.Namespace) -> int:
    if (args.wording or args.source) and not args.all_consented:
        raise UsageError("--wording and --source go with --all-consented.")
    given_at = _consent_date(args.consent_date)
    for out, suffixes in ((args.report, (".csv", ".xlsx")), (args.annotated_copy, (".xlsx",))):
        if out is not None and out.suffix.lower() not in suffixes:
            raise UsageError(f"{out.name}: write it as " + " or ".join(suffixes) + ".")
    path: Path = args.file
    if not path.exists():
        raise UsageError(f"{path}: no such file.")
    if path.is_dir():
        raise UsageError(f"{path} is a folder, not a spreadsheet.")
    for out in (args.report, args.annotated_copy):
        if out is not None:
            refuse_overwriting(out, path)
    both = (args.report, args.annotated_copy)
    if None not in both and is_same_file(*both):
        raise UsageError("--report and --annotated-copy name the same file.")
    paths, profile, _file = workspace_of(args)
    try:
        paths.ensure()
    except OSError as exc:
        raise UsageError(f"cannot create the data folders: {exc}") from None
    from mjdesk.core.logs import setup_logging

    problem = setup_logging(paths.log_file)
    if problem:
        _complain(problem)
    log.info("mjdesk %s import of %s (user %s)", __version__, path, current_user())
    # What the window remembers applies here too: mappings chosen for the same headers, and
    # the organisation's domains (plus any named with --org-domain).
    settings = Settings.load(paths.settings_file)
    domains = tuple(
        dict.fromkeys((*org_domains(settings), *parse_domains(" ".join(args.org_domain))[0]))
    )

    try:
        sheet: str | int | None = args.sheet
        try:
            table = read_table(path, sheet=sheet, password=_password(args))
        except PasswordProtectedError as exc:
            if not exc.password_helps or isinstance(exc, WrongPasswordError):
                raise
            raise UsageError(
                f"{exc.user_message} Give it with --password-file PATH (its first line) or "
                f"the environment variable {PASSWORD_VARIABLE}, or save the file without a "
                "password."
            ) from None
        where = table.source.file_name + (
            f", sheet {table.source.sheet!r}" if table.source.sheet else ""
        )
        mapping = guess_mapping(table, remembered=remembered_mappings(settings))
        for wanted, role in ((args.email_column, Role.EMAIL), (args.consent_column, Role.CONSENT)):
            if wanted:
                mapping = mapping.with_role(_column(where, table.headers, wanted), role)
        try:
            require_email_column(table, mapping)  # before consent: no addresses, nothing to do
        except NoEmailColumnError as exc:
            raise UsageError(f"{exc.user_message} (Name it with --email-column.)") from None
        if args.all_consented:
            spec = ConsentSpec(
                mode=ConsentMode.ALL_ROWS,
                wording=args.wording or "",
                source=args.source or "",
                given_at=given_at,
            )
        else:
            if mapping.header_for(Role.CONSENT) is None:
                raise UsageError(
                    f"{where}: no column says whether people consented (columns: "
                    + ", ".join(repr(h) for h in table.headers[:12])
                    + "). Name it with --consent-column, or use --all-consented with "
                    "--wording and --source."
                )
            spec = ConsentSpec(mode=ConsentMode.COLUMN, given_at=given_at)
        cleaned = clean_table(table, mapping, spec, org_domains=domains)
    except ImportFileError as exc:
        raise UsageError(exc.user_message) from None
    except ConsentSpecError as exc:
        raise UsageError(exc.user_message) from None
    if not args.quiet:
        _describe_input(where, table, mapping, cleaned)

    def remember() -> None:
        remember_mapping(settings, table, mapping)
        try:
            settings.save(paths.settings_file)
        except OSError as exc:  # the import stands; only the mapping is not remembered
            log.warning("Could not save the column mapping: %s", exc)

    return _plan_and_commit(args, paths, profile, cleaned, remember)


def _password(args: argparse.Namespace) -> str | None:
    """The workbook's password: the first line of --password-file, else the environment
    variable, else None. It is never logged or printed."""
    if args.password_file is not None:
        try:
            with args.password_file.open(encoding="utf-8-sig") as stream:
                line = stream.readline()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
            raise UsageError(f"--password-file {args.password_file}: {reason}.") from None
        password: str = line.rstrip("\r\n")
        if not password:
            raise UsageError(f"--password-file {args.password_file}: its first line is empty.")
        return password
    return os.environ.get(PASSWORD_VARIABLE) or None


def _column(where: str, headers: Sequence[str], wanted: str) -> str:
    """The header the user named (exactly, or ignoring case and spacing)."""
    if wanted in headers:
        return wanted
    folded = clean_header(wanted).casefold()
    matches = [h for h in headers if clean_header(h).casefold() == folded]
    if len(matches) == 1:
        return matches[0]
    raise UsageError(
        f"{where}: no column named {wanted!r} (columns: "
        + ", ".join(repr(h) for h in headers[:12])
        + (", ..." if len(headers) > 12 else "")
        + ")."
    )


def _describe_input(
    where: str, table: Table, mapping: ColumnMapping, cleaned: CleanedImport
) -> None:
    _say(f"{where}: {wording.count(len(table), 'row')}")
    roles = ", ".join(
        f"{c.header!r} -> {c.property_name if c.role is Role.PROPERTY else c.role.value}"
        for c in mapping.columns
        if c.role is not Role.SKIP
    )
    _say(f"  columns: {roles}")
    for notice in table.notices:
        _say(f"  note: {notice.message}")
    if cleaned.unrecognised_consent:
        values = sorted(cleaned.unrecognised_consent.items(), key=lambda kv: -kv[1])[:5]
        shown = ", ".join(f"{v!r} ({wording.count(n, 'row')})" for v, n in values)
        _say(f"  note: consent values neither yes nor no, read as not given: {shown}")
    guess = cleaned.date_order
    if guess is not None and guess.order is None and guess.ambiguous:
        _say("  note: consent dates such as 01/02/2025 were read day first (UK order)")


def _finish_indexes(workspace: Workspace) -> str:
    """Build the indexes a big import left for later, so the app opens on a finished
    workspace. The import is committed already: an interrupt or a failure here loses
    nothing, and what stopped it is returned to be told ("" when they were finished)."""
    try:
        catch_up(workspace)
    except (Cancelled, KeyboardInterrupt):
        return "was stopped"
    except DiskFull as exc:
        log.warning("Indexes left for later: %s", exc)
        return "stopped: the disk is full"
    except (sqlite3.Error, OSError) as exc:
        log.warning("Indexes not finished after the import: %s", exc)
        return f"failed ({exc})"
    return ""


def _plan_and_commit(
    args: argparse.Namespace,
    paths: AppPaths,
    profile: str,
    cleaned: CleanedImport,
    remember: Callable[[], None],
) -> int:
    file = paths.workspace_file(profile)
    result = None
    unchanged = False
    unfinished = ""
    listed = ""
    if args.dry_run and not file.exists():
        # Nothing to compare with, and a dry run creates nothing.
        plan = plan_import(cleaned, lookup=no_contacts, is_erased=never_erased)
    else:
        try:
            workspace = Workspace.open(file)
        except WorkspaceError as exc:
            raise UsageError(f"profile {profile!r}: {exc.user_message}") from None
        try:
            plan = plan_for_workspace(workspace, cleaned)
            changes = plan.counts.get(Outcome.NEW, 0) + plan.counts.get(Outcome.UPDATE, 0)
            if not args.dry_run and not changes:
                # As the window greys out Import: an import of nothing is not recorded.
                unchanged = True
            elif not args.dry_run:
                try:
                    result = commit_import(workspace, cleaned, plan, actor=current_user())
                except CommitError as exc:
                    raise UsageError(exc.user_message) from None
                except DiskFull as exc:  # said again, with what this import needs
                    needed = changes * BYTES_PER_IMPORTED_ROW
                    raise disk_full(file.parent, needed) from exc.__cause__
                remember()
                unfinished = _finish_indexes(workspace)
            if args.list and not args.dry_run:
                listed = _put_on_list(workspace, plan, args.list)
        finally:
            workspace.close()
    rejected = sum(plan.counts.get(o, 0) for o in REJECTED)
    if not args.quiet:
        width = max(len(label) for label in OUTCOME_LABELS.values())
        for outcome, label in OUTCOME_LABELS.items():
            count = plan.counts.get(outcome, 0)
            if count:
                _say(f"  {label:<{width}}  {count:>10,}")
    try:
        if args.report is not None:
            write_report(plan, args.report)
            _say(f"Report: {args.report}")
        if args.annotated_copy is not None:
            write_annotated_copy(plan, args.annotated_copy)
            _say(f"Annotated copy: {args.annotated_copy}")
    except OSError as exc:
        raise UsageError(f"cannot write the report: {exc}") from None
    if result is not None:
        log.info("Import %d committed: %s", result.batch_id, result.summary)
        _say(
            f"Imported into profile {profile!r}: {result.summary}, "
            f"{wording.count(result.consent_records, 'consent record')} "
            f"(import {result.batch_id}; "
            "undo it in mjdesk with Edit > Undo or File > Import History)."
        )
        if unfinished:
            _complain(
                f"the import is saved, but building its search indexes {unfinished}; "
                "mjdesk finishes them the next time it opens."
            )
    elif args.dry_run:
        _say("Dry run: nothing was changed.")
    elif unchanged:
        _say(f"Nothing to change in profile {profile!r}: nothing was imported or recorded.")
    if listed:
        _say(listed)
    if rejected:
        _complain(
            f"{wording.count(rejected, 'row')} not imported"
            + ("" if args.report else "; --report OUT lists them with the reason")
            + "."
        )
        return EXIT_REJECTED
    return EXIT_DONE


def _put_on_list(workspace: Workspace, plan: Plan, name: str) -> str:
    """Put the people of the file on the list ``name``, as the wizard's last page does (one
    step of its own); the sentence that says what was done."""
    from mjdesk.core.edits import NothingToEdit, add_to_list
    from mjdesk.core.importing.session import imported_contact_ids

    try:
        return add_to_list(workspace, imported_contact_ids(workspace, plan), name).message
    except NothingToEdit as exc:
        return exc.user_message
