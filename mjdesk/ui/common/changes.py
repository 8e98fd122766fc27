"""The window's one change broadcast: after each write, what changed (a `Changes`)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from mjdesk.core.changes import Changes


class WorkspaceEvents(QObject):
    """Owned by the shell and handed to every feature: a feature that wrote to the workspace
    calls `announce`; every page that shows workspace data listens to `changed`."""

    #: a `Changes`
    changed = Signal(object)
    #: a short sentence for the status bar (and its time on screen, in ms)
    message = Signal(str, int)

    def announce(self, changes: Changes) -> None:
        """Tell every page what a write changed."""
        self.changed.emit(changes)

    def say(self, text: str, timeout_ms: int = 10_000) -> None:
        """Show ``text`` in the window's status bar."""
        self.message.emit(text, timeout_ms)
