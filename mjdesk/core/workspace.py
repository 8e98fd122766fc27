"""The local workspace: one SQLite file per profile, opened safely and migrated forward.

Opening never damages a file: it is inspected read-only first, and only a healthy
workspace of a version this mjdesk knows is opened for writing. A migration runs in one
transaction after a backup copy is made.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any

from mjdesk import __version__
from mjdesk.core.atomic import copy_database_atomically, leftover_copies
from mjdesk.core.clock import now_iso
from mjdesk.core.disk import disk_full, is_disk_full
from mjdesk.core.filelock import FileLock, LockHeld, LockLost
from mjdesk.core.paths import PRIVATE_FILE, ensure_private_folder, make_private
from mjdesk.core.schema import LATEST_VERSION, MIGRATIONS, Migration
from mjdesk.core.work import Cancelled, CancelToken, UserError

log = logging.getLogger(__name__)

_SQLITE_HEADER = b"SQLite format 3\x00"
_SQLITE_READONLY = 8  # the primary result code (its extended codes share the low byte)


class WorkspaceError(UserError):
    """A workspace could not be opened; ``user_message`` says why in plain words."""

    def __init__(self, path: Path, user_message: str) -> None:
        super().__init__(user_message)
        self.args = (f"{path}: {user_message}",)
        self.path = path


class WorkspaceLocked(WorkspaceError):
    """Another running mjdesk has the workspace open."""


class WorkspaceCorrupt(WorkspaceError):
    """The file is not a readable mjdesk workspace."""


class WorkspaceTooNew(WorkspaceError):
    """The file was written by a newer mjdesk."""


class WorkspaceUnavailable(WorkspaceError):
    """The file or its folder cannot be read or written (permissions, disk)."""


class WorkspaceReadOnly(WorkspaceUnavailable):
    """The workspace or its folder can be read but not written (permissions, a read-only
    disk or share)."""


def _read_only_folder(path: Path, exc: OSError) -> WorkspaceUnavailable:
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return WorkspaceReadOnly(
            path,
            f"mjdesk cannot write in the workspace folder {path.parent} ({exc.strerror}): it "
            "is read-only, or not yours. Nothing was changed. Use a folder you can write "
            "(mjdesk --data-dir), or ask your IT support for write access to it.",
        )
    return WorkspaceUnavailable(path, f"The workspace folder cannot be used ({exc.strerror}).")


def _require_writable(con: sqlite3.Connection, path: Path) -> None:
    """Refuse at once a workspace SQLite could open only for reading (it falls back to that
    silently), rather than fail at the user's first change. Only a write tells: BEGIN
    IMMEDIATE succeeds on a read-only file; the table made here is rolled back."""
    try:
        con.execute("BEGIN IMMEDIATE")
        try:
            con.execute("CREATE TABLE mjdesk_write_check (x)")
        finally:
            con.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF != _SQLITE_READONLY:
            raise
        raise WorkspaceReadOnly(
            path,
            f"The workspace file {path} can be read but not written (it is read-only, or not "
            "yours). Nothing was changed. Make it writable, use a folder you can write "
            "(mjdesk --data-dir), or ask your IT support.",
        ) from exc


def is_damage(exc: BaseException) -> bool:
    """Whether SQLite stopped on a damaged file (SQLITE_CORRUPT, SQLITE_NOTADB)."""
    return isinstance(exc, sqlite3.DatabaseError) and (
        "malformed" in str(exc) or "not a database" in str(exc)
    )


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def damaged(path: Path, found: list[str]) -> WorkspaceCorrupt:
    """The refusal to write into a damaged workspace, with what to do about it."""
    backups = sorted(path.parent.glob(path.stem + ".*.bak.sqlite3"), key=_modified)
    where = f" (the latest: {backups[-1].name}, beside it)" if backups else ""
    return WorkspaceCorrupt(
        path,
        f"The workspace {path.name} is damaged: SQLite found “{found[0]}”"
        + (f" and {len(found) - 1} more problems" if len(found) > 1 else "")
        + ". mjdesk will not write to it, so the damage does not spread; nothing was "
        f"changed. Close mjdesk and put back your latest backup of it{where}, or one you "
        "made with File › Back Up Workspace or `mjdesk backup`. Until then you can still "
        "look at (and copy out) the contacts that can be read.",
    )


ZEROED_SINCE = "deletes_zeroed_since"
"""The ``meta`` key saying since when every write to the workspace left no deleted bytes in
its pages (`_configure`): from its creation, or from the first erasure, which made the file
again (VACUUM) to be sure of it. Free pages are the erasure's to zero."""


