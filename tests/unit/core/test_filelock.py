"""The single-instance lock: it only counts once the path still names the file locked."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import pytest

from mjdesk.core import filelock
from mjdesk.core.filelock import FileLock, LockHeld


def test_a_lock_file_deleted_between_open_and_lock_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process deletes (and would make anew) the file just before the lock is taken:
    the lock held must be on the file the path names afterwards, not on the deleted one."""
    path = tmp_path / "ws.lock"
    real = filelock._lock
    calls: list[int] = []

    def racing(handle: IO[bytes]) -> None:
        real(handle)
        if not calls:
            path.unlink()
        calls.append(1)

    monkeypatch.setattr(filelock, "_lock", racing)
    lock = FileLock(path)
    lock.acquire()
    try:
        assert len(calls) == 2
        assert path.exists()
        with pytest.raises(LockHeld):
            FileLock(path).acquire()
    finally:
        lock.release()
