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

from mjdesk.core.details import ContactDetails, contact_details

if TYPE_CHECKING:
    import sqlite3

    from mjdesk.core.work import CancelToken
    from mjdesk.ui.common.tasks import TaskRunner

_STATUS = {"granted": "Granted", "withdrawn": "Withdrawn", "none": "No consent"}


def _e(text: object) -> str:
    return html.escape(str(text))


def details_html(details: ContactDetails) -> str:
    """The panel's text: what a list owner needs to answer "may we mail them, and why"."""
    name = f"{details.first_name} {details.last_name}".strip()
    parts = [f"<h2>{_e(name or details.email)}</h2><p>{_e(details.email)}</p>"]
    when = (details.consent_at or "")[:10]
    parts.append(
        f"<h3>Consent: {_e(_STATUS.get(details.consent_status, details.consent_status))}"
        + (f" ({_e(when)})" if when else "")
        + "</h3>"
    )
    if not details.proofs:
        parts.append("<p>No consent record: this person may not be mailed.</p>")
    for proof in details.proofs:
        rows = [
            ("Status", _STATUS.get(proof.status, proof.status)),
            ("Given", proof.given_at[:10]),
            ("Wording", proof.wording or "(not recorded)"),
            ("Lawful basis", proof.lawful_basis),
            ("Source file", proof.source_file or "(none)"),
            ("SHA-256", proof.source_sha256 or "(none)"),
            ("Sheet", proof.source_sheet),
            ("Row", "" if proof.source_row is None else proof.source_row),
            ("Import", "" if proof.import_id is None else f"number {proof.import_id}"),
            ("Recorded", f"{proof.recorded_at[:16].replace('T', ' ')} by {proof.recorded_by}"),
        ]
        cells = "".join(
            f"<tr><td><b>{_e(k)}</b></td><td>{_e(v)}</td></tr>" for k, v in rows if v != ""
        )
        parts.append(f"<table cellpadding='2'>{cells}</table><hr>")
    if details.properties:
        cells = "".join(
            f"<tr><td><b>{_e(k)}</b></td><td>{_e(v)}</td></tr>"
            for k, v in sorted(details.properties.items())
        )
        parts.append(f"<h3>Other information</h3><table cellpadding='2'>{cells}</table>")
    lists = ", ".join(f"{_e(n)} ({_e(s)})" for n, s in details.lists) or "none"
    parts.append(f"<h3>Lists</h3><p>{lists}</p>")
    history = "".join(
        f"<li>{_e(at[:16].replace('T', ' '))}, {_e(who)}: {_e(what)}</li>"
        for at, who, what in details.history
    )
    parts.append(f"<h3>History</h3><ul>{history or '<li>nothing recorded</li>'}</ul>")
    parts.append(
        f"<p><small>Added {_e(details.created_at[:10])}, changed "
        f"{_e(details.updated_at[:10])}.</small></p>"
    )
    return "".join(parts)


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
        # Esc in the panel closes it (the search box's own Esc acts only there).
        close = QShortcut(QKeySequence("Esc"), self, self.close_panel)
        close.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.hide()

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
                self.text.setHtml("<p>This contact is no longer in the workspace.</p>")
            return
        self.text.setHtml(details_html(details))

    def _failed(self, exc: Exception) -> None:
        self._token = None
        self.text.setHtml(f"<p>The details could not be read ({_e(exc)}).</p>")
