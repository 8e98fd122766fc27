"""What every command-line job shares: the exit codes, an argument parser that exits with 2
on bad options, and the workspace file a ``--data-dir``/``--profile`` pair names."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, NoReturn

from mjdesk import APP_NAME
from mjdesk.core.paths import DEFAULT_PROFILE, AppPaths
from mjdesk.core.settings import Settings
from mjdesk.core.work import UserError

if TYPE_CHECKING:
    from mjdesk.mailjet.client import MailjetClient

EXIT_DONE = 0
EXIT_NOTHING_DONE = 2
"""Nothing was done; the reason was printed (bad options included)."""
EXIT_INTERNAL = 3


class JobParser(argparse.ArgumentParser):
    """An argument parser whose refusals exit with `EXIT_NOTHING_DONE`."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_NOTHING_DONE, f"{self.prog}: {message}\n")


def add_workspace_options(parser: argparse.ArgumentParser) -> None:
    """``--data-dir`` and ``--profile``, as every job takes them."""
    parser.add_argument("--data-dir", type=Path, metavar="D", help="data kept under D")
    parser.add_argument("--profile", metavar="P", help="the profile (workspace) to use")


class JobWorkspace(NamedTuple):
    """Where a job works: the folders, the profile and its workspace file."""

    paths: AppPaths
    profile: str
    file: Path


def workspace_of(args: argparse.Namespace) -> JobWorkspace:
    """The folders, profile and workspace file the options name (the last profile used, else
    the default one); `UserError` for a profile name that cannot be one."""
    paths = AppPaths.under(args.data_dir) if args.data_dir else AppPaths.for_user()
    profile = args.profile
    if profile is None:
        profile = Settings.load(paths.settings_file).last_profile or DEFAULT_PROFILE
    try:
        return JobWorkspace(paths, profile, paths.workspace_file(profile))
    except ValueError as exc:
        raise UserError(f"--profile: {exc}") from None


def existing_workspace(args: argparse.Namespace) -> JobWorkspace:
    """As `workspace_of`, for a job that reads or changes a workspace (and never makes one):
    `UserError` when the profile has none yet."""
    job = workspace_of(args)
    if not job.file.exists():
        raise no_workspace(job)
    return job


def no_workspace(job: JobWorkspace) -> UserError:
    """Why ``job`` cannot run: its profile has no workspace; with the profiles that have one
    (a user who never named one got the default profile, and may mean another)."""
    from mjdesk.core.profiles import PRACTICE_PROFILE, ProfileBook

    names = [*ProfileBook(job.paths.config / "profiles.json").names(), PRACTICE_PROFILE]
    found = [n for n in dict.fromkeys(names) if job.paths.workspace_file(n).exists()]
    hint = (
        f" Name one with --profile: {', '.join(repr(n) for n in found)}."
        if found
        else " No profile has one here: open the app once, or name the folder with --data-dir."
    )
    return UserError(f"profile {job.profile!r} has no workspace yet.{hint}")


def internal_error(log: logging.Logger, job: str, exc: Exception, *, say_what: bool = True) -> int:
    """Report a bug in one line (the traceback goes to the log) and give `EXIT_INTERNAL`.
    Without ``say_what`` only the kind of error is printed (its text may hold an address)."""
    log.exception("mjdesk %s failed", job)
    reason = f"{type(exc).__name__}: {exc}" if say_what else type(exc).__name__
    sys.stderr.write(f"{APP_NAME} {job.split()[0]}: internal error ({reason}).\n")
    return EXIT_INTERNAL


KEY_VARIABLES = ("MJ_APIKEY_PUBLIC", "MJ_APIKEY_PRIVATE")
"""Mailjet's own names for a key pair in the environment (never an option: options show in
process lists and shell histories)."""


def _environment_client(api_url: str | None) -> MailjetClient | None:
    """A client for the key pair in `KEY_VARIABLES`, when both are set."""
    public, private = (os.environ.get(name, "") for name in KEY_VARIABLES)
    if not (public or private):
        return None
    if not (public and private):
        missing = KEY_VARIABLES[1] if public else KEY_VARIABLES[0]
        raise UserError(
            f"{missing} is not set: a key pair needs both {' and '.join(KEY_VARIABLES)}."
        )
    from mjdesk.mailjet.client import MailjetClient
    from mjdesk.mailjet.credentials import api_url_for

    return MailjetClient(public, private, api_url=api_url_for("default", api_url))


def profile_client(job: JobWorkspace, api_url: str | None) -> MailjetClient | None:
    """A client for the key pair in `KEY_VARIABLES`, else for the profile's keyring entry
    (the keyring's own errors pass through); None with neither."""
    client = _environment_client(api_url)
    if client is not None:
        return client
    from mjdesk.mailjet.accounts import Accounts

    return Accounts.for_paths(job.paths, api_url).client_for(job.profile)