def _configure(con: sqlite3.Connection) -> None:
    con.execute("PRAGMA foreign_keys = ON")
    con.execute("PRAGMA busy_timeout = 5000")
    # A deleted or changed row leaves no copy of itself in the pages that are written anyway
    # (zeroed at no extra I/O; the default of some SQLite builds, not of others), so that an
    # erasure need not search the whole file for the person's older rows.
    con.execute("PRAGMA secure_delete = FAST")


@contextmanager
def _rebuilding(con: sqlite3.Connection) -> Iterator[None]:
    """For a migration that makes a table again: dropping the old one must not delete
    the rows that refer to it (foreign keys off), and renaming the new one must leave
    the triggers of other tables, which name it, as they are (legacy ALTER TABLE)."""
    con.execute("PRAGMA foreign_keys = OFF")
    con.execute("PRAGMA legacy_alter_table = ON")
    try:
        yield
    finally:
        con.execute("PRAGMA legacy_alter_table = OFF")
        con.execute("PRAGMA foreign_keys = ON")


def read_only_connection(path: Path, cache_kib: int = 0) -> sqlite3.Connection:
    """A connection that never writes the workspace (it reads the WAL, even while another
    process writes, and never checkpoints it)."""
    con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False)
    con.execute("PRAGMA busy_timeout = 5000")
    if cache_kib:
        con.execute(f"PRAGMA cache_size = -{cache_kib}")
    return con


#: bytes per page of a new workspace: a big import writes a quarter as many pages to the
#: log as with SQLite's 4 KB
PAGE_SIZE = 16_384
#: page cache of each pooled reader: searches over a big workspace revisit the same pages
READER_CACHE_KIB = 16_384
#: idle readers kept for reuse
IDLE_READERS = 3


