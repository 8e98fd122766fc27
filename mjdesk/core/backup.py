"""Copies of a workspace that are whole or absent: never half a file under the final name.

The copy is made with SQLite's online backup API, which reads a consistent snapshot (the
pages still in the WAL included) even while another process writes, into a temporary file
beside the target; it is checked, flushed to disk and only then renamed. A kill at any
moment leaves either the old target or the new one, and at worst a hidden ``.tmp`` file.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

from mjdesk.core.work import UserError

log = logging.getLogger(__name__)

#: prefix and suffix of the temporary file a copy is written to (see `leftover_copies`)
TEMP_PREFIX = "."
TEMP_SUFFIX = ".partial.tmp"


class BackupError(UserError):
    """The copy could not be made; ``user_message`` says why."""


def copy_connection(source: sqlite3.Connection, target: Path) -> Path:
    """Copy the database open on ``source`` to ``target`` (replaced if it exists).

    The copy is a single file (rollback-journal mode, no ``-wal`` beside it) that passes
    ``PRAGMA integrity_check``. Raises `BackupError` for a copy that fails the check;
    `sqlite3.Error` and `OSError` (a full disk, a folder it cannot write) pass through.
    """
    import tempfile  # only when copying: start-up never needs it

    fd, temp_name = tempfile.mkstemp(
        prefix=f"{TEMP_PREFIX}{target.name}-", suffix=TEMP_SUFFIX, dir=target.parent
    )
    os.close(fd)  # mkstemp makes it 0600: SQLite opens the empty file and keeps that mode
    temp = Path(temp_name)
    try:
        copy = sqlite3.connect(temp, isolation_level=None)
        try:
            source.backup(copy)
            # A copy of a WAL workspace is marked WAL too: make it one self-contained file.
            copy.execute("PRAGMA journal_mode = DELETE")
            problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
        finally:
            copy.close()
        if problems != ["ok"]:
            raise BackupError(
                f"The copy failed its check ({'; '.join(problems[:3])}); nothing was saved."
            )
        _fsync(temp)
        os.replace(temp, target)
        _fsync_folder(target.parent)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return target


def leftover_copies(folder: Path, name: str) -> list[Path]:
    """Temporary files left in ``folder`` by copies to ``name`` that were killed midway."""
    return sorted(folder.glob(f"{TEMP_PREFIX}{name}-*{TEMP_SUFFIX}"))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; Windows cannot open a folder for this)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
