"""The review's flags computed again in the background after work changed the contacts
(see mjdesk.core.flags), with a note in the status bar.

The addresses are read on a reading connection (seconds at a million contacts) and the
flags stored in one short write, so other work waits little. Whether a refresh is due is
read from the workspace itself, so work done by the command line, or before a crash, is
caught up when the window opens.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QStatusBar

from mjdesk.core.changes import Changes
from mjdesk.core.flags import FoundFlags, find_address_flags, flags_outdated, store_flags
from mjdesk.core.work import CancelToken
from mjdesk.ui.common.host import FeatureHost
from mjdesk.ui.common.tasks import Pool

log = logging.getLogger(__name__)

FLAGS_CHANGED = Changes(flags=True)


class FlagRefresh(QObject):
    """Computes the flags again when the workspace says they are behind."""

    def __init__(
        self,
        host: FeatureHost,
        status: QStatusBar,
        org_domains: Callable[[], tuple[str, ...]],
    ) -> None:
        super().__init__(host.window)
        self.host = host
        self.org_domains = org_domains
        self.running = self._again = False
        self.label = QLabel("Checking addresses for flags…", host.window)
        self.label.setAccessibleName("Checking flags")
        self.label.setToolTip(
            "Typos, duplicates, role addresses and missing proof are being looked for again "
            "after the last change. The contacts are already saved."
        )
        status.addPermanentWidget(self.label)
        self.label.hide()

    def start(self) -> None:
        """Refresh the flags if work was done since they were computed; harmless when
        already running (it looks again once done)."""
        if self.running:
            self._again = True
            return
        self.running, self._again = True, False
        workspace = self.host.workspace

        def outdated(_cancel: CancelToken) -> bool:
            with workspace.reading() as con:
                return flags_outdated(con)

        self.host.runner.submit(outdated, self._checked, self._failed)

    def _checked(self, outdated: bool) -> None:
        if not outdated:
            self._finish()
            return
        self.label.show()
        workspace = self.host.workspace
        domains = self.org_domains()

        def find(cancel: CancelToken) -> FoundFlags:
            with workspace.reading() as con:
                return find_address_flags(con, org_domains=domains, cancel=cancel)

        self.host.runner.submit(find, self._found, self._failed)

    def _found(self, found: FoundFlags) -> None:
        workspace = self.host.workspace

        def store(_cancel: CancelToken) -> int:
            with workspace.transaction() as con:
                return store_flags(con, found)

        self.host.runner.submit(store, self._stored, self._failed, pool=Pool.WRITE)

    def _stored(self, _count: int) -> None:
        self.host.events.changed.emit(FLAGS_CHANGED)
        self._finish()

    def _failed(self, exc: Exception) -> None:
        # Nothing is lost: the flags stay behind and the next change or start tries again.
        log.warning("Flag refresh stopped: %s", exc)
        self._finish(again=False)

    def _finish(self, *, again: bool = True) -> None:
        self.running = False
        self.label.hide()
        if again and self._again:
            self.start()