def inspect_version(path: Path) -> int:
    """The schema version of an existing file, read without writing; 0 for an empty file."""
    try:
        with path.open("rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
    except OSError as exc:
        raise WorkspaceUnavailable(
            path, f"The workspace file cannot be read ({exc.strerror})."
        ) from exc
    if not header:
        return 0
    if header != _SQLITE_HEADER:
        raise WorkspaceCorrupt(
            path,
            "This file is not an mjdesk workspace, or it is damaged (it is not an SQLite "
            "database). It was left exactly as it is.",
        )
    try:
        con = read_only_connection(path)
        try:
            tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master")}
            if not tables:
                return 0
            if "schema_version" not in tables:
                raise WorkspaceCorrupt(
                    path,
                    "This SQLite file was not made by mjdesk (it has no workspace version). "
                    "It was left exactly as it is.",
                )
            row = con.execute("SELECT max(version) FROM schema_version").fetchone()
            con.execute("SELECT id FROM contacts LIMIT 1").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise WorkspaceCorrupt(
            path,
            f"The workspace file is damaged and cannot be read ({exc}). It was left exactly as "
            "it is; restore a backup copy or start a new workspace.",
        ) from exc
    return int(row[0] or 0)


def workspace_size(path: Path) -> int:
    """Bytes of the workspace with its write-ahead log (what a copy of it takes)."""
    total = 0
    for part in (path, path.with_name(path.name + "-wal")):
        with suppress(OSError):
            total += part.stat().st_size
    return total


def _holder(exc: LockHeld) -> str:
    who = exc.holder
    return f" (process {who.get('pid')} on {who.get('host')})" if who else ""


class Workspace:
    """An open workspace. Writes go through :meth:`transaction`, one user action each."""

    def __init__(self, path: Path, con: sqlite3.Connection, lock: FileLock) -> None:
        self.path = path
        self._con = con
        self._lock = lock
        self._write_lock = threading.RLock()
        self._autocheckpoint: int | None = None
        self._idle: list[sqlite3.Connection] = []
        self._idle_lock = threading.Lock()
        #: None until the file is checked in this run; then what SQLite found wrong
        self.damage: list[str] | None = None

    # -- opening and closing -------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, upto: int = LATEST_VERSION) -> Workspace:
        """Open (creating or migrating as needed) the workspace at ``path``.

        ``upto`` stops migrations at an older format; only tests of migrations use it.
        """
        path = path.expanduser().resolve()
        try:
            ensure_private_folder(path.parent)
            lock = FileLock(path.with_name(path.name + ".lock"))
            lock.acquire()
        except LockHeld as exc:
            raise WorkspaceLocked(
                path,
                f"This workspace is open in another mjdesk (window or command line)"
                f"{_holder(exc)}. Close it there first, or choose another profile.",
            ) from None
        except OSError as exc:
            raise _read_only_folder(path, exc) from exc
        try:
            return cls._open_locked(path, lock, upto)
        except BaseException:
            lock.release()
            raise

    @classmethod
    def _open_locked(cls, path: Path, lock: FileLock, upto: int) -> Workspace:
        version = inspect_version(path) if path.exists() else 0
        if version > LATEST_VERSION:
            raise WorkspaceTooNew(
                path,
                f"This workspace was saved by a newer mjdesk (workspace format {version}; this "
                f"version {__version__} reads up to format {LATEST_VERSION}). Install the newer "
                "mjdesk to open it. Nothing was changed.",
            )
        # SQLite makes the -wal and -shm files with the mode of the workspace file: a new one
        # is made 0600 first, and one made by an older mjdesk (0644) is made private.
        try:
            if version == 0 and not path.exists():
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
        except OSError as exc:
            raise _read_only_folder(path, exc) from exc
        for own in (path, *(path.with_name(path.name + end) for end in ("-wal", "-shm"))):
            make_private(own)
        try:
            con = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise WorkspaceUnavailable(path, f"The workspace cannot be opened ({exc}).") from exc
        try:
            _configure(con)
            if version == 0:  # only a new file takes it, before WAL is on
                con.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            if con.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
                log.warning("WAL mode refused for %s; continuing in rollback-journal mode", path)
            if version:  # a file made just now is writable; one that was there may not be
                _require_writable(con, path)
            workspace = cls(path, con, lock)
            if version < upto:
                workspace._migrate(version, upto)
        except (sqlite3.Error, OSError) as exc:
            con.close()
            if is_disk_full(exc):  # the backup, or the upgrade itself: each about its size
                raise disk_full(path.parent, 2 * workspace_size(path)) from exc
            if isinstance(exc, OSError):
                raise
            raise WorkspaceUnavailable(path, f"The workspace cannot be prepared ({exc}).") from exc
        except BaseException:
            con.close()
            raise
        return workspace

    def close(self) -> None:
        """Close the file and release the lock; closing twice is harmless."""
        with self._write_lock:
            if not self._lock.held:
                return
            with self._idle_lock:
                idle, self._idle = self._idle, []
            for con in idle:
                con.close()
            try:
                self._con.execute("PRAGMA optimize")
            except sqlite3.Error:
                log.exception("PRAGMA optimize failed on close")
            self._con.close()
            self._lock.release()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema --------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        row = self._con.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0])

    def _migrate(self, version: int, target: int) -> None:
        if version > 0:
            self._backup(version)
        else:
            self._con.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                "title TEXT NOT NULL, applied_at TEXT NOT NULL, app_version TEXT NOT NULL)"
            )
        for step in MIGRATIONS:
            if version < step.version <= target:
                log.info("Migrating %s to workspace format %d", self.path, step.version)
                self._apply(step, first=step.version == 1)

    def _apply(self, step: Migration, *, first: bool) -> None:
        seed = ""
        if first:
            seed = (
                "INSERT INTO meta (key, value) VALUES "
                f"('workspace_id', '{os.urandom(16).hex()}'), "
                f"('tombstone_key', '{os.urandom(32).hex()}'), "
                f"('{ZEROED_SINCE}', '{now_iso()}'), "
                f"('created_at', '{now_iso()}'), "
                f"('created_by', 'mjdesk {__version__}');"
            )
        con = self._con
        again = ""
        if step.rebuilds:
            # the table's indexes and triggers (not those of its constraints), made again
            rows = con.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name = ? "
                "AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name",
                (step.rebuilds,),
            )
            again = "".join(f"{sql};\n" for (sql,) in rows)
        # executescript commits anything pending first, so the transaction starts in the
        # script; it is left open there, to be checked and committed here.
        script = (
            f"BEGIN IMMEDIATE;\n{step.sql}\n{again}{seed}\n"
            "INSERT INTO schema_version (version, title, applied_at, app_version) "
            f"VALUES ({step.version}, '{step.title}', '{now_iso()}', '{__version__}');"
        )
        with self._write_lock, _rebuilding(con) if step.rebuilds else nullcontext():
            try:
                con.executescript(script)
                if step.rebuilds:
                    broken = con.execute("PRAGMA foreign_key_check").fetchone()
                    if broken is not None:
                        raise sqlite3.IntegrityError(
                            f"migration {step.version} broke a reference from {broken[0]}"
                        )
                con.execute("COMMIT")
            except BaseException:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise

    def _backup(self, version: int) -> Path:
        """Copy the workspace before migrating it from ``version``; keep only this copy of
        that format (older ones, and halves left by a killed attempt, go once it is whole)."""
        stamp = now_iso().replace(":", "").replace("-", "")
        family = f"{self.path.stem}.format{version}.*.bak.sqlite3"
        target = self.path.with_name(family.replace("*", stamp))
        for left in leftover_copies(self.path.parent, family):
            left.unlink(missing_ok=True)
        copy_database_atomically(self._con, target)
        for older in self.path.parent.glob(family):
            if older != target:
                log.info("Removing the older backup %s", older)
                older.unlink(missing_ok=True)
        log.info("Backed up %s to %s before migrating", self.path, target)
        return target

    # -- use -----------------------------------------------------------------------------

    def check_integrity(self, cancel: CancelToken | None = None) -> list[str]:
        """Read every page of the file (SQLite's quick_check, on a connection of its own, so
        the window can run it in the background) and keep what it finds: `damage`, and the
        first write of this run is refused if there is any. Empty when the file is sound."""
        con = read_only_connection(self.path)
        try:
            if cancel is not None:
                con.set_progress_handler(lambda: int(cancel.cancelled), 10_000)
            try:
                found = [str(row[0]) for row in con.execute("PRAGMA quick_check(20)")]
            except sqlite3.DatabaseError as exc:
                if cancel is not None and cancel.cancelled:
                    raise Cancelled from exc
                found = [str(exc)]
        finally:
            con.close()
        self.damage = [] if found == ["ok"] else found
        return self.damage

    def _check_intact(self) -> None:
        """Before the first write of a run: never write into a damaged file (it would commit
        beside the damage and make it worse); the file is left exactly as it is."""
        if self.damage is None:
            self.check_integrity()
        if self.damage:
            raise damaged(self.path, self.damage)

    def _check_lock(self) -> None:
        """Before a write: refuse it if another mjdesk has taken the workspace's lock (its
        lock file was deleted and a new one made), so two processes never both write."""
        try:
            self._lock.verify()
        except LockLost as exc:
            raise WorkspaceLocked(
                self.path,
                "This workspace has been opened in another mjdesk (window or command line)"
                f"{_holder(exc)} since its lock file was deleted, so this one no longer saves "
                "changes; nothing was changed. Close this one and carry on in the other.",
            ) from None

    @contextmanager
    def transaction(self, *, zero_deleted: bool = False) -> Iterator[sqlite3.Connection]:
        """One user action: everything inside commits together or not at all. With
        ``zero_deleted`` every byte it deletes is overwritten with zeros, in the pages that
        keep rows and in the pages it frees (for erasing a person: `empty_log` next)."""
        with self._write_lock, self._zeroing() if zero_deleted else nullcontext():
            self._check_lock()
            self._check_intact()
            con = self._con
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
                con.execute("COMMIT")  # a full disk may refuse the commit itself
            except BaseException as exc:
                # An interrupted statement (a cancelled import) may have rolled back already.
                if con.in_transaction:
                    con.execute("ROLLBACK")
                if is_disk_full(exc):
                    raise disk_full(self.path.parent) from exc
                if is_damage(exc):
                    self.damage = [str(exc)]
                    raise damaged(self.path, self.damage) from exc
                raise
            finally:
                if self._autocheckpoint is not None:
                    con.execute(f"PRAGMA wal_autocheckpoint = {self._autocheckpoint}")
                    self._autocheckpoint = None

    def checkpoint_later(self) -> None:
        """Inside a transaction that rewrote much of the file: its commit leaves the pages
        in the write-ahead log instead of copying them into the file at once (as many
        again written), for the next write to do: the background catch-up of the indexes a
        big step leaves behind. Reads see the change either way."""
        if self._autocheckpoint is None:
            self._autocheckpoint = int(self._con.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
            self._con.execute("PRAGMA wal_autocheckpoint = 0")

    @contextmanager
    def _zeroing(self) -> Iterator[None]:
        before = int(self._con.execute("PRAGMA secure_delete").fetchone()[0])
        self._con.execute("PRAGMA secure_delete = ON")
        try:
            yield
        finally:
            self._con.execute(f"PRAGMA secure_delete = {before}")

    def vacuum(self) -> None:
        """Make the file again from its rows alone (SQLite's VACUUM): nothing deleted or
        changed before is left in it. Takes as long as copying the workspace, and as much
        free disk space again."""
        with self._write_lock:
            self._check_lock()
            self._check_intact()
            try:
                self._con.execute("VACUUM")
            except sqlite3.Error as exc:
                if is_disk_full(exc):
                    raise disk_full(self.path.parent, workspace_size(self.path)) from exc
                raise

    def empty_log(self) -> bool:
        """Copy every page of the write-ahead log into the file and cut the log to nothing,
        so that what a transaction deleted is not left in it. False when a reader in the
        middle of a read kept it (the log is emptied by a later write or on closing)."""
        with self._write_lock:
            row = self._con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return int(row[0]) == 0 and int(row[1]) in (0, -1)

    @contextmanager
    def bulk_writing(self) -> Iterator[None]:
        """For a bulk write that makes its own references (a big import): no foreign-key
        lookups (each would search a table for the row the writer has just put there) and
        no automatic WAL checkpoint when a transaction in the block commits (copying the
        pages into the database file is left to the next write, the index catch-up in the
        background). No other writer runs meanwhile; both come back afterwards."""
        with self._write_lock:
            self._check_lock()
            self._check_intact()
            before = int(self._con.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
            self._con.execute("PRAGMA wal_autocheckpoint = 0")
            self._con.execute("PRAGMA foreign_keys = OFF")
            try:
                yield
            finally:
                self._con.execute("PRAGMA foreign_keys = ON")
                self._con.execute(f"PRAGMA wal_autocheckpoint = {before}")

    def reader(self) -> sqlite3.Connection:
        """A new read-only connection for one thread (WAL lets it read while others write)."""
        return read_only_connection(self.path, READER_CACHE_KIB)

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection for one task, reused by later tasks with its warm cache; a
        read that meets damage raises `WorkspaceCorrupt`."""
        with self._idle_lock:
            con = self._idle.pop() if self._idle else None
        if con is None:
            con = self.reader()
        try:
            yield con
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):  # said as a write would say it (nothing is written)
                self.damage = [str(exc)]
                raise damaged(self.path, self.damage) from exc
            raise
        finally:
            with self._idle_lock:
                keep = len(self._idle) < IDLE_READERS and self._lock.held
                if keep:
                    self._idle.append(con)
            if not keep:
                con.close()

    def fetch(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of one read on the workspace's own connection (small reads only)."""
        with self._write_lock:
            return self._con.execute(sql, params).fetchall()

    def meta(self, key: str) -> str | None:
        row = self._con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])
