"""Settings › Consent Retention…: how long a consent stands before the review calls it
stale (kept in the workspace, so the window and the command line agree)."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog

from mjdesk.core.changes import Changes
from mjdesk.core.filters import retention_months, set_retention_months
from mjdesk.ui.common.host import FeatureHost


def ask_retention(host: FeatureHost, current: int) -> int | None:
    """The months the user chose (None: cancelled)."""
    months, ok = QInputDialog.getInt(
        host.window,
        "Consent retention",
        "A consent older than this many months is flagged as stale, for a re-consent\n"
        "mailing or to expire it. (Many universities use 24 months.)",
        current,
        1,
        240,
    )
    return months if ok else None


def retention_action(host: FeatureHost) -> QAction:
    action = QAction("Consent &Retention…", host.window)
    action.setStatusTip("How long a consent stands before it is flagged as stale")

    def change() -> None:
        with host.workspace.reading() as con:
            current = retention_months(con)
        months = ask_retention(host, current)
        if months is None or months == current:
            return
        with host.workspace.transaction() as con:
            set_retention_months(con, months)
        host.events.changed.emit(Changes(settings=True))
        host.events.message.emit(f"Consent now stands for {months} months.", 5000)

    action.triggered.connect(change)
    return action
