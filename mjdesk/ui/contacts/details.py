"""The details of one contact beside the table (double-click or Enter): its fields and
properties, the proof of each consent, its lists and its history. Read only, for now."""

from __future__ import annotations

import html
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from mjdesk.core.details import ContactDetails, contact_details, details_html

if TYPE_CHECKING:
    import sqlite3

    from mjdesk.core.work import CancelToken
    from mjdesk.ui.common.tasks import TaskRunner


class ContactDetailsPanel(QWidget):
    """The side panel; `show_contact` reads one contact in the background."""

    #: the panel was closed (Esc or Close)
    closed = Signal()

    def __init__(
        self,
        reading: Callable[[], AbstractContextManager[sqlite3.Connection]],
        runner: TaskRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("contactDetails")
        self.setAccessibleName("Contact details")
        self._reading = reading
        self._runner = runner
        self.contact_id: int | None = None
        self._token: CancelToken | None = None
        self.text = QTextBrowser(self)
        self.text.setAccessibleName("Contact details")
        self.text.setOpenLinks(False)
        self.close_button = QPushButton("Close", self)
        self.close_button.setAccessibleName("Close the contact details")
        self.close_button.clicked.connect(self.close_panel)
        title = QLabel("<b>Contact details</b>", self)
        top = QHBoxLayout()
        top.addWidget(title, 1)
        top.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.text, 1)
        self._actions = QHBoxLayout()
        self._buttons: list[QPushButton] = []
        layout.addLayout(self._actions)
        # Esc in the panel closes it (the search box's own Esc acts only there).
        close = QShortcut(QKeySequence("Esc"), self, self.close_panel)
        close.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.hide()

    def add_actions(self, *buttons: QPushButton) -> None:
        """Put ``buttons`` (actions on the shown contact) in a row under the details."""
        for button in buttons:
            self._actions.addWidget(button)
            self._buttons.append(button)

    def show_contact(self, contact_id: int) -> None:
        """Show contact ``contact_id`` (read off the GUI thread)."""
        if self._token is not None:
            self._token.cancel()
        self.contact_id = contact_id
        reading = self._reading

        def work(_cancel: CancelToken) -> ContactDetails | None:
            with reading() as con:
                return contact_details(con, contact_id)

        self._token = self._runner.submit(work, self._show, self._failed)
        self.show()
        self.text.setFocus()  # to read it with the keyboard; Esc goes back to the table

    def refresh(self) -> None:
        """Read the shown contact again (it changed)."""
        if self.contact_id is not None and self.isVisible():
            self.show_contact(self.contact_id)

    def close_panel(self) -> None:
        self.hide()
        self.contact_id = None
        self.closed.emit()

    def _show(self, details: ContactDetails | None) -> None:
        self._token = None
        if details is None or details.id != self.contact_id:
            if details is None:
                self.text.setHtml(
                    "<p>This contact is no longer in the workspace (deleted, merged into "
                    "another or erased). Open another from the table.</p>"
                )
                for button in self._buttons:
                    button.setEnabled(False)
            return
        for button in self._buttons:
            button.setEnabled(True)
        self.text.setHtml(details_html(details))

    def _failed(self, exc: Exception) -> None:
        self._token = None
        self.text.setHtml(f"<p>The details could not be read ({html.escape(str(exc))}).</p>")
