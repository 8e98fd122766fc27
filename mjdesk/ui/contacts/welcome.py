"""The friendly start shown on an empty workspace: what mjdesk is for and what to do next."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from PySide6.QtGui import QShowEvent

WELCOME_HTML = """
<h1>Welcome to mjdesk</h1>
<p>mjdesk looks after your department's Mailjet mailing lists on your own computer.
It keeps only people who <b>signed up</b>, honours every <b>unsubscribe</b>, and keeps
the <b>proof of consent</b> for each address, so you can answer any GDPR question.</p>
<h3>What you can do now</h3>
<ol>
<li><b>Bring in contacts</b> from the spreadsheets your sign-up forms and events produce
    (CSV, Excel or OpenDocument), with a dry run that catches wrong and misspelt addresses,
    duplicates and missing consent before anything changes, and undo after.</li>
<li><b>Search and sort</b> them, each with the consent it came with and where from.</li>
</ol>
<p>Coming in the next versions: reviewing consent, syncing with your Mailjet lists,
previewing mailings and reading their statistics.</p>
<p>Your workspace is empty: nobody has been added yet. Everything you do here is saved on
this computer, and works without a network.</p>
"""


class WelcomePanel(QWidget):
    """Shown in place of the contacts table while the workspace has no contacts."""

    #: the user pressed Import
    importRequested = Signal()
    #: the user pressed Try the practice sandbox
    practiceRequested = Signal()

    def __init__(
        self, parent: QWidget | None = None, *, offers_practice: Callable[[], bool] = bool
    ) -> None:
        super().__init__(parent)
        self.offers_practice = offers_practice
        self.setObjectName("welcome")
        label = QLabel(WELCOME_HTML, self)
        label.setObjectName("welcomeText")
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        label.setMaximumWidth(720)
        label.setAccessibleName("Welcome")
        # Centred by stretches, not by an alignment flag: an aligned item is given its
        # one-line size hint, and a wrapped label would lose its last paragraphs.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(label, 4)
        row.addStretch(1)
        self.practice_button = QPushButton("Try the &practice sandbox", self)
        self.practice_button.setObjectName("practiceButton")
        self.practice_button.setToolTip(
            "No Mailjet account yet? Practise on a pretend Mailjet with made-up data: "
            "nothing is sent."
        )
        self.practice_button.setAccessibleDescription(self.practice_button.toolTip())
        self.practice_button.clicked.connect(self._practice)
        self.practice_button.hide()
        self.import_button = QPushButton("&Import a spreadsheet…", self)
        self.import_button.setObjectName("welcomeImport")
        self.import_button.setToolTip(
            "Bring in contacts from a CSV, Excel or OpenDocument file, with a dry run first"
        )
        self.import_button.setAccessibleDescription(self.import_button.toolTip())
        self.import_button.clicked.connect(self._import)
        button_row = QHBoxLayout()
        button_row.addStretch(1)
        button_row.addWidget(self.import_button)
        button_row.addWidget(self.practice_button)
        button_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 32, 48, 32)
        layout.addLayout(row)
        layout.addLayout(button_row)
        layout.addStretch(1)

    def showEvent(self, event: QShowEvent) -> None:
        self.practice_button.setVisible(self.offers_practice())
        super().showEvent(event)

    def _practice(self) -> None:
        self.practiceRequested.emit()

    def _import(self) -> None:
        self.importRequested.emit()
