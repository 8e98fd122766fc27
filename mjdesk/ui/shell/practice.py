"""Practice mode: the "Practice" profile on an in-process sandbox with the seed data.

``PracticeSession`` runs the sandbox (127.0.0.1, any free port, a background thread) for as
long as the practice window is open; ``mark_window`` makes that window impossible to mistake
for the real thing: a coloured banner and its title.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Self

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

from mjdesk.core.profiles import PRACTICE_PROFILE
from mjdesk.mailjet.accounts import PracticeLink
from mjdesk.mailjet.credentials import Credentials

if TYPE_CHECKING:
    from mjdesk.sandbox.server import Sandbox

log = logging.getLogger(__name__)

BANNER_TEXT = (
    "Practice sandbox: nothing is sent. This profile talks to a pretend Mailjet on this "
    "computer, with made-up contacts, lists and campaigns."
)
TITLE = f"{PRACTICE_PROFILE} (sandbox: nothing is sent)"


class PracticeSession(PracticeLink):
    """A running practice sandbox and the practice key pair it accepts (not secrets)."""

    def __init__(self, *, seeded: bool = True) -> None:
        self.seeded = seeded
        self.sandbox: Sandbox | None = None
        self.url = ""
        self.credentials = Credentials("", "")

    def start(self) -> Self:
        from mjdesk.sandbox.seed import seeded_store
        from mjdesk.sandbox.server import Sandbox
        from mjdesk.sandbox.store import Store, practice_key

        key, secret = practice_key("department")  # the seeded department account
        if self.seeded:
            store = seeded_store()
        else:
            store = Store()
            store.add_account("Department (practice)", key, secret)
        self.sandbox = Sandbox(store, port=0).start()
        self.url = self.sandbox.url
        self.credentials = Credentials(key, secret)
        log.info("Practice sandbox started at %s", self.url)
        return self

    @property
    def running(self) -> bool:
        return self.sandbox is not None

    def stop(self) -> None:
        """Stop the sandbox and join its threads (harmless when already stopped)."""
        sandbox, self.sandbox = self.sandbox, None
        if sandbox is not None:
            sandbox.stop()
            log.info("Practice sandbox stopped")


def mark_window(window: QMainWindow) -> QLabel:
    """Put the practice banner above the window's content and say it in the title."""
    window.setWindowTitle(TITLE)
    banner = QLabel(BANNER_TEXT, window)
    banner.setObjectName("practiceBanner")
    banner.setAccessibleName("Practice mode")
    banner.setWordWrap(True)
    banner.setTextFormat(Qt.TextFormat.PlainText)
    banner.setStyleSheet(
        "QLabel#practiceBanner { background: #fff3c4; color: #5c4400; "
        "border-bottom: 2px solid #e0a800; padding: 6px 12px; font-weight: bold; }"
    )
    content = window.takeCentralWidget()
    holder = QWidget(window)
    holder.setObjectName("practiceHolder")
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    layout.addWidget(banner)
    if content is not None:
        layout.addWidget(content, 1)
    window.setCentralWidget(holder)
    return banner
