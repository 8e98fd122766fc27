"""Edit… in a contact's details: the address, the names and every imported property, saved
as one undoable step (mjdesk.core.edits.edit_contact)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mjdesk.core.details import ContactDetails, contact_details
from mjdesk.core.edits import EditResult, edit_contact
from mjdesk.core.work import CancelToken, UserError
from mjdesk.ui.common import dialogs
from mjdesk.ui.common.errors import error_text
from mjdesk.ui.common.host import FeatureHost
from mjdesk.ui.common.tasks import Pool
from mjdesk.ui.contacts.details import ContactDetailsPanel


class ContactEditDialog(QDialog):
    """The fields of one contact, editable; `changes` gives what was changed."""

    def __init__(self, details: ContactDetails, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.details = details
        self.setWindowTitle("Edit contact")
        self.setAccessibleName("Edit contact")
        self.email = QLineEdit(details.email, self)
        self.email.setAccessibleName("E-mail address")
        self.first_name = QLineEdit(details.first_name, self)
        self.first_name.setAccessibleName("First name")
        self.last_name = QLineEdit(details.last_name, self)
        self.last_name.setAccessibleName("Last name")
        form = QFormLayout()
        form.addRow("&E-mail:", self.email)
        form.addRow("&First name:", self.first_name)
        form.addRow("&Last name:", self.last_name)

        self.properties = QTableWidget(0, 2, self)
        self.properties.setAccessibleName("Properties")
        self.properties.setHorizontalHeaderLabels(["Property", "Value"])
        self.properties.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.properties.verticalHeader().setVisible(False)
        self.properties.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for name, value in sorted(details.properties.items()):
            self.add_property(name, value)
        add = QPushButton("&Add Property", self)
        add.setAccessibleName("Add a property")
        add.clicked.connect(lambda: self.add_property("", "", edit=True))
        remove = QPushButton("&Remove Property", self)
        remove.setAccessibleName("Remove the selected property")
        remove.clicked.connect(self._remove_selected)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)

        note = QLabel(
            "Consent is not edited here: it is a record of what the person agreed to, kept "
            "with its proof (use Actions › Withdraw Consent or Record Consent).",
            self,
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Properties (from imports):", self))
        layout.addWidget(self.properties, 1)
        layout.addLayout(row)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.resize(520, 480)

    def add_property(self, name: str, value: str, *, edit: bool = False) -> None:
        row = self.properties.rowCount()
        self.properties.insertRow(row)
        self.properties.setItem(row, 0, QTableWidgetItem(name))
        self.properties.setItem(row, 1, QTableWidgetItem(value))
        if edit:
            self.properties.setCurrentCell(row, 0)
            item = self.properties.item(row, 0)
            if item is not None:
                self.properties.editItem(item)

    def _remove_selected(self) -> None:
        for row in sorted({i.row() for i in self.properties.selectedIndexes()}, reverse=True):
            self.properties.removeRow(row)

    def property_values(self) -> dict[str, str]:
        """The properties as the table holds them (rows without a name are left out)."""
        values: dict[str, str] = {}
        for row in range(self.properties.rowCount()):
            name_item, value_item = self.properties.item(row, 0), self.properties.item(row, 1)
            name = name_item.text().strip() if name_item is not None else ""
            if name:
                values[name] = value_item.text() if value_item is not None else ""
        return values

    def changes(self) -> dict[str, object]:
        """What differs from the contact as it was: keyword arguments for `edit_contact`."""
        changed: dict[str, object] = {}
        for key, field, before in (
            ("email", self.email, self.details.email),
            ("first_name", self.first_name, self.details.first_name),
            ("last_name", self.last_name, self.details.last_name),
        ):
            text = field.text().strip()
            if text != before:
                changed[key] = text
        properties = self.property_values()
        if properties != self.details.properties:
            changed["properties"] = properties
        return changed


class ContactEditor(QObject):
    """The details panel's "Edit…" button: the dialog, then the change as one step."""

    def __init__(
        self,
        panel: ContactDetailsPanel,
        host: FeatureHost,
        org_domains: Callable[[], tuple[str, ...]] = tuple,
    ) -> None:
        super().__init__(panel)
        self.panel = panel
        self.host = host
        self.org_domains = org_domains
        self.dialog: ContactEditDialog | None = None
        self.button = QPushButton("Edit…", panel)
        self.button.setAccessibleName("Edit this contact")
        self.button.setToolTip("Change the address, the names or the properties (Ctrl+Z undoes)")
        self.button.clicked.connect(self.edit)
        panel.add_actions(self.button)

    def edit(self) -> None:
        contact_id = self.panel.contact_id
        if contact_id is None:
            return
        with self.host.workspace.reading() as con:
            details = contact_details(con, contact_id)
        if details is None:
            dialogs.tell_problem(
                self.panel, "Edit contact", "That contact is no longer in the workspace."
            )
            return
        self.dialog = ContactEditDialog(details, self.panel)
        self.dialog.accepted.connect(lambda: self._save(details.id))
        self.dialog.open()

    def _save(self, contact_id: int) -> None:
        assert self.dialog is not None
        changes = self.dialog.changes()
        if not changes:
            return
        workspace, domains = self.host.workspace, self.org_domains()

        def work(_cancel: CancelToken) -> EditResult:
            return edit_contact(workspace, contact_id, org_domains=domains, **changes)  # type: ignore[arg-type]

        def done(result: EditResult) -> None:
            self.button.setEnabled(True)
            self.host.events.changed.emit(result.changes)
            self.host.events.message.emit(result.message + "  (Edit › Undo takes it back.)", 8000)

        def failed(exc: Exception) -> None:
            self.button.setEnabled(True)
            text = exc.user_message if isinstance(exc, UserError) else error_text(exc)
            dialogs.tell_problem(self.panel, "Edit contact", f"Nothing was changed: {text}")
            if self.dialog is not None:
                self.dialog.open()  # with what was typed, to correct it

        self.button.setEnabled(False)
        self.host.runner.submit(work, done, failed, pool=Pool.WRITE)
