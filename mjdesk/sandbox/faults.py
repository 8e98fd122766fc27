"""Fault injection: what a test switches on to make the sandbox misbehave like a bad day at Mailjet.

Transport faults hit the next matching requests (``set``) or each request by chance
(``set_chances``, which ``python -m mjdesk.sandbox --faults`` uses):

- ``429``: HTML "429 Too Many Requests" with no ``Retry-After`` (what is known of Mailjet's);
- ``500``, ``503``: Mailjet's JSON error body with an ``ErrorIdentifier``;
- ``slow``: the reply waits ``delay`` seconds first (to make a client time out);
- ``drop``: the connection is closed with no reply and nothing done;
- ``lost``: a write (POST, PUT, DELETE) is applied, then the connection is closed with no reply,
  so the client cannot know it happened; a GET is answered normally.

Job faults (``job_error``, ``job_noop``) decide how the next asynchronous jobs end.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Literal, cast

FaultKind = Literal["429", "500", "503", "slow", "drop", "lost", "job_error", "job_noop"]
TRANSPORT_FAULTS: frozenset[str] = frozenset({"429", "500", "503", "slow", "drop", "lost"})
JOB_FAULTS: frozenset[str] = frozenset({"job_error", "job_noop"})
WRITES: frozenset[str] = frozenset({"POST", "PUT", "DELETE"})
DEFAULT_SLOW_SECONDS = 5.0


@dataclass(frozen=True)
class Chance:
    """A transport fault that hits each request with ``probability`` (``lost``: each write)."""

    kind: FaultKind
    probability: float
    delay: float = 0.0


def parse_chances(spec: str) -> list[Chance]:
    """``"429:0.1,503:0.05,drop:0.02,slow:0.05:30"``: kind, probability per request, and for
    ``slow`` an optional delay in seconds. ``ValueError`` with a readable message otherwise."""
    chances: list[Chance] = []
    for part in (item.strip() for item in spec.split(",")):
        if not part:
            continue
        kind, _, rest = part.partition(":")
        probability_text, _, delay_text = rest.partition(":")
        if kind not in TRANSPORT_FAULTS:
            known = ", ".join(sorted(TRANSPORT_FAULTS))
            raise ValueError(f"unknown fault {kind!r} (known: {known})")
        try:
            probability = float(probability_text)
            delay = float(delay_text) if delay_text else DEFAULT_SLOW_SECONDS
        except ValueError:
            raise ValueError(f"{part!r} is not KIND:PROBABILITY[:SECONDS]") from None
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"the probability in {part!r} is not between 0 and 1")
        if delay_text and kind != "slow":
            raise ValueError(f"only slow takes a delay, not {kind!r}")
        chances.append(Chance(cast(FaultKind, kind), probability, delay if kind == "slow" else 0))
    if sum(chance.probability for chance in chances) > 1.0:
        raise ValueError("the probabilities add up to more than 1")
    return chances


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
        if self.kind == "lost" and method.upper() not in WRITES:
            return False  # only a write can be applied and its reply lost
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or self.path.lower() in path.lower()


class Faults:
    """The armed faults of one sandbox; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[Fault] = []
        self._chances: list[Chance] = []
        self._random = random.Random()

    def set_chances(self, chances: list[Chance], *, seed: int | None = None) -> None:
        """Let each request meet one of these faults by chance (one draw per request, so the
        probabilities add up); ``seed`` makes the sequence repeatable. ``[]`` stops them."""
        with self._lock:
            self._chances = list(chances)
            self._random = random.Random(seed)

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
        """Disarm everything, chances included."""
        with self._lock:
            self._armed.clear()
            self._chances = []

    def take_transport(self, method: str, path: str) -> Fault | None:
        """The transport fault for this request: an armed one (counted down), else one by
        chance, else None. ``lost`` only ever hits writes."""
        fault = self._take(TRANSPORT_FAULTS, method, path) or self._by_chance()
        if fault is not None and not fault.matches(method, path):
            return None  # a chance of "lost" drawn for a GET
        return fault

    def _by_chance(self) -> Fault | None:
        with self._lock:
            if not self._chances:
                return None
            draw = self._random.random()
            for chance in self._chances:
                if draw < chance.probability:
                    return Fault(chance.kind, 1, chance.delay)
                draw -= chance.probability
        return None

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
