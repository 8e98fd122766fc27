"""What the user sees when something unexpected breaks: a message, details to copy, and
a choice to carry on. Every user action commits on its own, so the workspace is never
left half-written by a crash."""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, QThread, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mjdesk import __version__
from mjdesk.core.logs import redact

log = logging.getLogger(__name__)


class CrashDialog(QDialog):
    """The message, the (redacted) details, "Copy details", "Continue" and "Quit"."""

    def __init__(self, summary: str, details: str, log_file: Path | None, parent: QWidget | None):
        super().__init__(parent)
        self.setWindowTitle("mjdesk: something went wrong")
        self.setAccessibleName("Error report")
        self.details = redact(details)
        where = (
            f"<br>The details were also written to the log:<br><tt>{log_file}</tt>"
            if log_file
            else ""
        )
        message = QLabel(
            f"<b>{_escape(redact(summary))}</b><br><br>mjdesk has not lost your workspace: every "
            f"change you made before this was already saved.{where}",
            self,
        )
        message.setWordWrap(True)
        message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        text = QPlainTextEdit(self.details, self)
        text.setReadOnly(True)
        text.setAccessibleName("Error details")
        text.setMinimumSize(560, 180)
        buttons = QDialogButtonBox(self)
        self.copy_button = QPushButton("&Copy details", self)
        self.copy_button.setAccessibleName("Copy details")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.continue_button = buttons.addButton(
            "C&ontinue", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.quit_button = buttons.addButton("&Quit mjdesk", QDialogButtonBox.ButtonRole.RejectRole)
        self.copy_button.clicked.connect(self.copy_details)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.continue_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(message)
        layout.addWidget(text, 1)
        layout.addWidget(buttons)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details)
        self.copy_button.setText("Copied")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def describe(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> str:
    body = "".join(traceback.format_exception(exc_type, exc, tb))
    return f"mjdesk {__version__} on Python {sys.version.split()[0]}, {sys.platform}\n\n{body}"


class _Relay(QObject):
    """Carries an error from a worker thread to the GUI thread."""

    raised = Signal(str, str)


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
        self._relay = _Relay()
        self._relay.raised.connect(self._show, Qt.ConnectionType.QueuedConnection)
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
        log.critical("Unexpected error", exc_info=(exc_type, exc, tb))
        summary = f"{exc_type.__name__}: {exc}" if str(exc) else exc_type.__name__
        self._relay.raised.emit(summary, describe(exc_type, exc, tb))

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
            dialog = CrashDialog(summary, details, self._log_file, self._parent_widget())
            if self.ask(dialog) == QDialog.DialogCode.Rejected:
                self._on_quit()
        finally:
            self._showing = False
