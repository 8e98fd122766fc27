"""The details panel's answers to a GDPR request about the contact it shows: everything held
about them to a folder (access), and their erasure, each off the GUI thread."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QPushButton

from mjdesk.core.changes import Changes
from mjdesk.core.details import NoSuchPerson, access_export, contact_details
from mjdesk.core.erasure import Erasure, backups_holding, erase_contact
from mjdesk.ui.common import dialogs
from mjdesk.ui.common.tasks import Pool

if TYPE_CHECKING:
    from mjdesk.core.work import CancelToken
    from mjdesk.ui.common.host import FeatureHost
    from mjdesk.ui.contacts.details import ContactDetailsPanel

ERASED = Changes(contacts_added_or_removed=True, lists=True, activity=True)
"""An erasure's reach: a contact gone, with their memberships, and an activity entry."""


class GdprActions(QObject):
    """The panel's "Export everything held…" and "Erase this person…" buttons."""

    def __init__(self, panel: ContactDetailsPanel, host: FeatureHost) -> None:
        super().__init__(panel)
        self.panel = panel
        self.host = host
        self.export_button = QPushButton("Export everything held…", panel)
        self.export_button.setAccessibleName("Export everything held about this person")
        self.export_button.setToolTip(
            "For a GDPR access request: a JSON file and a readable HTML page in a folder"
        )
        self.erase_button = QPushButton("Erase this person…", panel)
        self.erase_button.setAccessibleName("Erase this person")
        self.erase_button.setToolTip(
            "For a GDPR erasure request: nothing of them is left in the workspace"
        )
        panel.add_actions(self.export_button, self.erase_button)
        self.export_button.clicked.connect(self.export)
        self.erase_button.clicked.connect(self.erase)

    def _busy(self, busy: bool) -> None:
        self.export_button.setEnabled(not busy)
        self.erase_button.setEnabled(not busy)

    # -- access ----------------------------------------------------------------------------

    def export(self) -> None:
        """Ask for a folder, then write everything held about the shown contact there."""
        contact_id = self.panel.contact_id
        if contact_id is None:
            return
        folder = dialogs.ask_folder(
            self.panel,
            "Export everything held about this person",
            settings=self.host.settings,
            kind="gdpr",
        )
        if folder is None:
            return
        workspace, client_for = self.host.workspace, self.host.client_for

        def work(_cancel: CancelToken) -> tuple[Path, Path]:
            from mjdesk.mailjet.held import mailjet_held

            with workspace.reading() as con:
                details = contact_details(con, contact_id)
            if details is None:
                raise NoSuchPerson("That contact is no longer in this workspace.")
            client = client_for() if client_for is not None else None
            if client is None:
                held, note = mailjet_held(None, workspace, details.email)
            else:
                with client:
                    held, note = mailjet_held(client, workspace, details.email)
            return access_export(details, folder, held, note)

        self._busy(True)
        self.host.runner.submit(work, self._exported, self._export_failed)

    def _exported(self, files: tuple[Path, Path]) -> None:
        self._busy(False)
        data, page = files
        self.host.events.say(
            f"Everything held about this person is in {data.parent}: {data.name} and {page.name}",
            30_000,
        )

    def _export_failed(self, exc: Exception) -> None:
        self._busy(False)
        reason = getattr(exc, "user_message", None) or getattr(exc, "strerror", None) or exc
        dialogs.tell_problem(
            self.panel, "Nothing exported", f"The files could not be written ({reason})."
        )

    # -- erasure ---------------------------------------------------------------------------

    def erase(self) -> None:
        """Name the person and the backups that hold them, and erase them once confirmed."""
        contact_id = self.panel.contact_id
        if contact_id is None:
            return
        workspace = self.host.workspace

        def look(_cancel: CancelToken) -> tuple[str, list[Path]]:
            with workspace.reading() as con:
                row = con.execute("SELECT email FROM contacts WHERE id = ?", (contact_id,))
                found = row.fetchone()
            if found is None:
                raise NoSuchPerson("That contact is no longer in this workspace.")
            return str(found[0]), backups_holding(workspace.path)

        self._busy(True)
        self.host.runner.submit(
            look, lambda found: self._confirm(contact_id, *found), self._erase_failed
        )

    def _confirm(self, contact_id: int, email: str, backups: list[Path]) -> None:
        text = (
            f"Erase {email} from this workspace?\n\n"
            "Their contact, properties, consent records, lists and history are deleted, and "
            "no trace of them is left in the workspace file. This cannot be undone. A later "
            "import holds the address back unless you confirm a new, dated consent."
        )
        if backups:
            text += "\n\nThese backups, made before, still hold them:\n" + "\n".join(
                f"  {path}" for path in backups
            )
        text += "\n\nBackups you made yourself still hold them too."
        if not dialogs.ask_confirm(self.panel, "Erase this person", text, "Erase"):
            self._busy(False)
            return
        workspace = self.host.workspace
        self.host.events.say("Erasing…", 0)
        self.host.runner.submit(
            lambda _cancel: erase_contact(workspace, contact_id),
            self._erased,
            self._erase_failed,
            pool=Pool.WRITE,
        )

    def _erased(self, done: Erasure) -> None:
        self._busy(False)
        self.panel.close_panel()
        self.host.events.announce(ERASED)
        held = len(done.backups)
        self.host.events.say(
            "Erased: nothing of the person is left in this workspace."
            + (f" Backups made before that still hold them: {held}." if held else ""),
            30_000,
        )

    def _erase_failed(self, exc: Exception) -> None:
        self._busy(False)
        self.host.events.say("", 0)
        reason = getattr(exc, "user_message", None) or exc
        dialogs.tell_problem(self.panel, "Not erased", f"Nobody was erased ({reason}).")
