"""Backing up a workspace to a file the user names: the command line and the window share it.

Copying ``Default.sqlite3`` with the file manager can miss what is still in its WAL (the
``-wal`` file beside it) and give a damaged copy; this reads the workspace through SQLite,
safely even while mjdesk has it open in another process, and writes the copy atomically.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

from mjdesk.core.atomic import copy_database_atomically
from mjdesk.core.disk import disk_full, is_disk_full
from mjdesk.core.work import UserError
from mjdesk.core.workspace import inspect_version, read_only_connection, workspace_size

log = logging.getLogger(__name__)


class BackupError(UserError):
    """No backup was made; ``user_message`` says why."""


def back_up_workspace(workspace: Path, out: Path) -> Path:
    """Copy the workspace file ``workspace`` to ``out`` (replaced if it exists); the copy
    is one file that passes ``PRAGMA integrity_check``. Returns ``out``, made absolute.

    Raises `BackupError` (or a `WorkspaceError` for a damaged workspace) with the reason.
    """
    out = out.expanduser().absolute()
    if not workspace.is_file():
        raise BackupError(f"There is no workspace to back up at {workspace}.")
    if out.is_dir():
        raise BackupError(f"{out} is a folder: name the backup file, e.g. {out / 'backup.sqlite3'}")
    own = {workspace.name + end for end in ("", "-wal", "-shm", "-journal", ".lock")}
    if _same_file(out, workspace) or (_same_file(out.parent, workspace.parent) and out.name in own):
        raise BackupError(
            f"{out} is the workspace itself (or one of its files): choose another name."
        )
    if not out.parent.is_dir():
        raise BackupError(f"The folder {out.parent} does not exist.")
    inspect_version(workspace)  # a damaged file or another app's gets its clear refusal
    try:
        source = read_only_connection(workspace)
        try:
            copy_database_atomically(source, out)
        finally:
            source.close()
    except (sqlite3.Error, OSError) as exc:
        if is_disk_full(exc):
            raise disk_full(out.parent, workspace_size(workspace)) from exc
        if isinstance(exc, OSError):
            raise BackupError(
                f"The backup cannot be written in {out.parent} ({exc.strerror or exc})."
            ) from exc
        raise BackupError(f"The workspace could not be read for the backup ({exc}).") from exc
    log.info("Backed up %s to %s", workspace, out)
    return out


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()
