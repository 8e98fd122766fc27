"""An exclusive lock on a workspace, so two running mjdesk never write one file.

SQLite alone would let both open it; the lock is an OS advisory lock on a side file
(``flock`` on macOS/Linux, ``msvcrt.locking`` on Windows), which the OS releases even
when the process dies, so a crash never leaves a stale lock behind.

On macOS and Linux the side file can be deleted while it is locked (Windows refuses: it is
open), and a second mjdesk would then make a new file and lock that. So the lock is only
taken once the path still names the file locked, and the holder calls `FileLock.verify`
before each write: it takes the lock again if the file is gone, and raises `LockLost` if
another process has locked a new one, so two processes never both write. (The database file
itself is not locked: POSIX locks are per process, and taking one there would break SQLite's.)
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import IO

_WIN_LOCK_OFFSET = 1 << 30  # past any holder text, so the text stays readable


class LockHeld(Exception):
    """Another process holds the lock; ``holder`` says who, as far as it is known."""

    def __init__(self, path: Path, holder: dict[str, object]) -> None:
        super().__init__(f"{path} is locked by {holder or 'another process'}")
        self.path = path
        self.holder = holder


class LockLost(LockHeld):
    """The lock file was deleted or replaced, and another process now holds the new one."""


class FileLock:
    """A non-blocking, exclusive, process-wide lock on ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[bytes] | None = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def acquire(self) -> None:
        if self._handle is not None:
            return
        for _ in range(10):
            handle = _open_private(self.path)
            try:
                _lock(handle)
            except OSError:
                holder = _read_holder(handle)
                handle.close()
                raise LockHeld(self.path, holder) from None
            if _names(self.path, handle):
                break
            # Deleted or replaced between the open and the lock: lock what it names now.
            handle.close()
        else:
            raise LockHeld(self.path, {})
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "host": _host_name()}).encode())
        handle.flush()
        self._handle = handle

    def verify(self) -> None:
        """Make sure the lock still excludes others (call before each write): if the file
        was deleted or replaced, lock the file the path names now; raise `LockLost` when
        another process holds that one (or the lock was released)."""
        handle = self._handle
        if handle is None:
            raise LockLost(self.path, {})
        if _names(self.path, handle):
            return
        fresh = FileLock(self.path)
        try:
            fresh.acquire()
        except LockHeld as exc:
            raise LockLost(self.path, exc.holder) from None
        self._handle, fresh._handle = fresh._handle, None
        handle.close()  # the unlinked file: nobody can open it by name any more

    def release(self) -> None:
        if self._handle is None:
            return
        try:
            self._handle.seek(0)
            self._handle.truncate()
            _unlock(self._handle)
        finally:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _open_private(path: Path) -> IO[bytes]:
    """``open(path, "a+b")``, made 0600 (kept open while the lock is held)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, 0o600)
    if os.name == "posix":
        os.fchmod(fd, 0o600)  # one made by an older mjdesk
    return open(fd, "a+b")


def _names(path: Path, handle: IO[bytes]) -> bool:
    """Whether ``path`` names the file open on ``handle`` (not deleted, not replaced)."""
    try:
        now = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(handle.fileno())
    return (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino)


def _host_name() -> str:
    # Not socket.gethostname(): importing socket costs every start of the app.
    if hasattr(os, "uname"):
        return os.uname().nodename
    return os.environ.get("COMPUTERNAME", "this computer")


def _read_holder(handle: IO[bytes]) -> dict[str, object]:
    try:
        handle.seek(0)
        value = json.loads(handle.read(4096))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


if sys.platform == "win32":
    import msvcrt

    def _lock(handle: IO[bytes]) -> None:
        # Windows locks bytes, not files: lock one byte far past anything written.
        handle.seek(_WIN_LOCK_OFFSET)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(handle: IO[bytes]) -> None:
        handle.seek(_WIN_LOCK_OFFSET)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
