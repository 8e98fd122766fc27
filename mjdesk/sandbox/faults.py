"""Fault injection: what a test switches on to make the sandbox misbehave like a bad day at Mailjet.

Transport faults (``429``, ``500``, ``503``, ``slow``, ``drop``) hit the next matching requests;
job faults (``job_error``, ``job_noop``) decide how the next asynchronous jobs end.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["429", "500", "503", "slow", "drop", "job_error", "job_noop"]
TRANSPORT_FAULTS: frozenset[str] = frozenset({"429", "500", "503", "slow", "drop"})
JOB_FAULTS: frozenset[str] = frozenset({"job_error", "job_noop"})


@dataclass
class Fault:
    """One armed fault; ``times`` is how many more requests (or jobs) it hits, -1 for all."""

    kind: FaultKind
    times: int = 1
    delay: float = 0.0
    method: str | None = None
    path: str | None = None

    def matches(self, method: str, path: str) -> bool:
        """Whether a request is one this fault aims at."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or self.path.lower() in path.lower()


class Faults:
    """The armed faults of one sandbox; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[Fault] = []

    def set(
        self,
        kind: FaultKind,
        *,
        times: int = 1,
        delay: float = 0.5,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Arm a fault for the next ``times`` matching requests or jobs (-1: until cleared).

        ``method`` and ``path`` (a substring of the URL path) narrow which requests it hits.
        """
        if times == 0 or times < -1:
            raise ValueError("times must be positive or -1")
        with self._lock:
            self._armed.append(Fault(kind, times, delay, method, path))

    def clear(self) -> None:
        """Disarm everything."""
        with self._lock:
            self._armed.clear()

    def take_transport(self, method: str, path: str) -> Fault | None:
        """The transport fault for this request, if one is armed (and count it down)."""
        return self._take(TRANSPORT_FAULTS, method, path)

    def take_job(self) -> FaultKind | None:
        """How the job being created should misbehave, if at all."""
        fault = self._take(JOB_FAULTS, "", "")
        return None if fault is None else fault.kind

    def _take(self, kinds: frozenset[str], method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._armed:
                if fault.kind in kinds and (not method or fault.matches(method, path)):
                    if fault.times > 0:
                        fault.times -= 1
                        if fault.times == 0:
                            self._armed.remove(fault)
                    return fault
        return None
