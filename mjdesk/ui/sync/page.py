"""The Lists page (each list, its Mailjet list, its members by subscription state) and the
Sync page (pull a list from Mailjet, then the plan of a push: what it would do for each
member and why the others are blocked; saved as CSV). Offline, the plan is made from the
last pull. The calls to Mailjet run off the GUI thread, with progress and Stop."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mjdesk.core.sync.journal import unfinished_run
from mjdesk.core.sync.lists import ListOverview, list_overview
from mjdesk.core.sync.plan import Action, Plan, make_plan, write_plan_csv
from mjdesk.core.work import UserError
from mjdesk.ui.common import dialogs
from mjdesk.ui.common.errors import error_text
from mjdesk.ui.common.progress import JobStrip
from mjdesk.ui.common.tasks import Pool
from mjdesk.ui.sync.models import ListsModel, PlanModel

if TYPE_CHECKING:
    from PySide6.QtGui import QShowEvent

    from mjdesk.core.changes import Changes
    from mjdesk.core.work import CancelToken, ProgressReport
    from mjdesk.core.workspace import Workspace
    from mjdesk.mailjet.client import MailjetClient
    from mjdesk.mailjet.pushing import PushResult
    from mjdesk.mailjet.syncing import Pulled
    from mjdesk.ui.common.host import FeatureHost

ClientFactory = Callable[[], "MailjetClient | None"]
"""Makes a client for the profile's account (in the background: it reads the keyring),
or None when the profile has no keys."""

PULL_SHORTCUT = "Ctrl+Shift+P"

NO_ACCOUNT = (
    "This profile is not connected to Mailjet: connect it (Settings › Accounts) "
    "to pull a list. The plan of a list pulled before can still be reviewed offline."
)


class ListsPage(QWidget):
    """The workspace's lists with their counts, read again after every change."""

    def __init__(self, host: FeatureHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.setObjectName("listsPage")
        self.setAccessibleName("Lists")
        heading = QLabel(
            "Each list of this workspace, the Mailjet list it is linked to (by the first pull "
            "of a list of the same name) and its members by subscription. Unsubscribed "
            "counts who unsubscribed here or in Mailjet: they are never mailed by the list.",
            self,
        )
        heading.setWordWrap(True)
        self.model = ListsModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("listsTable")
        self.table.setAccessibleName("Lists and their members")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.empty = QLabel(
            "No lists yet: pull one from Mailjet on the Sync page, or add contacts to a list "
            "(Contacts › Actions › Add to List…).",
            self,
        )
        self.empty.setWordWrap(True)
        self.empty.setAccessibleName("No lists yet")
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        self._stale = True
        host.events.changed.connect(self._on_changes)

    def _on_changes(self, changes: Changes) -> None:
        if changes.lists or changes.contacts:
            self._stale = True
            if self.isVisible():
                self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        """Read the lists again (in the background)."""
        self._stale = False
        reading = self.host.workspace.reading

        def work(_cancel: CancelToken) -> list[ListOverview]:
            with reading() as con:
                return list_overview(con)

        self.host.runner.submit(work, self._show, self._failed)

    def _show(self, lists: list[ListOverview]) -> None:
        self.model.set_lists(lists)
        self.empty.setVisible(not lists)

    def _failed(self, exc: Exception) -> None:
        self.empty.setText(f"The lists could not be read: {error_text(exc)}")
        self.empty.show()


class SyncPage(QWidget):
    """Pull a list, then review the plan of a push."""

    #: a pull was stored: its sentence (for the status bar)
    pulled = Signal(str)
    #: a plan is on screen: (list, how many blocked)
    planned = Signal(str, int)

    def __init__(
        self, host: FeatureHost, client_for: ClientFactory, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.host = host
        self.client_for = client_for
        self.plan: Plan | None = None
        self.unfinished: str | None = None
        """When the list's unfinished push started (None: there is none)."""
        self._last_pull = ""
        self.setObjectName("syncPage")
        self.setAccessibleName("Sync")

        heading = QLabel(
            "Pull a list from Mailjet to bring back who unsubscribed, is excluded, bounced or "
            "complained there; then see what a push would do for each member, and why the "
            "others are blocked. Nobody who unsubscribed is ever subscribed again.",
            self,
        )
        heading.setWordWrap(True)
        self.list_choice = QComboBox(self)
        self.list_choice.setObjectName("syncList")
        self.list_choice.setAccessibleName("List to sync")
        self.list_choice.setEditable(True)
        self.list_choice.setMinimumWidth(240)
        editor = self.list_choice.lineEdit()
        if editor is not None:
            editor.setPlaceholderText("Name of the list in Mailjet")
        self.list_choice.currentTextChanged.connect(self._list_changed)
        self.pull_button = QPushButton("&Pull from Mailjet", self)
        self.pull_button.setObjectName("pullButton")
        self.pull_button.setAccessibleName("Pull the list from Mailjet")
        self.pull_button.setToolTip(f"Read the list from Mailjet now ({PULL_SHORTCUT})")
        self.pull_button.clicked.connect(self.pull)
        QShortcut(QKeySequence(PULL_SHORTCUT), self, self.pull)
        self.plan_button = QPushButton("Show the &Plan", self)
        self.plan_button.setObjectName("planButton")
        self.plan_button.setAccessibleName("Show the plan of a push")
        self.plan_button.setToolTip("What a push would do, from the last pull (works offline)")
        self.plan_button.clicked.connect(self.show_plan)
        self.push_button = QPushButton("Pus&h to Mailjet…", self)
        self.push_button.setObjectName("pushButton")
        self.push_button.setAccessibleName("Send the plan to Mailjet")
        self.push_button.setToolTip(
            "Send what the plan says to Mailjet (asks first); blocked contacts are never sent"
        )
        self.push_button.clicked.connect(self.push)
        chooser = QHBoxLayout()
        chooser.addWidget(_buddy("&List:", self.list_choice, self))
        chooser.addWidget(self.list_choice)
        chooser.addWidget(self.pull_button)
        chooser.addWidget(self.plan_button)
        chooser.addWidget(self.push_button)
        chooser.addStretch(1)

        self.strip = JobStrip(host.runner, self)
        self.strip.busyChanged.connect(self._busy)
        self.strip.cancelled.connect(self._stopped)
        self.status = QLabel(self)
        self.status.setObjectName("syncStatus")
        self.status.setAccessibleName("Sync status")
        self.status.setWordWrap(True)

        self.filter = QComboBox(self)
        self.filter.setObjectName("planFilter")
        self.filter.setAccessibleName("Show in the plan")
        self.filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.model = PlanModel(self)
        self.filter.currentIndexChanged.connect(
            lambda: self.model.show_only(str(self.filter.currentData() or ""))
        )
        self.save_button = QPushButton("&Save Plan as CSV…", self)
        self.save_button.setObjectName("savePlanButton")
        self.save_button.setAccessibleName("Save the plan as a CSV file")
        self.save_button.setToolTip("Every row of the plan, whatever Show shows")
        self.save_button.clicked.connect(self.save_plan)
        filters = QHBoxLayout()
        filters.addWidget(_buddy("S&how:", self.filter, self))
        filters.addWidget(self.filter)
        filters.addStretch(1)
        filters.addWidget(self.save_button)

        self.table = QTableView(self)
        self.table.setObjectName("planTable")
        self.table.setAccessibleName("The plan: each member and what a push would do")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 320)
        header.resizeSection(1, 190)
        header.setStretchLastSection(True)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(chooser)
        layout.addWidget(self.strip)
        layout.addWidget(self.status)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        self._busy(False)
        self._stale = True
        host.events.changed.connect(self._on_changes)

    # -- lists -----------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self._read_lists()

    def _on_changes(self, changes: Changes) -> None:
        if changes.lists or changes.contacts:
            self._stale = True
            if self.isVisible():
                self._read_lists()

    def _read_lists(self) -> None:
        self._stale = False
        reading = self.host.workspace.reading

        def work(_cancel: CancelToken) -> tuple[list[ListOverview], str, str]:
            with reading() as con:
                target = con.execute(
                    "SELECT value FROM meta WHERE key = ?", (TARGET_KEY,)
                ).fetchone()
                last = con.execute(
                    "SELECT summary, at FROM activity WHERE action IN ('pull', 'push') "
                    "ORDER BY id DESC LIMIT 1"
                ).fetchone()
                return (
                    list_overview(con),
                    str(target[0]) if target else "",
                    f"Last: {last[0]} ({last[1].replace('T', ' ')[:16]} UTC)." if last else "",
                )

        self.host.runner.submit(work, self._fill_lists)

    def _fill_lists(self, found: tuple[list[ListOverview], str, str]) -> None:
        lists, target, last = found
        typed = self.list_choice.currentText()
        self.list_choice.blockSignals(True)
        self.list_choice.clear()
        for overview in lists:
            self.list_choice.addItem(overview.name)
        self.list_choice.setEditText(typed or target or (lists[0].name if lists else ""))
        self.list_choice.blockSignals(False)
        self._busy(self.strip.busy)
        if not self.status.text() and last:
            self._say(last)  # (the last sync's summary, until something is done here)
        if self.plan is not None:
            self.show_plan()

    def _list_changed(self) -> None:
        self._last_pull = ""
        self._busy(self.strip.busy)

    def _busy(self, busy: bool) -> None:
        named = bool(self.list_choice.currentText().strip())
        self.pull_button.setEnabled(named and not busy)
        self.plan_button.setEnabled(named and not busy)
        self.list_choice.setEnabled(not busy)
        self.save_button.setEnabled(self.plan is not None and not busy)
        can_push = self.plan is not None and (self.plan.writes > 0 or self.unfinished is not None)
        self.push_button.setEnabled(can_push and not busy)
        self.push_button.setText("Resume the Pus&h…" if self.unfinished else "Pus&h to Mailjet…")

    def _say(self, text: str) -> None:
        self.status.setText(text)

    # -- pull ------------------------------------------------------------------------------

    def pull(self) -> None:
        """Pull the chosen list from Mailjet (in the background, with Stop)."""
        name = self.list_choice.currentText().strip()
        if not name or self.strip.busy:
            return
        workspace, client_for = self.host.workspace, self.client_for

        def work(progress: ProgressReport, cancel: CancelToken) -> Pulled:
            from mjdesk.mailjet.syncing import pull_list

            progress.start("Connecting to Mailjet…")
            with _connected(client_for, cancel) as client:
                pulled = pull_list(
                    client, workspace, name, progress=lambda phase, n: _tell(progress, phase, n)
                )
            _remember_target(workspace, pulled.result.list_id)
            return pulled

        self._last_pull = ""
        self._say("")
        self.strip.run(work, self._pulled, self._failed, pool=Pool.NETWORK, phase="Pulling…")

    def pull_unlinked(self) -> None:
        """Pull every list of the account when no list here is linked yet (the practice
        profile's first look at its sandbox, so that its Lists page is filled)."""
        if self.strip.busy:
            return
        workspace, client_for = self.host.workspace, self.client_for

        def work(progress: ProgressReport, cancel: CancelToken) -> list[Pulled]:
            from mjdesk.mailjet.contacts import list_lists
            from mjdesk.mailjet.syncing import pull_list

            with workspace.reading() as con:
                if con.execute("SELECT 1 FROM lists WHERE mailjet_id IS NOT NULL").fetchone():
                    return []
            client = client_for()
            if client is None:
                return []
            client.cancel = cancel
            with client:
                return [
                    pull_list(
                        client,
                        workspace,
                        found.name,
                        progress=lambda phase, n: _tell(progress, phase, n),
                    )
                    for found in list_lists(client)
                ]

        self.strip.run(
            work, self._pulled_every, self._failed, pool=Pool.NETWORK, phase="Pulling the lists…"
        )

    def _stopped(self) -> None:
        self._last_pull = "Stopped. What was done is kept: pull, or push again, to go on."
        self._say(self._last_pull)
        self.show_plan()  # (a push stopped half-way is offered for resuming)

    def _pulled_every(self, done: list[Pulled]) -> None:
        if not done:
            return
        self._last_pull = f"Pulled {len(done):,} lists from Mailjet."
        self._say(self._last_pull)
        self.pulled.emit(self._last_pull)
        for pulled in done:
            self.host.events.changed.emit(pulled.result.changes)

    def _pulled(self, done: Pulled) -> None:
        message = done.message
        if done.erased:
            message += f" {done.erased:,} erased here too: anonymised in Mailjet."
        self._last_pull = message
        self._say(message)
        self.pulled.emit(message)
        self.host.events.changed.emit(done.result.changes)
        self.show_plan()

    def _failed(self, exc: Exception) -> None:
        self._say(error_text(exc))

    # -- plan ------------------------------------------------------------------------------

    def show_plan(self) -> None:
        """Make the plan of the chosen list from the last pull (offline)."""
        name = self.list_choice.currentText().strip()
        if not name:
            return
        reading = self.host.workspace.reading

        def work(_cancel: CancelToken) -> tuple[Plan, str | None]:
            with reading() as con:
                plan = make_plan(con, name)
                run = unfinished_run(con, plan.list_id)
                return plan, None if run is None else run.started_at

        self.host.runner.submit(work, self._show_plan, self._plan_refused)

    def _show_plan(self, found: tuple[Plan, str | None]) -> None:
        plan, self.unfinished = found
        self.plan = plan
        choice = str(self.filter.currentData() or "")
        self.filter.blockSignals(True)
        self.filter.clear()
        self.filter.addItem(f"Everyone ({len(plan.rows):,})", "")
        for action in Action:
            count = plan.count(action)
            if count and action is not Action.BLOCKED:
                self.filter.addItem(f"{action.label} ({count:,})", action.stored)
        for reason, count in sorted(plan.reasons().items()):
            self.filter.addItem(f"Blocked: {reason} ({count:,})", f"blocked:{reason}")
        index = self.filter.findData(choice)
        self.filter.setCurrentIndex(max(index, 0))
        self.filter.blockSignals(False)
        self.model.set_plan(plan.rows)
        self.model.show_only(str(self.filter.currentData() or ""))
        when = plan.pulled_at.replace("T", " ")[:16] if plan.pulled_at else ""
        lines = [self._last_pull, plan.summary() + (f" (pulled {when} UTC)" if when else "")]
        self._say("\n".join(line for line in lines if line))
        self._busy(self.strip.busy)
        self.planned.emit(plan.list_name, plan.count(Action.BLOCKED))

    def _plan_refused(self, exc: Exception) -> None:
        self.plan = None
        self.unfinished = None
        self.model.set_plan([])
        self._say(error_text(exc))
        self._busy(self.strip.busy)

    # -- push ------------------------------------------------------------------------------

    def push(self) -> None:
        """Send the plan to Mailjet once the user confirms it (or resume the list's push
        that did not finish), in the background with Stop; verified by reading Mailjet."""
        plan = self.plan
        if plan is None or self.strip.busy:
            return
        if self.unfinished is not None:
            question = (
                f"A push of “{plan.list_name}” started {self.unfinished.replace('T', ' ')[:16]} "
                "UTC did not finish. Resume it? Mailjet is read first, so nothing is sent twice."
            )
            confirmed = dialogs.ask_confirm(self, "Resume the Push", question, "Resume")
        else:
            lines = [
                f"{plan.count(action):,} {words}"
                for action, words in (
                    (Action.ADD, "to add to the list"),
                    (Action.UPDATE, "to update (their consent properties)"),
                    (
                        Action.UNSUBSCRIBE,
                        "to unsubscribe (consent withdrawn or left the list here)",
                    ),
                    (Action.ERASE, "to erase in Mailjet (erased here)"),
                )
                if plan.count(action)
            ]
            blocked = plan.count(Action.BLOCKED)
            question = (
                f"Send to Mailjet's list “{plan.list_name}”:\n  "
                + "\n  ".join(lines)
                + (f"\n\n{blocked:,} blocked contacts are not sent." if blocked else "")
                + "\nNobody who unsubscribed is subscribed again. Mailjet is read again "
                "afterwards to check every change."
            )
            confirmed = dialogs.ask_confirm(self, "Push to Mailjet", question, "Send")
        if not confirmed:
            return
        name, workspace, client_for = plan.list_name, self.host.workspace, self.client_for

        def work(progress: ProgressReport, cancel: CancelToken) -> PushResult:
            from mjdesk.mailjet.pushing import push_list

            progress.start("Connecting to Mailjet…")
            with _connected(client_for, cancel) as client:
                return push_list(
                    client,
                    workspace,
                    name,
                    cancel=cancel,
                    progress=lambda phase, done, total: _count(progress, phase, done, total),
                )

        self._last_pull = ""
        self._say("")
        self.strip.run(work, self._pushed, self._push_failed, pool=Pool.NETWORK, phase="Pushing…")

    def _pushed(self, result: PushResult) -> None:
        self._last_pull = result.message
        self._say(self._last_pull)
        self.pulled.emit(result.message)
        self.host.events.changed.emit(result.changes)
        self.show_plan()

    def _push_failed(self, exc: Exception) -> None:
        self._say(error_text(exc))
        self.show_plan()  # (an unfinished push is offered for resuming)

    def save_plan(self) -> None:
        """Save the plan on screen as CSV (every row, whatever the filter shows)."""
        plan = self.plan
        if plan is None:
            return
        target = dialogs.ask_save_file(
            self,
            "Save the Plan",
            f"{plan.list_name} plan.csv",
            "CSV files (*.csv)",
            settings=self.host.settings,
            kind="export",
        )
        if target is None:
            return
        try:
            write_plan_csv(plan, target)
        except OSError as exc:
            dialogs.tell_problem(
                self,
                "Save the Plan",
                f"The plan could not be saved in {target.parent} ({exc.strerror or exc}). "
                "Choose another folder.",
            )
            return
        self._say(f"Plan saved to {target}.")


TARGET_KEY = "sync_target_list"
"""Where the workspace keeps the list its owner syncs (the Sync page starts on it)."""


def _connected(client_for: ClientFactory, cancel: CancelToken) -> MailjetClient:
    """A client for the profile's account whose calls ``cancel`` stops (`UserError` when
    the profile has no account); the caller closes it (``with``)."""
    client = client_for()
    if client is None:
        raise UserError(NO_ACCOUNT)
    client.cancel = cancel
    return client


def _remember_target(workspace: Workspace, list_id: int) -> None:
    """Keep the list just synced as the workspace's target list (by its name here)."""
    with workspace.transaction() as con:
        con.execute(
            "INSERT OR REPLACE INTO meta (key, value) SELECT ?, name FROM lists WHERE id = ?",
            (TARGET_KEY, list_id),
        )


def _buddy(text: str, widget: QWidget, parent: QWidget) -> QLabel:
    """A label whose mnemonic (Alt + the underlined letter) moves to ``widget``."""
    label = QLabel(text, parent)
    label.setBuddy(widget)
    return label


def _tell(progress: ProgressReport, phase: str, done: int) -> None:
    if progress.phase != phase:
        progress.start(phase)
    progress(done, 0)


def _count(progress: ProgressReport, phase: str, done: int, total: int) -> None:
    """A push's progress: each phase with its counts (so the strip says the time left)."""
    if progress.phase != phase:
        progress.start(phase, total, counted=True)
    progress(done, total)
