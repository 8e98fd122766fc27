"""Help > About mjdesk: the version and build, the Qt and Python it runs on, the folders it
keeps data, settings and logs in (each with an Open button), and the third-party notices
that the bundled libraries' licences (Qt's LGPL above all) ask to be shown."""

from __future__ import annotations

import html
import platform
from pathlib import Path

import PySide6
from PySide6.QtCore import Qt, QUrl, qVersion
from PySide6.QtGui import QDesktopServices, QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mjdesk import __version__
from mjdesk.core.about import build_date, notices_text
from mjdesk.core.paths import AppPaths


def open_folder(folder: Path) -> None:
    """Show ``folder`` in the file manager, making it first (a new install has no logs yet)."""
    folder.mkdir(parents=True, exist_ok=True)
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


class AboutDialog(QDialog):
    """The About box; ``details`` and ``folders`` hold what it says, for the tests too."""

    def __init__(self, paths: AppPaths, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About mjdesk")
        self.setAccessibleName("About mjdesk")
        self.resize(640, 560)

        title = QLabel(
            f"<b>mjdesk {html.escape(__version__)}</b><br>"
            "Consented mailing lists for Mailjet, on your desktop."
        )
        self.details = QLabel(
            f"Version: {__version__}\n"
            f"Build: {build_date()}\n"
            f"Qt: {qVersion()} (PySide6 {PySide6.__version__})\n"
            f"Python: {platform.python_version()}"
        )
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        folders = QFormLayout()
        self.folders: dict[str, QLabel] = {}
        self.open_buttons: dict[str, QPushButton] = {}
        for name, folder in (
            ("Data", paths.data),
            ("Settings", paths.config),
            ("Logs", paths.logs),
        ):
            shown = QLabel(str(folder))
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            shown.setAccessibleName(f"{name} folder")
            button = QPushButton("Open")
            button.setAccessibleName(f"Open the {name.lower()} folder")
            button.clicked.connect(lambda _=False, f=folder: open_folder(f))
            row = QHBoxLayout()
            row.addWidget(shown, 1)
            row.addWidget(button)
            folders.addRow(f"{name}:", row)
            self.folders[name] = shown
            self.open_buttons[name] = button

        self.notices = QPlainTextEdit(notices_text())
        self.notices.setReadOnly(True)
        # (the file is laid out in lines of its own: wrapping them again would break them)
        self.notices.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.notices.setAccessibleName("Third-party notices")
        self.notices.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.details)
        layout.addLayout(folders)
        layout.addWidget(QLabel("Third-party notices:"))
        layout.addWidget(self.notices, 1)
        layout.addWidget(buttons)
