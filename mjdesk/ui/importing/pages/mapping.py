"""Step 2 of the import wizard: what each column of the file is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWizardPage,
)

from mjdesk.core.importing import ColumnMapping, PropertyType, Role, Table

if TYPE_CHECKING:
    from mjdesk.ui.importing.pages.host import WizardHost

ROLE_TEXT = {
    Role.EMAIL: "Email address",
    Role.FIRST_NAME: "First name",
    Role.LAST_NAME: "Last name",
    Role.FULL_NAME: "Full name",
    Role.CONSENT: "Consent (yes/no)",
    Role.CONSENT_DATE: "Consent date",
    Role.PROPERTY: "Other information (property)",
    Role.SKIP: "Do not import",
}
TYPE_TEXT = {
    PropertyType.STR: "Text",
    PropertyType.INT: "Whole number",
    PropertyType.FLOAT: "Number",
    PropertyType.BOOL: "Yes/no",
    PropertyType.DATETIME: "Date",
}
COLUMN, EXAMPLES, ROLE, NAME, TYPE = range(5)


def examples(values: list[str], count: int = 3) -> str:
    """The first few non-empty values of a column, for recognising it."""
    found = []
    for value in values:
        if value.strip():
            found.append(value.strip()[:40])
            if len(found) == count:
                break
    return ", ".join(found)


class MappingPage(QWizardPage):
    """One row per column: its header, examples, and what it is imported as."""

    def __init__(self, wizard: WizardHost) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("What is in each column?")
        self.setSubTitle(
            "mjdesk has guessed from the headers and the values. Change anything that is "
            "wrong; the choice is remembered for files with the same columns."
        )
        self.table = QTableWidget(0, 5, self)
        self.table.setObjectName("importMapping")
        self.table.setAccessibleName("Column mapping")
        self.table.setHorizontalHeaderLabels(
            ["Column", "Examples", "Import as", "Property name", "Type"]
        )
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab moves between the combo boxes instead
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(EXAMPLES, QHeaderView.ResizeMode.Stretch)
        for column, width in ((COLUMN, 150), (ROLE, 210), (NAME, 140), (TYPE, 120)):
            self.table.setColumnWidth(column, width)
        self.message = QLabel(self)
        self.message.setObjectName("mappingMessage")
        self.message.setAccessibleName("Mapping problem")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b3261e;")
        self.message.hide()
        self.remembered_note = QLabel(self)
        self.remembered_note.setAccessibleName("Remembered mapping")
        self.remembered_note.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.remembered_note)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        self.mapping: ColumnMapping | None = None
        self._filling = False

    def initializePage(self) -> None:
        state = self._wizard.session
        assert state.table is not None
        assert state.mapping is not None
        self.mapping = state.mapping
        self.remembered_note.setText(
            "These choices were remembered from an earlier file with the same columns."
        )
        self.remembered_note.setVisible(state.mapping_remembered)
        self._fill(state.table)
        self._show_message("")

    def _fill(self, table: Table) -> None:
        assert self.mapping is not None
        self._filling = True
        self.table.setRowCount(len(self.mapping.columns))
        for row, choice in enumerate(self.mapping.columns):
            name = QTableWidgetItem(choice.header or f"(column {row + 1})")
            self.table.setItem(row, COLUMN, name)
            self.table.setItem(row, EXAMPLES, QTableWidgetItem(examples(table.columns[row])))
            role_box = QComboBox()
            role_box.setAccessibleName(f"Import column {choice.header} as")
            for role, text in ROLE_TEXT.items():
                role_box.addItem(text, role)
            role_box.currentIndexChanged.connect(lambda _i, r=row: self._role_changed(r))
            self.table.setCellWidget(row, ROLE, role_box)
            name_edit = QLineEdit()
            name_edit.setAccessibleName(f"Property name for column {choice.header}")
            name_edit.editingFinished.connect(lambda r=row: self._property_changed(r))
            self.table.setCellWidget(row, NAME, name_edit)
            type_box = QComboBox()
            type_box.setAccessibleName(f"Type of column {choice.header}")
            for kind, text in TYPE_TEXT.items():
                type_box.addItem(text, kind)
            type_box.currentIndexChanged.connect(lambda _i, r=row: self._property_changed(r))
            self.table.setCellWidget(row, TYPE, type_box)
        self._filling = False
        self._sync()

    def role_box(self, row: int) -> QComboBox:
        widget = self.table.cellWidget(row, ROLE)
        assert isinstance(widget, QComboBox)
        return widget

    def _name_edit(self, row: int) -> QLineEdit:
        widget = self.table.cellWidget(row, NAME)
        assert isinstance(widget, QLineEdit)
        return widget

    def _type_box(self, row: int) -> QComboBox:
        widget = self.table.cellWidget(row, TYPE)
        assert isinstance(widget, QComboBox)
        return widget

    def _sync(self) -> None:
        """Show the mapping in the widgets (a role taken by one column leaves another)."""
        assert self.mapping is not None
        self._filling = True
        for row, choice in enumerate(self.mapping.columns):
            self.role_box(row).setCurrentIndex(list(ROLE_TEXT).index(choice.role))
            is_property = choice.role is Role.PROPERTY
            name_edit, type_box = self._name_edit(row), self._type_box(row)
            name_edit.setText(choice.property_name if is_property else "")
            name_edit.setEnabled(is_property)
            type_box.setCurrentIndex(list(TYPE_TEXT).index(choice.property_type))
            type_box.setEnabled(is_property)
        self._filling = False
        self.completeChanged.emit()

    def set_role(self, header: str, role: Role) -> None:
        """Give the column ``header`` a role (as choosing it in the list does)."""
        assert self.mapping is not None
        self.mapping = self.mapping.with_role(header, role)
        self._sync()
        self._show_message("")

    def _role_changed(self, row: int) -> None:
        if self._filling or self.mapping is None:
            return
        role = self.role_box(row).currentData()
        self.set_role(self.mapping.columns[row].header, role)

    def _property_changed(self, row: int) -> None:
        if self._filling or self.mapping is None:
            return
        choice = self.mapping.columns[row]
        if choice.role is not Role.PROPERTY:
            return
        self.mapping = self.mapping.with_role(
            choice.header,
            Role.PROPERTY,
            property_name=self._name_edit(row).text().strip() or None,
            property_type=self._type_box(row).currentData(),
        )

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def validatePage(self) -> bool:
        if self.mapping is None:
            return False
        if self.mapping.header_for(Role.EMAIL) is None:
            self._show_message(
                "Choose the column that holds the e-mail addresses: every contact needs one."
            )
            return False
        names = [c.property_name for c in self.mapping.properties()]
        clash = {n for n in names if names.count(n) > 1}
        if clash:
            self._show_message(
                "Two columns would become the same property ("
                + ", ".join(sorted(clash))
                + "): give them different names, or do not import one of them."
            )
            return False
        self._wizard.session.take_mapping(self.mapping)
        return True
