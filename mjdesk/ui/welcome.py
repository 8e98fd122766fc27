"""The friendly start shown on an empty workspace: what mjdesk is for and what to do next."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

WELCOME_HTML = """
<h1>Welcome to mjdesk</h1>
<p>mjdesk looks after your department's Mailjet mailing lists on your own computer.
It keeps only people who <b>signed up</b>, honours every <b>unsubscribe</b>, and keeps
the <b>proof of consent</b> for each address, so you can answer any GDPR question.</p>
<h3>What you can do here</h3>
<ol>
<li><b>Bring in contacts</b> from the spreadsheets your sign-up forms and events produce
    (CSV, Excel or OpenDocument), with a dry run before anything changes.</li>
<li><b>Clean them</b> offline: wrong addresses, duplicates, missing or old consent.</li>
<li><b>Send them to Mailjet</b> lists, preview mailings, and read the statistics.</li>
</ol>
<p>Your workspace is empty: nobody has been added yet. Everything you do here is saved on
this computer, and works without a network.</p>
"""


class WelcomePanel(QWidget):
    """Shown in place of the contacts table while the workspace has no contacts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcome")
        label = QLabel(WELCOME_HTML, self)
        label.setObjectName("welcomeText")
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        label.setMaximumWidth(720)
        label.setAccessibleName("Welcome")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 32, 48, 32)
        layout.addWidget(label, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)
