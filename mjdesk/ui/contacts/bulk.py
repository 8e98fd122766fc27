"""The Contacts page's Actions on the selection (or on every contact a filter shows, after
"Select all N matching"): withdraw or record consent, add to or remove from a list, accept
typo fixes, merge, delete, and expire every stale consent.

Each is one step of the workspace history (mjdesk.core.edits), run off the GUI thread,
undone with Edit › Undo (Ctrl+Z) or from the Activity page, also after a restart. What
cannot be undone lightly is confirmed with the number of contacts it touches.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from PySide6.QtCore import QDate, QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QVBoxLayout,
    QWidget,
)

from mjdesk.core import edits, wording
from mjdesk.core.edits import EditResult
from mjdesk.core.work import CancelToken, UserError
from mjdesk.ui.common import dialogs
from mjdesk.ui.common.errors import error_text
from mjdesk.ui.common.host import FeatureHost
from mjdesk.ui.common.tasks import Pool

log = logging.getLogger(__name__)

#: a merge shows every contact it joins; more than this is surely a mistaken selection
MERGE_LIMIT = 50


class ConsentDialog(QDialog):
    """What recording a consent needs: the wording agreed to, where it was given, when."""

    def __init__(self, count: int, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record consent")
        self.setAccessibleName("Record consent")
        note = QLabel(
            f"A consent record is added for {count:,} contact{'s' if count != 1 else ''}, "
            "with the proof below. Nothing is removed: the consent ledger keeps every record.",
            self,
        )
        note.setWordWrap(True)
        self.wording = QLineEdit(self)
        self.wording.setAccessibleName("Wording agreed to")
        self.wording.setPlaceholderText("I agree to receive the department newsletter")
        self.source = QLineEdit(self)
        self.source.setAccessibleName("Source of the consent")
        self.source.setPlaceholderText("Paper sign-up sheet, open day 2026")
        self.date = QDateEdit(QDate.currentDate(), self)
        self.date.setAccessibleName("Date the consent was given")
        self.date.setCalendarPopup(True)
        self.date.setMaximumDate(QDate.currentDate())
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.basis = QComboBox(self)
        self.basis.setAccessibleName("Lawful basis")
        self.basis.addItems(["consent", "legitimate interests", "contract"])
        form = QFormLayout()
        form.addRow("&Wording:", self.wording)
        form.addRow("&Source:", self.source)
        form.addRow("&Date given:", self.date)
        self.date.setToolTip("The day the person consented: today or earlier, never later")
        form.addRow("", QLabel("(today or earlier: a consent is never dated ahead)", self))
        form.addRow("Lawful &basis:", self.basis)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        for field in (self.wording, self.source):
            field.textChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        ready = bool(self.wording.text().strip() and self.source.text().strip())
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if ok is not None:
            ok.setEnabled(ready)


class MergeDialog(QDialog):
    """Which of the selected contacts survives a merge (the others' consent records,
    lists and properties go to it)."""

    def __init__(self, people: list[tuple[int, str, str]], parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Merge contacts")
        self.setAccessibleName("Merge contacts")
        note = QLabel(
            f"The {len(people)} contacts become one. Choose the one to keep: every consent "
            "record, list and property of the others is kept on it, then the others are "
            "removed. Edit › Undo brings them back.",
            self,
        )
        note.setWordWrap(True)
        self.people = QListWidget(self)
        self.people.setAccessibleName("Contact to keep")
        for ident, email, name in people:
            item = QListWidgetItem(f"{email}  {name}".strip(), self.people)
            item.setData(256, ident)  # Qt.ItemDataRole.UserRole
        self.people.setCurrentRow(0)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.people)
        layout.addWidget(buttons)

    def survivor(self) -> int:
        item = self.people.currentItem()
        if item is None:
            raise RuntimeError("no contact chosen")
        return int(item.data(256))


class BulkActions(QObject):
    """The edit actions of the Actions menu, over the page's selection."""

    def __init__(
        self,
        host: FeatureHost,
        parent: QWidget,
        selected: Callable[[CancelToken | None], list[int]],
        everything: Callable[[], bool],
        org_domains: Callable[[], tuple[str, ...]] = tuple,
    ) -> None:
        super().__init__(parent)
        self.host = host
        self.parent_widget = parent
        self.selected = selected
        self.everything = everything
        self.org_domains = org_domains
        self.busy = False
        self.actions: dict[str, QAction] = {}
        for key, title, tip, slot in (
            (
                "withdraw",
                "&Withdraw Consent…",
                "Record that they withdrew their consent",
                self.withdraw,
            ),
            ("record", "&Record Consent…", "Record a consent given with its proof", self.record),
            ("add_list", "&Add to List…", "Put them on a local list", self.add_to_list),
            (
                "remove_list",
                "Remove from &List…",
                "Take them off a local list",
                self.remove_from_list,
            ),
            (
                "typos",
                "Accept &Typo Fixes",
                "Give flagged addresses the suggested fix",
                self.accept_typos,
            ),
            ("merge", "&Merge…", "Join duplicates into one contact", self.merge),
            ("delete", "&Delete…", "Remove them (Edit › Undo brings them back)", self.delete),
            (
                "expire",
                "&Expire Stale Consent…",
                "Withdraw every consent older than the retention period",
                self.expire,
            ),
        ):
            action = QAction(title, parent)
            action.setStatusTip(tip)
            action.triggered.connect(slot)
            self.actions[key] = action

    def add_shortcuts(self, table: QWidget) -> None:
        """Delete on the table deletes the selected contacts (after asking)."""
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QKeySequence

        delete = self.actions["delete"]
        delete.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        delete.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        table.addAction(delete)

    def fill(self, menu: QMenu) -> None:
        for key in ("withdraw", "record", "add_list", "remove_list", "typos", "merge"):
            menu.addAction(self.actions[key])
        menu.addSeparator()
        menu.addAction(self.actions["delete"])
        menu.addSeparator()
        menu.addAction(self.actions["expire"])

    # -- the selection -------------------------------------------------------------------

    def _with_selection(self, then: Callable[[list[int]], None]) -> None:
        """Call ``then`` with the selected ids (read in the background when every contact
        a filter shows is selected: a million ids take a moment)."""
        if not self.everything():
            ids = self.selected(None)
            if not ids:
                self.host.events.message.emit(
                    "Select contacts first (click, Shift+click, or “Select all N matching”).",
                    6000,
                )
                return
            then(ids)
            return
        self.host.runner.submit(
            lambda cancel: self.selected(cancel),
            then,
            lambda exc: dialogs.tell_problem(self.parent_widget, "Actions", error_text(exc)),
        )

    def _run(self, title: str, work: Callable[[], EditResult]) -> None:
        """Run one edit step off the GUI thread; say what it did, or why it did nothing."""
        if self.busy:
            self.host.events.message.emit("Another change is still being saved.", 4000)
            return
        self.busy = True

        def done(result: EditResult) -> None:
            self.busy = False
            self.host.events.changed.emit(result.changes)
            self.host.events.message.emit(result.message + "  (Edit › Undo takes it back.)", 8000)

        def failed(exc: Exception) -> None:
            self.busy = False
            if isinstance(exc, UserError):
                dialogs.tell_problem(self.parent_widget, title, exc.user_message)
            else:
                log.error("%s failed: %s", title, exc)
                dialogs.tell_problem(self.parent_widget, title, error_text(exc))

        self.host.runner.submit(lambda _cancel: work(), done, failed, pool=Pool.WRITE)

    # -- the actions ---------------------------------------------------------------------

    def withdraw(self) -> None:
        def ask(ids: list[int]) -> None:
            current = self._with_consent(ids)
            if not current:
                dialogs.tell_problem(
                    self.parent_widget,
                    "Withdraw consent",
                    f"None of the {_count(ids)} has a consent to withdraw.",
                )
                return
            others = len(ids) - current
            text = (
                f"Withdraw the consent of {current:,} contact{'s' if current != 1 else ''}"
                + (f" ({others:,} selected have none to withdraw)" if others else "")
                + ". Why? (Kept as the proof of the withdrawal, for example “asked by e-mail "
                "on 3 December”.)"
            )
            reason: str | None = ""
            while reason is not None and not reason.strip():
                reason = dialogs.ask_text(self.parent_widget, "Withdraw consent", text, "")
                text = "A withdrawal needs a reason, kept as its proof. " + text.split(". ", 1)[-1]
            if reason is None:
                return
            workspace, why = self.host.workspace, reason.strip()
            self._run("Withdraw consent", lambda: edits.withdraw_consent(workspace, ids, why))

        self._with_selection(ask)

    def record(self) -> None:
        def ask(ids: list[int]) -> None:
            dialog = ConsentDialog(len(ids), self.parent_widget)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            wording, source = dialog.wording.text().strip(), dialog.source.text().strip()
            given = dialog.date.date().toString("yyyy-MM-dd")
            basis = dialog.basis.currentText()
            workspace = self.host.workspace
            self._run(
                "Record consent",
                lambda: edits.record_consents(
                    workspace,
                    ids,
                    wording=wording,
                    source=source,
                    given_at=given,
                    lawful_basis=basis,
                ),
            )

        self._with_selection(ask)

    def _with_consent(self, ids: list[int]) -> int:
        """How many of ``ids`` have a current (granted) consent."""
        with self.host.workspace.reading() as con:
            return int(
                con.execute(
                    "SELECT count(*) FROM consent_summaries WHERE consent_status = 'granted' "
                    "AND contact_id IN (SELECT value FROM json_each(?))",
                    (json.dumps(ids),),
                ).fetchone()[0]
            )

    def _list_names(self) -> list[str]:
        with self.host.workspace.reading() as con:
            return [str(r[0]) for r in con.execute("SELECT name FROM lists ORDER BY name")]

    def add_to_list(self) -> None:
        def ask(ids: list[int]) -> None:
            name = dialogs.ask_choice(
                self.parent_widget,
                "Add to list",
                f"Put {_count(ids)} on the list (type a new name to make a list):",
                self._list_names(),
                editable=True,
            )
            if name is None:
                return
            without = len(ids) - self._with_consent(ids)
            if without and not dialogs.ask_confirm(
                self.parent_widget,
                "Add to list",
                f"{_count_of(without, len(ids))} no consent (withdrawn, or never given). On "
                f"“{name}” they are never mailed: a sync leaves them out. Add them anyway?",
                "Add Anyway",
            ):
                return
            workspace = self.host.workspace
            self._run("Add to list", lambda: edits.add_to_list(workspace, ids, name))

        self._with_selection(ask)

    def remove_from_list(self) -> None:
        def ask(ids: list[int]) -> None:
            names = self._list_names()
            if not names:
                dialogs.tell_problem(
                    self.parent_widget, "Remove from list", "There are no lists yet."
                )
                return
            name = dialogs.ask_choice(
                self.parent_widget, "Remove from list", f"Take {_count(ids)} off the list:", names
            )
            if name is None:
                return
            workspace = self.host.workspace
            self._run("Remove from list", lambda: edits.remove_from_list(workspace, ids, name))

        self._with_selection(ask)

    def accept_typos(self) -> None:
        def ask(ids: list[int]) -> None:
            with self.host.workspace.reading() as con:
                fixes = con.execute(
                    "SELECT c.email, f.hint FROM contact_flags f JOIN contacts c "
                    "ON c.id = f.contact_id WHERE f.flag = 'typo' AND f.hint <> '' "
                    "AND f.contact_id IN (SELECT value FROM json_each(?)) ORDER BY c.email",
                    (json.dumps(ids),),
                ).fetchall()
            if not fixes:
                dialogs.tell_problem(
                    self.parent_widget,
                    "Accept typo fixes",
                    "None of the selected contacts is flagged as a possible typo.",
                )
                return
            shown = "\n".join(f"  {old}  →  {new}" for old, new in fixes[:12])
            more = f"\n  … and {len(fixes) - 12:,} more" if len(fixes) > 12 else ""
            if not dialogs.ask_confirm(
                self.parent_widget,
                "Accept typo fixes",
                f"Correct {wording.count(len(fixes), 'address', 'addresses')}?\n\n"
                f"{shown}{more}\n\nAn address another contact has already is left as it is "
                "(merge those instead). Edit › Undo puts them back.",
                "Fix Addresses",
            ):
                return
            workspace, domains = self.host.workspace, self.org_domains()
            self._run(
                "Accept typo fixes",
                lambda: edits.accept_typo_fixes(workspace, ids, org_domains=domains),
            )

        self._with_selection(ask)

    def merge(self) -> None:
        def ask(ids: list[int]) -> None:
            if not 2 <= len(ids) <= MERGE_LIMIT:
                dialogs.tell_problem(
                    self.parent_widget,
                    "Merge contacts",
                    f"Select between 2 and {MERGE_LIMIT} contacts that are the same person.",
                )
                return
            with self.host.workspace.reading() as con:
                marks = ",".join("?" * len(ids))
                people = [
                    (int(i), str(e), f"{f} {la}".strip())
                    for i, e, f, la in con.execute(
                        f"SELECT id, email, first_name, last_name FROM contacts_with_consent "
                        f"WHERE id IN ({marks}) ORDER BY consent_at DESC, id",
                        ids,
                    )
                ]
            names = {name.casefold() for _i, _e, name in people if name}
            if len(names) > 1 and not dialogs.ask_confirm(
                self.parent_widget,
                "Merge contacts",
                "These contacts do not have the same name:\n\n"
                + "\n".join(f"  {email}  {name}" for _i, email, name in people[:10])
                + "\n\nMerge them only if they are the same person: the consent records "
                "of all of them are kept on the one you keep.",
                "Merge Anyway",
            ):
                return
            dialog = MergeDialog(people, self.parent_widget)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            keep = dialog.survivor()
            others = [i for i in ids if i != keep]
            workspace, domains = self.host.workspace, self.org_domains()
            self._run(
                "Merge contacts",
                lambda: edits.merge_contacts(workspace, [(keep, others)], org_domains=domains),
            )

        self._with_selection(ask)

    def delete(self) -> None:
        def ask(ids: list[int]) -> None:
            if not dialogs.ask_confirm(
                self.parent_widget,
                "Delete contacts",
                f"Delete {_count(ids)} with their consent records and list memberships?\n\n"
                "Edit › Undo brings them back. (To erase a person for good on request, use "
                "“Erase this person…” in their details.)",
                f"Delete {_count(ids)}",
            ):
                return
            workspace, domains = self.host.workspace, self.org_domains()
            self._run(
                "Delete contacts",
                lambda: edits.delete_contacts(workspace, ids, org_domains=domains),
            )

        self._with_selection(ask)

    def expire(self) -> None:
        from mjdesk.core.filters import retention_months, stale_before

        with self.host.workspace.reading() as con:
            months = retention_months(con)
            stale = int(
                con.execute(
                    "SELECT count(*) FROM consent_summaries WHERE consent_status = 'granted' "
                    "AND consent_at < ?",
                    (stale_before(months),),
                ).fetchone()[0]
            )
        if not stale:
            self.host.events.message.emit(f"No consent is older than {months} months.", 6000)
            return
        reason = dialogs.ask_text(
            self.parent_widget,
            "Expire stale consent",
            f"Withdraw the consent of {stale:,} contact{'s' if stale != 1 else ''} whose "
            f"consent is older than {months} months (Settings › Consent Retention)? They are "
            "not mailed again until they consent anew. To ask them first, export the "
            "re-permission list (Actions › Export Re-permission List) before expiring. Give "
            "the reason kept with each withdrawal:",
            f"Consent older than {months} months",
        )
        if reason is None or not reason.strip():
            return
        workspace = self.host.workspace
        self._run("Expire stale consent", lambda: edits.expire_consent(workspace, reason.strip()))


def _count(ids: list[int]) -> str:
    return wording.count(len(ids), "contact")


def _count_of(some: int, total: int) -> str:
    """ "1 of the 28 contacts has", "6 of the 28 contacts have"."""
    verb = "has" if some == 1 else "have"
    return f"{some:,} of the {wording.count(total, 'contact')} {verb}"
