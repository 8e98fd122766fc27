"""Practice mode: the "Practice" profile on an in-process sandbox with the seed data.

``PracticeSession`` runs the sandbox (127.0.0.1, any free port, a background thread) for as
long as the practice window is open; ``mark_window`` makes that window impossible to mistake
for the real thing: a coloured banner and its title.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Self

from PySide6.QtWidgets import QLabel, QMainWindow

from mjdesk.core.profiles import PRACTICE_PROFILE
from mjdesk.mailjet.accounts import PracticeLink
from mjdesk.mailjet.credentials import Credentials
from mjdesk.ui.shell.banner import add_banner

if TYPE_CHECKING:
    from mjdesk.sandbox.server import Sandbox

log = logging.getLogger(__name__)

BANNER_TEXT = (
    "Practice sandbox: nothing is sent. This profile has a workspace of its own, filled with "
    "made-up department contacts (some withdrawn, out of date, duplicated or misspelt) to try "
    "things on, and talks to a pretend Mailjet on this computer, never to yours."
)
TITLE = f"{PRACTICE_PROFILE} (sandbox: nothing is sent)"


class PracticeSession(PracticeLink):
    """A running practice sandbox and the practice key pair it accepts (not secrets)."""

    def __init__(self, *, seeded: bool = True, state_file: Path | None = None) -> None:
        """``state_file``: where the pretend Mailjet is kept between runs (what a practice
        push sent is still there next time, as the practice workspace remembers it)."""
        self.seeded = seeded
        self.state_file = state_file
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
        self.sandbox = Sandbox(store, port=0, state_file=self.state_file).start()
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
    banner = add_banner(
        window,
        BANNER_TEXT,
        "practiceBanner",
        background="#fff3c4",
        colour="#5c4400",
        border="#e0a800",
    )
    banner.setAccessibleName("Practice mode")
    return banner
