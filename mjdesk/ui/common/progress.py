"""A progress bar with a Stop button for one background job of a page or dialog."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from mjdesk.core.work import CancelToken, ProgressReport
from mjdesk.ui.common.tasks import Pool, TaskRunner

_POLL_MS = 100
_SETTLE_S = 2.0
"""How long a phase runs before its time left is guessed (its first moments mislead)."""


def time_left(done: int, total: int, elapsed: float) -> str:
    """The time a phase still needs at the pace it went so far, in words ("" when too
    early to say): "about 40 s left", "about 3 min left"."""
    if done <= 0 or total <= done or elapsed < _SETTLE_S:
        return ""
    seconds = elapsed * (total - done) / done
    if seconds < 60:
        return f"about {max(1, round(seconds / 5) * 5)} s left"
    return f"about {round(seconds / 60)} min left"


class JobStrip(QWidget):
    """Runs one job at a time: shows its progress, offers Cancel, hands back the result.

    ``run(work, on_done, on_error)``: ``work(progress, cancel)`` runs on a pool; exactly one
    of ``on_done(value)``, ``on_error(exc)`` or the `cancelled` signal follows, on the GUI
    thread.
    """

    #: busy or not (pages disable their controls while a job runs)
    busyChanged = Signal(bool)
    #: the running job stopped because the user cancelled it
    cancelled = Signal()

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.label = QLabel(self)
        self.label.setAccessibleName("Progress")
        self.bar = QProgressBar(self)
        self.bar.setAccessibleName("Progress")
        self.bar.setTextVisible(True)
        self.cancel_button = QPushButton("&Stop", self)
        self.cancel_button.setAccessibleName("Stop this step")
        self.cancel_button.setToolTip("Stop now: nothing is changed")
        self.cancel_button.clicked.connect(self.cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.cancel_button)
        self._timer = QTimer(self)
        self._timer.setInterval(_POLL_MS)
        self._timer.timeout.connect(self._poll)
        self._progress: ProgressReport | None = None
        self._cancel: CancelToken | None = None
        self._phase = ""
        self._phase_began = 0.0
        self.hide()

    @property
    def busy(self) -> bool:
        return self._cancel is not None

    def run(
        self,
        work: Callable[[ProgressReport, CancelToken], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[Exception], None],
        *,
        pool: Pool = Pool.READ,
        phase: str = "Working…",
    ) -> None:
        if self.busy:
            raise RuntimeError("a job is already running")
        progress = ProgressReport()
        progress.phase = phase
        token: CancelToken | None = None

        def mine() -> bool:
            return token is not None and self._cancel is token

        def done(value: Any) -> None:
            if mine():
                self._finish()
                on_done(value)

        def failed(exc: Exception) -> None:
            if mine():
                self._finish()
                on_error(exc)

        def stopped() -> None:
            if mine():
                self._finish()
                self.cancelled.emit()

        token = self.runner.submit(
            lambda cancel: work(progress, cancel),
            done,
            failed,
            pool=pool,
            on_cancelled=stopped,
        )
        self._progress, self._cancel = progress, token
        self.label.setText(phase)
        self.bar.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        self.show()
        self._timer.start()
        self.busyChanged.emit(True)

    def cancel(self) -> None:
        """Ask the job to stop; the result still arrives (as `cancelled` or, if it had just
        finished, as its value)."""
        if self._cancel is not None:
            self._cancel.cancel()
            self.cancel_button.setEnabled(False)
            self.label.setText("Stopping…")

    def _poll(self) -> None:
        progress = self._progress
        if progress is None:
            return
        if progress.phase != self._phase:
            self._phase, self._phase_began = progress.phase, time.monotonic()
        if self._cancel is not None and not self._cancel.cancelled:
            left = time_left(progress.done, progress.total, time.monotonic() - self._phase_began)
            said = progress.phase
            if progress.counted and progress.total > 0:
                said += f": {progress.done:,} of {progress.total:,}"
            self.label.setText(f"{said} ({left})" if left else said)
        if progress.total > 0:
            self.bar.setRange(0, 1000)
            self.bar.setValue(min(1000, progress.done * 1000 // progress.total))
        else:
            self.bar.setRange(0, 0)

    def _finish(self) -> None:
        self._timer.stop()
        self._progress = self._cancel = None
        self.hide()
        self.busyChanged.emit(False)
