"""What the user sees when something unexpected breaks: a message, details to copy, and
a choice to carry on. Every user action commits on its own, so the workspace is never
left half-written by a crash."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

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
        self.message = message = QLabel(
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
