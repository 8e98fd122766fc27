"""The app's last line of defence: unexpected errors are logged and shown, never lost.

Installed as ``sys.excepthook`` and ``threading.excepthook``. The dialog itself
(:mod:`mjdesk.ui.shell.crash_dialog`) is imported only when an error happens, so start-up does
not pay for it.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThread, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget

from mjdesk import __version__

if TYPE_CHECKING:
    from mjdesk.ui.shell.crash_dialog import CrashDialog

log = logging.getLogger(__name__)


def describe(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> str:
    body = "".join(traceback.format_exception(exc_type, exc, tb))
    return f"mjdesk {__version__} on Python {sys.version.split()[0]}, {sys.platform}\n\n{body}"


class _Relay(QObject):
    """Carries an error from a worker thread to the GUI thread."""

    raised = Signal(str, str)


DAMAGED_SUMMARY = (
    "This workspace file is damaged, so part of it cannot be read. mjdesk writes nothing to "
    "it. Close mjdesk and put back your latest backup of it (Help › Open Data Folder shows "
    "where the workspace and the backups made before upgrades are)."
)


class CrashHandler(QObject):
    """Installed as ``sys.excepthook`` and ``threading.excepthook`` while the app runs."""

    def __init__(
        self,
        log_file: Path | None,
        parent_widget: Callable[[], QWidget | None],
        on_quit: Callable[[], None],
    ) -> None:
        super().__init__()
        self._log_file = log_file
        self._parent_widget = parent_widget
        self._on_quit = on_quit
        self._showing = False
        self._told_damage = False
        self._relay = _Relay()
        # From a worker thread the signal is queued to the GUI thread (its receiver lives
        # there); an error on the GUI thread is shown after the handler returns, too.
        self._relay.raised.connect(self._show)
        self._previous = (sys.excepthook, threading.excepthook)
        #: set by tests: called with the dialog instead of exec() (pytest-qt "dialogs")
        self.ask: Callable[[CrashDialog], int] = lambda dialog: dialog.exec()

    def install(self) -> None:
        sys.excepthook = self.handle
        threading.excepthook = self._handle_thread

    def uninstall(self) -> None:
        sys.excepthook, threading.excepthook = self._previous

    def handle(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            QApplication.quit()
            return
        from mjdesk.core.workspace import is_damage

        log.critical("Unexpected error", exc_info=(exc_type, exc, tb))
        summary = f"{exc_type.__name__}: {exc}" if str(exc) else exc_type.__name__
        if is_damage(exc):
            if self._told_damage:  # said once; every page that meets it would say it again
                return
            self._told_damage = True
            summary = DAMAGED_SUMMARY
        details = describe(exc_type, exc, tb)
        if QThread.currentThread() is self.thread():
            QTimer.singleShot(0, lambda: self._show(summary, details))
        else:
            self._relay.raised.emit(summary, details)

    def _handle_thread(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        self.handle(args.exc_type, args.exc_value, args.exc_traceback)

    def _show(self, summary: str, details: str) -> None:
        assert QThread.currentThread() is self.thread()
        if self._showing:  # an error while the dialog is up: logged, not stacked
            return
        self._showing = True
        try:
            from PySide6.QtWidgets import QDialog

            from mjdesk.ui.shell.crash_dialog import CrashDialog

            dialog = CrashDialog(summary, details, self._log_file, self._parent_widget())
            if self.ask(dialog) == QDialog.DialogCode.Rejected:
                self._on_quit()
        finally:
            self._showing = False
