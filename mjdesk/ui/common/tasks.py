"""Background work for the GUI: plain functions run on thread pools, results back by signal.

A task takes plain values and a cancel token and returns a plain value; it never touches
a widget. Workspace writes go to a one-thread pool so they stay serial; reads and
network calls have pools of their own.

Every TaskRunner alive is listed by `live_runners` (a weak registry, it keeps none alive), so
the Qt tests can check after each test that no runner still has a thread at work.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from enum import Enum
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from mjdesk.core.work import Cancelled, CancelToken, UserError

log = logging.getLogger(__name__)


class Pool(Enum):
    READ = "read"
    WRITE = "write"
    NETWORK = "network"


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object)
    cancelled = Signal()


class _Runnable(QRunnable):
    def __init__(self, work: Callable[[CancelToken], Any], token: CancelToken, signals: _Signals):
        super().__init__()
        self.setAutoDelete(True)
        self._work = work
        self._token = token
        self._signals = signals

    def run(self) -> None:
        try:
            if self._token.cancelled:
                raise Cancelled
            result = self._work(self._token)
        except Cancelled:
            self._signals.cancelled.emit()
        except Exception as exc:  # handed to the caller's error handler
            if isinstance(exc, UserError):
                # An expected refusal (wrong keys, offline, a file it cannot read) that the
                # caller explains to the user: one line, not a traceback.
                log.warning("Background task stopped: %s", exc)
            else:
                log.exception("Background task failed")
            self._signals.failed.emit(exc)
        else:
            self._signals.done.emit(result)


class TaskRunner(QObject):
    """Starts tasks and, on shutdown, cancels them and waits for every thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pools = {pool: QThreadPool(self) for pool in Pool}
        self._pools[Pool.WRITE].setMaxThreadCount(1)
        self._pools[Pool.READ].setMaxThreadCount(2)
        self._pools[Pool.NETWORK].setMaxThreadCount(4)
        self._live: dict[CancelToken, _Signals] = {}
        self._closed = False
        _runners.add(self)

    def submit(
        self,
        work: Callable[[CancelToken], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[Exception], None] | None = None,
        *,
        pool: Pool = Pool.READ,
        on_cancelled: Callable[[], None] | None = None,
    ) -> CancelToken:
        """Run ``work(token)`` on ``pool``; then exactly one of ``on_done(value)``,
        ``on_error(exc)`` or ``on_cancelled()`` follows on the GUI thread (the last when
        ``work`` raised `Cancelled`, also when the token was cancelled before it started).
        Returns the token, which `shutdown` also cancels. After `shutdown` nothing runs
        and nothing follows: the window that asked is gone."""
        token = CancelToken()
        if self._closed:
            token.cancel()
            return token
        signals = _Signals(self)  # lives in the GUI thread, so slots run there
        self._live[token] = signals

        def finish() -> None:
            self._live.pop(token, None)
            signals.deleteLater()

        def unless_closed(slot: Callable[..., None]) -> Callable[..., None]:
            # (work that ended as the window closed reports to nobody: its pages are gone)
            return lambda *args: None if self._closed else slot(*args)

        signals.done.connect(unless_closed(on_done))
        if on_error is not None:
            signals.failed.connect(unless_closed(on_error))
        if on_cancelled is not None:
            signals.cancelled.connect(unless_closed(on_cancelled))
        for signal in (signals.done, signals.failed, signals.cancelled):
            signal.connect(finish)
        self._pools[pool].start(_Runnable(work, token, signals))
        return token

    @property
    def busy(self) -> bool:
        return any(self.active_threads().values())

    def active_threads(self) -> dict[Pool, int]:
        """How many threads each pool has at work now."""
        return {name: pool.activeThreadCount() for name, pool in self._pools.items()}

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel everything and wait; True when every thread has stopped. Nothing is
        started, and no result delivered, after this."""
        self._closed = True
        for token in list(self._live):
            token.cancel()
        return all(pool.waitForDone(timeout_ms) for pool in self._pools.values())


_runners: weakref.WeakSet[TaskRunner] = weakref.WeakSet()


def live_runners() -> list[TaskRunner]:
    """Every TaskRunner made and not yet garbage-collected (its Qt object may be deleted)."""
    return list(_runners)
