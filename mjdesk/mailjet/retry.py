"""Our retry policy (exponential back-off with jitter) and the cancel token it honours."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field


class Cancelled(Exception):
    """The user cancelled; the call stopped at a page or retry boundary."""


class CancelToken:
    """Set from any thread to stop a call at its next page or retry; wakes back-off sleeps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the work to stop."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """Whether ``cancel`` was called."""
        return self._event.is_set()

    def check(self) -> None:
        """Raise ``Cancelled`` if cancelled."""
        if self._event.is_set():
            raise Cancelled

    def wait(self, seconds: float) -> None:
        """Sleep, but wake at once (and raise ``Cancelled``) if cancelled meanwhile."""
        if self._event.wait(seconds):
            raise Cancelled


@dataclass
class RetryPolicy:
    """How idempotent requests are retried: ``retries`` more attempts, delays doubling from
    ``base`` up to ``cap`` seconds, each a random value between half and all of that (jitter, so
    several workers that failed together do not retry together).

    ``sleep`` replaces the cancellable wait in tests; ``rng`` makes the jitter reproducible.
    """

    retries: int = 4
    base: float = 1.0
    cap: float = 30.0
    sleep: Callable[[float], None] | None = None
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        ceiling = min(self.cap, self.base * (2**attempt))
        return self.rng.uniform(ceiling / 2, ceiling)

    def pause(self, seconds: float, cancel: CancelToken) -> None:
        """Wait before a retry, honouring the cancel token."""
        if self.sleep is not None:
            self.sleep(seconds)
            cancel.check()
        else:
            cancel.wait(seconds)


NO_RETRIES = RetryPolicy(retries=0)
