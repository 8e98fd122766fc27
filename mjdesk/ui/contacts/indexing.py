"""The indexes a big import left for later, built in the background with the progress in
the status bar (see mjdesk.core.indexing).

Each step is a short task on the write pool, and the next one is queued only when the last
is done, so an undo, another import or an edit waits at most one step. Closing the window
stops after the current step; the rest is built the next time the workspace opens.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QProgressBar

from mjdesk.core.indexing import Backlog, Step, backlog, catch_up_step
from mjdesk.core.work import CancelToken
from mjdesk.core.workspace import Workspace
from mjdesk.ui.common.tasks import Pool, TaskRunner

log = logging.getLogger(__name__)


class IndexCatchUp(QObject):
    """Works off the workspace's index backlog, one step per task."""

    #: the backlog is empty (again)
    finished = Signal()

    def __init__(self, window: QMainWindow, workspace: Workspace, runner: TaskRunner) -> None:
        super().__init__(window)
        self.workspace = workspace
        self.runner = runner
        self.running = self._worked = self._again = False
        self._total = self._done = 0
        self._token: CancelToken | None = None
        self.label = QLabel("Updating indexes…", window)
        self.label.setAccessibleName("Indexing")
        self.label.setToolTip(
            "Your contacts are already saved and shown. After a big import or a change to "
            "many contacts, their search and sort indexes are being built again; until then "
            "searching and sorting a big list can be slower."
        )
        self.bar = QProgressBar(window)
        self.bar.setAccessibleName("Indexing progress")
        self.bar.setMaximumWidth(140)
        self.bar.setTextVisible(True)
        status = window.statusBar()
        status.addPermanentWidget(self.label)
        status.addPermanentWidget(self.bar)
        self._show(False)

    def start(self) -> None:
        """Look for a backlog and work it off; harmless when already running or empty."""
        if self.running:
            self._again = True  # an import added to it: measured again after this step
            return
        self.running = True
        self._worked = self._again = False
        self._total = self._done = 0
        self._measure()

    # -- steps ---------------------------------------------------------------------------

    def _measure(self) -> None:
        self._again = False
        reading = self.workspace.reading

        def work(_cancel: CancelToken) -> Backlog:
            with reading() as con:
                return backlog(con)

        self._token = self.runner.submit(work, self._measured, self._failed)

    def _measured(self, pending: Backlog) -> None:
        if pending.empty:
            self._finish()
            return
        self._total = self._done + pending.work
        self._worked = True
        self._show(True)
        self._progress()
        self._next()

    def _next(self) -> None:
        workspace = self.workspace
        self._token = self.runner.submit(
            lambda _cancel: catch_up_step(workspace), self._stepped, self._failed, pool=Pool.WRITE
        )

    def _stepped(self, step: Step) -> None:
        if not step.work:
            self._finish()
            return
        self._done += step.work
        if self._again:
            self._measure()
            return
        self._progress()
        self._next()

    def _finish(self) -> None:
        if self._again:  # asked to start while this pass looked: look once more
            self._measure()
        else:
            self._stop()

    def _failed(self, exc: Exception) -> None:
        # Nothing is lost: the backlog stays and the next start tries again.
        log.warning("Index catch-up stopped: %s", exc)
        self._stop()

    def _stop(self) -> None:
        worked = self.running and self._worked
        self.running = self._worked = False
        self._token = None
        self._show(False)
        if worked:
            self.finished.emit()

    def _progress(self) -> None:
        self.bar.setRange(0, max(self._total, 1))
        self.bar.setValue(min(self._done, self._total))

    def _show(self, visible: bool) -> None:
        self.label.setVisible(visible)
        self.bar.setVisible(visible)
