"""Writing files so that a crash mid-write leaves the old file, never half a new one: small
text files, and copies of a database (SQLite's online backup API reads a consistent snapshot,
the pages still in the WAL included, even while another process writes; the copy is checked,
flushed to disk and only then renamed, so at worst a hidden ``.tmp`` file is left).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from mjdesk.core.work import UserError


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, flush it to disk, then swap it in."""
    import tempfile  # only when saving: start-up reads these files, it seldom writes them

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


#: prefix and suffix of the temporary file a copy is written to (see `leftover_copies`)
TEMP_PREFIX = "."
TEMP_SUFFIX = ".partial.tmp"


class CopyCheckFailed(UserError):
    """The finished copy of a database failed ``PRAGMA integrity_check``."""


def copy_database_atomically(source: sqlite3.Connection, target: Path) -> Path:
    """Copy the database open on ``source`` to ``target`` (replaced if it exists).

    The copy is a single file (rollback-journal mode, no ``-wal`` beside it) that passes
    ``PRAGMA integrity_check``. Raises `CopyCheckFailed` for a copy that fails the check;
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
            raise CopyCheckFailed(
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


def _fsync(path: Path | str) -> None:
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
