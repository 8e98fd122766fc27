"""One vocabulary for long work, shared by the core, the Mailjet layer, the task runner and the
command line: a cancel token, the `Cancelled` it raises, the progress callback, and `UserError`,
the base of every expected refusal (a file it cannot read, a workspace in use, keys Mailjet
refused...). A refusal carries the sentence a user reads, so the window and the command line
say the same thing; anything else that escapes a job is a bug and is reported as one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

Progress = Callable[[int, int], None]
"""Told ``(done, total)`` as work advances; ``total`` 0 means not known yet."""

CancelCheck = Callable[[], object]
"""Called between steps of long work; it raises (`Cancelled`) to stop it there."""


class Cancelled(Exception):
    """The user cancelled; the work stopped at a step boundary and says what it left done."""


class UserError(Exception):
    """An expected refusal; ``user_message`` is the sentence the user reads."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class CancelToken:
    """Set from any thread to ask long work to stop at its next check; wakes `wait`."""

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the work to stop."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """Whether `cancel` was called."""
        return self._event.is_set()

    def check(self) -> None:
        """Raise `Cancelled` if cancelled (a `CancelCheck`)."""
        if self._event.is_set():
            raise Cancelled

    def wait(self, seconds: float) -> None:
        """Sleep, but wake at once (and raise `Cancelled`) if cancelled meanwhile."""
        if self._event.wait(seconds):
            raise Cancelled


class ProgressReport:
    """Progress that somebody else reads: a phase in words and ``(done, total)``.

    The worker calls it as a `Progress` callback and names each phase with `start`; the window
    polls it on a timer and the command line may print it. Plain attribute writes, atomic
    under the GIL, so no lock is needed.
    """

    def __init__(self) -> None:
        self.phase = ""
        self.done = 0
        self.total = 0
        self.counted = False
        """Whether the counts are worth saying ("12,000 of 50,000"), not only the bar."""

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    def start(self, phase: str, total: int = 0, *, counted: bool = False) -> None:
        """A new phase begins, with ``total`` steps if known; ``counted``: its name says
        what it counts (contacts, pages), so the counts are shown beside it."""
        self.phase, self.done, self.total, self.counted = phase, 0, total, counted
