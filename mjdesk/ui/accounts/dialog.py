"""Settings › Accounts: add, verify, list, open, edit and remove Mailjet account profiles.

Keys are checked with Mailjet on the spot, on the network pool, and stored (in the OS keyring)
only once they work. The secret key is typed into a password field and never shown again: not
in a label, a title, a message or a log line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mjdesk.core.paths import AppPaths
from mjdesk.core.profiles import PRACTICE_PROFILE, REGIONS, ProfileError
from mjdesk.core.work import CancelToken
from mjdesk.mailjet.accounts import Accounts
from mjdesk.mailjet.credentials import (
    REGION_NAMES,
    Credentials,
    CredentialsError,
    api_host,
    api_url_for,
)
from mjdesk.ui.accounts.status import explain
from mjdesk.ui.common.tasks import Pool, TaskRunner

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verified:
    """What a successful check found (plain values, from the network task)."""

    email: str
    persisted: bool


class ProfileEditor(QDialog):
    """The form to add a profile (or change an existing one's keys and region)."""

    #: a profile was verified and saved (its name)
    saved = Signal(str)

    def __init__(
        self,
        accounts: Accounts,
        runner: TaskRunner,
        *,
        existing: str | None = None,
        suggested_name: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.accounts = accounts
        self.runner = runner
        self.existing = existing
        self._token: CancelToken | None = None
        self._kept: Credentials | None = None
        self.setWindowTitle("Edit Mailjet account" if existing else "Add a Mailjet account")
        self.setObjectName("profileEditor")

        self.name_edit = QLineEdit(existing or suggested_name, self)
        self.name_edit.setAccessibleName("Profile name")
        self.name_edit.setPlaceholderText("e.g. Department news")
        self.name_edit.setReadOnly(existing is not None)
        self.key_edit = QLineEdit(self)
        self.key_edit.setAccessibleName("API key")
        self.key_edit.setPlaceholderText("32 letters and digits, from Mailjet's API key page")
        self.secret_edit = QLineEdit(self)
        self.secret_edit.setAccessibleName("Secret key")
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_edit.setInputMethodHints(
            Qt.InputMethodHint.ImhHiddenText
            | Qt.InputMethodHint.ImhSensitiveData
            | Qt.InputMethodHint.ImhNoPredictiveText
        )
        self.region_box = QComboBox(self)
        self.region_box.setAccessibleName("Region")
        for region in REGIONS:
            self.region_box.addItem(REGION_NAMES[region], region)
        if existing is not None:
            entry = accounts.book.get(existing)
            if entry is not None:
                self.region_box.setCurrentIndex(max(0, REGIONS.index(entry.region)))
            # Reads the keyring once, so the user need not paste the key again.
            self._kept = accounts.store.load(existing)
            if self._kept is not None:
                self.key_edit.setText(self._kept.api_key)
                self.secret_edit.setPlaceholderText("leave empty to keep the current secret key")

        form = QFormLayout()
        form.addRow(self._buddy("Profile &name:", self.name_edit), self.name_edit)
        form.addRow(self._buddy("&API key:", self.key_edit), self.key_edit)
        form.addRow(self._buddy("&Secret key:", self.secret_edit), self.secret_edit)
        form.addRow(self._buddy("&Region:", self.region_box), self.region_box)

        self.message = QLabel(
            "Paste the API key and the secret key from Mailjet (Account settings › REST API). "
            "mjdesk checks them with Mailjet before saving them in this computer's password "
            "store.",
            self,
        )
        self.message.setObjectName("verificationMessage")
        self.message.setAccessibleName("Verification result")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setMinimumWidth(420)

        self.buttons = QDialogButtonBox(self)
        self.verify_button = self.buttons.addButton(
            "&Verify and save", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.verify_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.verify_button.clicked.connect(self.verify)
        self.cancel_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        (self.key_edit if existing else self.name_edit).setFocus()

    def _buddy(self, text: str, field: QWidget) -> QLabel:
        label = QLabel(text, self)
        label.setBuddy(field)
        return label

    @property
    def busy(self) -> bool:
        return self._token is not None

    def _say(self, text: str, *, problem: bool = False) -> None:
        self.message.setText(text)
        self.message.setProperty("problem", problem)
        self.message.setStyleSheet("color: #a4000f;" if problem else "")

    def _set_editing(self, enabled: bool) -> None:
        for widget in (self.key_edit, self.secret_edit, self.region_box, self.verify_button):
            widget.setEnabled(enabled)
        self.name_edit.setEnabled(enabled)

    def verify(self) -> None:
        """Check the keys with Mailjet in the background; save them only if they work."""
        if self.busy:
            return
        name = self.name_edit.text().strip()
        if self.existing is None:
            try:
                name = self.accounts.book.check_new_name(name)
            except ProfileError as problem:
                self._say(str(problem), problem=True)
                self.name_edit.setFocus()
                return
        api_key = "".join(self.key_edit.text().split())
        secret = "".join(self.secret_edit.text().split())
        if not secret and self._kept is not None and api_key == self._kept.api_key:
            secret = self._kept.secret_key
        if not api_key:
            self._say("Paste the API key.", problem=True)
            self.key_edit.setFocus()
            return
        if not secret:
            self._say("Paste the secret key.", problem=True)
            self.secret_edit.setFocus()
            return
        credentials = Credentials(api_key, secret)
        region = str(self.region_box.currentData())
        api_url = api_url_for(region, self.accounts.api_url)
        store = self.accounts.store

        def work(_cancel: CancelToken) -> Verified:
            from mjdesk.mailjet.credentials import verify

            user = verify(credentials, api_url)
            return Verified(user.email or user.username, store.save(name, credentials))

        self._set_editing(False)
        self._say("Checking these keys with Mailjet…")
        self._token = self.runner.submit(
            work,
            lambda result: self._verified(name, region, result),
            self._failed,
            pool=Pool.NETWORK,
        )

    def _verified(self, name: str, region: str, result: Verified) -> None:
        self._token = None
        self.secret_edit.clear()
        try:
            if self.existing is None:
                self.accounts.book.add(name, region)
            else:
                self.accounts.book.set_region(name, region)
        except (ProfileError, OSError) as problem:
            self._set_editing(True)
            self._say(f"The keys work, but the profile could not be saved: {problem}", problem=True)
            return
        kept = (
            "Its keys are kept in this computer's password store."
            if result.persisted
            else self.accounts.store.problem
        )
        self._say(f"Verified: the keys belong to {result.email}. {kept}")
        log.info("Profile %r verified and saved (keyring: %s)", name, result.persisted)
        self.saved.emit(name)
        self.accept()

    def _failed(self, error: Exception) -> None:
        self._token = None
        self._set_editing(True)
        _short, sentence = explain(error)
        self._say(f"{sentence} Nothing was saved.", problem=True)
        (self.secret_edit if "keys" in _short else self.verify_button).setFocus()

    def reject(self) -> None:
        if self._token is not None:
            self._token.cancel()  # the answer is ignored; nothing gets saved
            self._token = None
        super().reject()


def ask_remove(parent: QWidget, name: str, workspace_open: bool) -> tuple[bool, bool]:
    """Ask before removing a profile: (remove?, also delete its local workspace?)."""
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        "Remove account",
        f"Remove the profile “{name}”?",
        QMessageBox.StandardButton.Cancel,
        parent,
    )
    box.setInformativeText(
        "Its API key and secret key are removed from this computer's password store. "
        "The Mailjet account itself is not touched."
    )
    remove = box.addButton("&Remove", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    check = QCheckBox("Also delete its local &workspace (contacts and consent records)", box)
    if workspace_open:
        check.setEnabled(False)
        check.setToolTip("The workspace is open now: open another profile first to delete it.")
    box.setCheckBox(check)
    box.exec()
    return box.clickedButton() is remove, check.isChecked()


class AccountsDialog(QDialog):
    """Settings › Accounts."""

    #: open this profile's workspace (the window is reopened on it)
    switchRequested = Signal(str)
    #: profiles were added, changed or removed
    accountsChanged = Signal()
    #: the user asked to leave the practice sandbox
    leaveRequested = Signal()

    def __init__(
        self,
        accounts: Accounts,
        runner: TaskRunner,
        paths: AppPaths,
        current: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.accounts = accounts
        self.runner = runner
        self.paths = paths
        self.current = current
        self.editor: ProfileEditor | None = None
        #: replaced by tests (pytest-qt "dialogs")
        self.ask_remove: Callable[[QWidget, str, bool], tuple[bool, bool]] = ask_remove
        self.setWindowTitle("Accounts")
        self.setObjectName("accountsDialog")

        intro = QLabel(
            "Each profile is one Mailjet account (or sub-account) with its own workspace on "
            "this computer.",
            self,
        )
        intro.setWordWrap(True)
        self.list = QListWidget(self)
        self.list.setAccessibleName("Profiles")
        list_label = QLabel("&Profiles:", self)
        list_label.setBuddy(self.list)
        self.keyring_label = QLabel(self)
        self.keyring_label.setObjectName("keyringStatus")
        self.keyring_label.setAccessibleName("Password store")
        self.keyring_label.setWordWrap(True)
        self.keyring_label.setTextFormat(Qt.TextFormat.PlainText)

        self.add_button = QPushButton("&Add…", self)
        self.edit_button = QPushButton("&Edit…", self)
        self.remove_button = QPushButton("&Remove…", self)
        self.open_button = QPushButton("&Open", self)
        self.open_button.setToolTip("Open this profile's workspace (the window reopens on it)")
        self.leave_button = QPushButton("&Leave practice", self)
        self.leave_button.setToolTip("Back to your own profile (the window reopens on it)")
        self.leave_button.clicked.connect(self.leave_practice)
        side = QVBoxLayout()
        for button in (self.open_button, self.add_button, self.edit_button, self.remove_button):
            side.addWidget(button)
        side.addWidget(self.leave_button)
        side.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.list, 1)
        row.addLayout(side)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(list_label)
        layout.addLayout(row)
        layout.addWidget(self.keyring_label)
        layout.addWidget(close)
        self.resize(560, 360)

        self.add_button.clicked.connect(self.add_profile)
        self.edit_button.clicked.connect(self.edit_profile)
        self.remove_button.clicked.connect(self.remove_profile)
        self.open_button.clicked.connect(self.open_profile)
        self.list.currentItemChanged.connect(self._update_buttons)
        self.list.itemActivated.connect(lambda _item: self.open_profile())
        self.leave_button.setVisible(self.practising)
        self.reload()
        self._show_keyring()

    # -- list ----------------------------------------------------------------------------

    def reload(self, select: str | None = None) -> None:
        select = select or self.selected or self.current
        self.list.clear()
        if self.practising:
            item = QListWidgetItem(
                f"{PRACTICE_PROFILE} — the practice sandbox on this computer (open now)"
            )
            item.setData(Qt.ItemDataRole.UserRole, PRACTICE_PROFILE)
            self.list.addItem(item)
            if select == PRACTICE_PROFILE:
                self.list.setCurrentItem(item)
        for profile in self.accounts.book:
            where = "Mailjet US" if profile.region == "us" else "Mailjet"
            text = f"{profile.name} — {where}, {api_host(profile.region)}"
            if profile.created:
                text += f" — added {profile.created[:10]}"
            if profile.name == self.current:
                text += " (open now)"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, profile.name)
            self.list.addItem(item)
            if profile.name == select:
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        self._update_buttons()

    @property
    def selected(self) -> str | None:
        item = self.list.currentItem() if hasattr(self, "list") else None
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    @property
    def practising(self) -> bool:
        """The window is on the practice sandbox."""
        return self.current == PRACTICE_PROFILE and self.accounts.practice is not None

    def _update_buttons(self, *_: object) -> None:
        name = self.selected
        own = name is not None and name != PRACTICE_PROFILE  # the practice one is not kept
        self.edit_button.setEnabled(own)
        self.remove_button.setEnabled(own)
        self.open_button.setEnabled(name is not None and name != self.current)
        if not self.list.count():
            self.add_button.setDefault(True)

    def _show_keyring(self) -> None:
        store = self.accounts.store
        if store.persistent:
            self.keyring_label.setText(
                "Keys are kept in this computer's password store, never in a file."
            )
            self.keyring_label.setStyleSheet("")
        else:
            self.keyring_label.setText(store.problem)
            self.keyring_label.setStyleSheet("color: #8a5300;")

    # -- actions -------------------------------------------------------------------------

    def add_profile(self) -> None:
        suggested = ""
        if not len(self.accounts.book) and self.current != PRACTICE_PROFILE:
            suggested = self.current  # the first account usually belongs to this workspace
        self._edit(ProfileEditor(self.accounts, self.runner, suggested_name=suggested, parent=self))

    def edit_profile(self) -> None:
        name = self.selected
        if name is not None:
            self._edit(ProfileEditor(self.accounts, self.runner, existing=name, parent=self))

    def _edit(self, editor: ProfileEditor) -> None:
        self.editor = editor
        editor.saved.connect(self._saved)
        editor.finished.connect(lambda _code: self._editor_closed(editor))
        editor.open()

    def _editor_closed(self, editor: ProfileEditor) -> None:
        if self.editor is editor:
            self.editor = None
        editor.deleteLater()

    def _saved(self, name: str) -> None:
        self.reload(select=name)
        self._show_keyring()
        self.accountsChanged.emit()

    def remove_profile(self) -> None:
        name = self.selected
        if name is None:
            return
        confirmed, delete_workspace = self.ask_remove(self, name, name == self.current)
        if not confirmed:
            return
        try:
            self.accounts.store.delete(name)
        except CredentialsError as problem:
            QMessageBox.warning(self, "Remove account", str(problem))
            return
        self.accounts.book.remove(name)
        if delete_workspace and name != self.current:
            self._delete_workspace(name)
        log.info("Profile %r removed (workspace deleted: %s)", name, delete_workspace)
        self.reload()
        self.accountsChanged.emit()

    def _delete_workspace(self, name: str) -> None:
        from mjdesk.core.filelock import FileLock, LockHeld

        target = self.paths.workspace_file(name)
        if not target.exists():
            return
        lock = FileLock(target.with_name(target.name + ".lock"))
        try:
            with lock:  # not while another mjdesk window has it open
                for suffix in ("", "-wal", "-shm"):
                    target.with_name(target.name + suffix).unlink(missing_ok=True)
        except (LockHeld, OSError) as problem:
            QMessageBox.warning(
                self,
                "Remove account",
                "The profile was removed, but its workspace could not be deleted "
                f"({type(problem).__name__}): it may be open in another mjdesk (window or "
                "command line).",
            )

    def open_profile(self) -> None:
        name = self.selected
        if name is not None and name != self.current:
            self.switchRequested.emit(name)
            self.accept()

    def leave_practice(self) -> None:
        """Back to the profile used before practising."""
        self.leaveRequested.emit()
        self.accept()

    def reject(self) -> None:
        if self.editor is not None:
            self.editor.reject()
        super().reject()
