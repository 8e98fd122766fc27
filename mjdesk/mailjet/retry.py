"""Our retry policy (exponential back-off with jitter); it honours the core's cancel token."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from mjdesk.core.work import CancelToken


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
