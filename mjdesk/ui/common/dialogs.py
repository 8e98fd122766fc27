"""Questions the user answers in a modal dialog, and problems they must see.

Every feature asks through these functions (called as ``dialogs.ask_confirm(...)``), so a test
replaces them on this module and drives the rest of the window for real.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from mjdesk.core.settings import Settings


def start_folder(settings: Settings, kind: str, near: Path | None = None) -> Path:
    """Where a file dialog for ``kind`` opens: the folder last used for it, else ``near``
    (a report beside its spreadsheet), else the user's Documents folder (never the
    process's working folder)."""
    remembered = settings.folder_for(kind)
    if remembered is not None:
        return remembered
    if near is not None and near.is_dir():
        return near
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    if documents and Path(documents).is_dir():
        return Path(documents)
    return Path.home()  # (a dialog given a folder that does not exist takes it for a name)


def ask_open_file(
    parent: QWidget, title: str, filters: str, *, settings: Settings, kind: str
) -> Path | None:
    """The file the user picks, or None; the dialog opens where files of ``kind`` were last
    opened, and remembers the new folder."""
    name, _ = QFileDialog.getOpenFileName(parent, title, str(start_folder(settings, kind)), filters)
    if not name:
        return None
    settings.remember_folder(kind, Path(name).parent)
    return Path(name)


def ask_save_file(
    parent: QWidget,
    title: str,
    suggested: str,
    filters: str,
    *,
    settings: Settings,
    kind: str,
    near: Path | None = None,
) -> Path | None:
    """Where the user wants a file saved, or None; as `ask_open_file`, by ``kind``."""
    name, _ = QFileDialog.getSaveFileName(
        parent, title, str(start_folder(settings, kind, near) / suggested), filters
    )
    if not name:
        return None
    settings.remember_folder(kind, Path(name).parent)
    return Path(name)


def ask_folder(parent: QWidget, title: str, *, settings: Settings, kind: str) -> Path | None:
    """The folder the user picks, or None; as `ask_open_file`, by ``kind``."""
    name = QFileDialog.getExistingDirectory(parent, title, str(start_folder(settings, kind)))
    if not name:
        return None
    settings.remember_folder(kind, Path(name))
    return Path(name)


def ask_confirm(parent: QWidget, title: str, text: str, action: str) -> bool:
    """Whether the user confirms ``action`` (the default button is Cancel)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    confirm = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is confirm


def ask_text(parent: QWidget, title: str, label: str, text: str) -> str | None:
    """A line of text from the user, or None when cancelled. The explanation wraps, so a
    long one makes the dialog taller, not a thousand pixels wide."""
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    explanation = QLabel(label, dialog)
    explanation.setWordWrap(True)
    field = QLineEdit(text, dialog)
    field.setAccessibleName(title)
    explanation.setBuddy(field)
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, dialog
    )
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(explanation)
    layout.addWidget(field)
    layout.addWidget(buttons)
    dialog.resize(480, dialog.sizeHint().height())
    field.selectAll()
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return field.text()


def ask_password(parent: QWidget, title: str, label: str) -> str | None:
    """A password typed in a masked field, or None when cancelled (or left empty)."""
    text, accepted = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Password)
    return text if accepted and text else None


def tell_problem(parent: QWidget, title: str, text: str) -> None:
    """Show a problem the user has to know about."""
    QMessageBox.warning(parent, title, text)


def ask_choice(
    parent: QWidget, title: str, label: str, choices: list[str], *, editable: bool = False
) -> str | None:
    """One of ``choices`` (or, when ``editable``, a new one typed), or None when cancelled
    or left empty."""
    from PySide6.QtWidgets import QInputDialog

    text, ok = QInputDialog.getItem(parent, title, label, choices, 0, editable)
    return text.strip() if ok and text.strip() else None
