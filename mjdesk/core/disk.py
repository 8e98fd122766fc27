"""A full disk, told in plain words: how much is free and about how much the work needed.

SQLite reports it as ``OperationalError: database or disk is full`` (SQLITE_FULL), the OS as
``OSError`` ENOSPC (or EDQUOT, a quota): both become `DiskFull`, an expected refusal, and
the transaction that hit it is rolled back, so nothing was changed.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

from mjdesk.core.work import UserError

_SQLITE_FULL = 13
#: what a contact imported takes in the workspace at its peak (the row, its consent record,
#: the indexes, and the write-ahead log holding the pages until they are copied into the
#: file): about 0.8 KB in the file for a typical row, twice that while it is written
BYTES_PER_IMPORTED_ROW = 2_000


class DiskFull(UserError):
    """The disk (or the user's quota) is full; nothing was changed."""


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk or the quota is full."""
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        return code == _SQLITE_FULL or "database or disk is full" in str(exc)
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def disk_full(folder: Path, needed: int | None = None) -> DiskFull:
    """The refusal for a full disk while writing in ``folder``; ``needed`` is the estimate
    of the bytes the work needs in all, if known."""
    try:
        free = f"{_mb(shutil.disk_usage(folder).free)} MB free"
    except OSError:
        free = "no space left"
    about = f", about {_mb(needed)} MB needed" if needed else ""
    return DiskFull(
        f"The disk is full: {free}{about} (on the disk of {folder}). Nothing was changed; "
        "free some space and try again."
    )


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f}" if size < 10e6 else f"{size / 1e6:,.0f}"
