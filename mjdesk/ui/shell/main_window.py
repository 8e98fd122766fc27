"""The main window: navigation on the left, one page at a time, a status bar below."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSize, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QIcon,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from mjdesk.core.changes import EVERYTHING, Changes
from mjdesk.core.contacts import ContactCounts, ContactQuery, SortKey, count_contacts
from mjdesk.core.paths import DEFAULT_PROFILE, AppPaths
from mjdesk.core.profiles import PRACTICE_PROFILE
from mjdesk.core.settings import Settings
from mjdesk.core.work import CancelToken, UserError
from mjdesk.core.workspace import Workspace
from mjdesk.mailjet.accounts import Accounts
from mjdesk.ui.accounts.status import ConnectionStatus
from mjdesk.ui.common.changes import WorkspaceEvents
from mjdesk.ui.common.host import FeatureHost
from mjdesk.ui.common.qt_numbers import ACCESSIBLE_TEXT_ROLE
from mjdesk.ui.common.tasks import Pool, TaskRunner
from mjdesk.ui.contacts.model import ContactsModel
from mjdesk.ui.contacts.page import ContactsPage

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent

    from mjdesk.ui.accounts.dialog import AccountsDialog
    from mjdesk.ui.activity.page import ActivityPage
    from mjdesk.ui.importing.controller import ImportController
    from mjdesk.ui.preview.page import PreviewPage
    from mjdesk.ui.shell.undo import UndoHistory
    from mjdesk.ui.stats.page import StatisticsPage

log = logging.getLogger(__name__)

#: Settings.extra key: the Contacts table's order, "EMAIL asc" (the header's arrow is only
#: shown once the first page is up, so it cannot carry the order over a restart)
SORT_SETTING = "contacts_sort"
#: View › Activity
ACTIVITY_SHORTCUT = "Ctrl+4"


def _b64(data: QByteArray) -> str:
    return bytes(data.toBase64().data()).decode("ascii")


def _from_b64(text: str) -> QByteArray:
    return QByteArray.fromBase64(text.encode("ascii"))


class MainWindow(QMainWindow):
    """The app's one main window on one workspace."""

    #: File › Import…, Import History, drops: made once the first page is on screen
    imports: ImportController
    #: Edit › Undo and Redo over the workspace history: made once the first page is on screen
    history: UndoHistory
    #: View › Activity: made once the first page is on screen
    activity_page: ActivityPage
    #: the Statistics page: made once the first page is on screen
    stats_page: StatisticsPage
    #: the Preview page: made once the first page is on screen
    preview_page: PreviewPage

    #: the first page of contacts is on screen
    ready = Signal()
    #: the user asked to work on another profile: app.py closes this window and opens that one
    switchProfileRequested = Signal(str)
    #: the window has closed (its background work stopped): app.py ends its loop
    closed = Signal()

    def __init__(
        self,
        workspace: Workspace,
        paths: AppPaths,
        settings: Settings,
        profile: str,
        parent: QWidget | None = None,
        *,
        accounts: Accounts | None = None,
    ) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.paths = paths
        self.settings = settings
        self.profile = profile
        self.accounts = accounts or Accounts.for_paths(paths)
        self.practice = self.accounts.practice is not None and profile == PRACTICE_PROFILE
        self.setObjectName("mainWindow")
        self.setWindowTitle(profile)  # Qt adds " — mjdesk", the app's display name
        self.resize(1200, 760)

        self.runner = TaskRunner(self)
        self.events = WorkspaceEvents(self)
        self.events.message.connect(lambda text, ms: self.statusBar().showMessage(text, ms))
        self.events.changed.connect(self._on_changes)
        accounts_now = self.accounts
        self.host = FeatureHost(
            self,
            workspace,
            self.runner,
            settings,
            paths.settings_file,
            self.events,
            lambda: accounts_now.client_for(profile),
        )
        self.contacts_model = ContactsModel(workspace.reader, workspace.reading, self.runner, self)
        self.contacts_page = ContactsPage(
            self.contacts_model,
            self.events,
            self,
            offers_practice=self.offers_practice,
            reading=workspace.reading,
            runner=self.runner,
            host=self.host,
            org_domains=self.org_domains,
        )
        self.contacts_page.importRequested.connect(lambda: self.imports.open_wizard())
        self.contacts_page.practiceRequested.connect(self.start_practice)

        self.nav = QListWidget(self)
        self.nav.setObjectName("navigation")
        self.nav.setAccessibleName("Pages")
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setMaximumWidth(200)
        self.nav.setSpacing(2)
        self.pages = QStackedWidget(self)
        self._add_page("Contacts", self.contacts_page, "x-office-address-book")
        self.nav.currentRowChanged.connect(self.pages.setCurrentIndex)
        self.nav.setCurrentRow(0)

        splitter = QSplitter()  # side by side (parented by setCentralWidget below)
        splitter.setObjectName("mainSplitter")
        splitter.addWidget(self.nav)
        splitter.addWidget(self.pages)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([150, 1050])
        splitter.setChildrenCollapsible(False)
        self.setCentralWidget(splitter)

        self.profile_label = QLabel(f"Profile: {profile}", self)
        self.profile_label.setAccessibleName("Profile")
        self.connection_label = QLabel("Offline: working locally", self)
        self.connection_label.setAccessibleName("Connection")
        self.connection_label.setToolTip(
            "No Mailjet account is connected. Everything you do is saved on this computer."
        )
        self.counts_label = QLabel(self)
        self.counts_label.setAccessibleName("Contact counts")
        status = self.statusBar()
        status.addWidget(self.profile_label)
        status.addWidget(self.connection_label)
        status.addPermanentWidget(self.counts_label)

        self._build_menus()
        self.connection = ConnectionStatus(
            self.connection_label, self.accounts, profile, self.runner
        )
        if self.practice:
            from mjdesk.ui.shell.practice import mark_window

            self.practice_banner = mark_window(self)
        self.connection.show_pending()  # the check itself starts once the window is up
        self._first_page = False
        self._announced = False
        self.contacts_page.firstPageShown.connect(self._on_first_page)
        self.contacts_model.viewChanged.connect(self._on_view)
        self._counts_token: CancelToken | None = None
        self._restore_layout()
        self.contacts_model.set_query(self._remembered_order())

    # -- building ------------------------------------------------------------------------

    def _add_page(self, title: str, page: QWidget, icon: str) -> None:
        item = QListWidgetItem(QIcon.fromTheme(icon), title)
        item.setData(ACCESSIBLE_TEXT_ROLE, f"{title} page")
        self.nav.addItem(item)
        self.pages.addWidget(page)

    def _build_menus(self) -> None:
        menus = self.menuBar()
        self.file_menu = file_menu = menus.addMenu("&File")
        self.quit_action = quit_action = QAction("&Quit", self)
        quit_action.triggered.connect(self.close)
        if self.practice:
            self.leave_action = QAction("&Leave Practice", self)
            self.leave_action.setStatusTip("Back to your own profile and workspace")
            self.leave_action.triggered.connect(self.leave_practice)
            file_menu.addAction(self.leave_action)
            file_menu.addSeparator()
        self.backup_action = QAction("&Back Up Workspace…", self)
        self.backup_action.setStatusTip("Save a safe copy of this workspace as a file")
        self.backup_action.triggered.connect(self.back_up)
        file_menu.addAction(self.backup_action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)

        self.edit_menu = edit_menu = menus.addMenu("&Edit")
        self.find_action = QAction("&Find Contacts…", self)
        self.find_action.triggered.connect(self._find)
        edit_menu.addAction(self.find_action)

        view_menu = menus.addMenu("&View")
        self.activity_action = QAction("&Activity", self)
        self.activity_action.setStatusTip("Everything done in this workspace, with undo")
        self.activity_action.triggered.connect(self.show_activity)
        view_menu.addAction(self.activity_action)
        view_menu.addSeparator()
        self.refresh_action = refresh = QAction("&Refresh", self)
        refresh.triggered.connect(self.refresh)
        view_menu.addAction(refresh)

        self.settings_menu = settings_menu = menus.addMenu("&Settings")
        self.accounts_action = QAction("&Accounts…", self)
        self.accounts_action.triggered.connect(self.open_accounts)
        settings_menu.addAction(self.accounts_action)

        help_menu = menus.addMenu("&Help")
        for title, folder in (
            ("Open &Data Folder", self.paths.data),
            ("Open &Log Folder", self.paths.logs),
        ):
            action = QAction(title, self)
            action.triggered.connect(lambda _=False, f=folder: self._open_folder(f))
            help_menu.addAction(action)
        self.about_action = about = QAction("&About mjdesk", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def _finish_menus(self) -> None:
        """Shortcuts and the macOS menu roles, set once the first page is on screen: the
        first use of either makes PySide build every Qt enum (see mjdesk.ui.common.qt_numbers)."""
        for action, key in (
            (self.quit_action, QKeySequence.StandardKey.Quit),
            (self.find_action, QKeySequence.StandardKey.Find),
            (self.refresh_action, QKeySequence.StandardKey.Refresh),
        ):
            action.setShortcut(key)
        self.activity_action.setShortcut(QKeySequence(ACTIVITY_SHORTCUT))
        for action, role in (
            (self.quit_action, QAction.MenuRole.QuitRole),
            (self.accounts_action, QAction.MenuRole.PreferencesRole),
            (self.about_action, QAction.MenuRole.AboutRole),
        ):
            action.setMenuRole(role)

    # -- behaviour -----------------------------------------------------------------------

    def _on_first_page(self) -> None:
        self._first_page = True
        self._announce_when_ready()

    def show(self) -> None:
        super().show()
        # After the pending paint: "ready" means the user can see the first page.
        QTimer.singleShot(0, self._announce_when_ready)

    def _announce_when_ready(self) -> None:
        if self._first_page and self.isVisible() and not self._announced:
            self._announced = True
            self.ready.emit()
            self._finish_menus()
            self.contacts_page.show_sort_order()
            # What the first page does not need waits until it is on screen: the import
            # actions (their event filters would see every start-up event), the totals (a
            # scan of the whole table) and the account check (the keyring and the client).
            self._check_workspace()
            self._start_indexing()
            self._start_flagging()
            self._add_import_actions()
            self._add_history()
            self._add_activity()
            self._add_sync()
            self._add_preview()
            self._add_statistics()
            self._update_counts()
            self.connection.refresh()

    def _check_workspace(self) -> None:
        """Read the whole file once in the background: a damaged workspace is said at once,
        in a banner, and no write is tried on it (see `Workspace.check_integrity`)."""
        workspace = self.workspace

        def work(cancel: CancelToken) -> list[str]:
            return workspace.check_integrity(cancel)

        self.runner.submit(work, self._show_damage)

    def _show_damage(self, found: list[str]) -> None:
        if not found:
            return
        from mjdesk.core.workspace import damaged
        from mjdesk.ui.shell.banner import add_banner

        text = damaged(self.workspace.path, found).user_message
        self.damage_banner = add_banner(
            self, text, "damageBanner", background="#fde7e4", colour="#7a1a12", border="#b3261e"
        )
        self.damage_banner.setAccessibleName("The workspace is damaged")
        log.error("Workspace %s is damaged: %s", self.workspace.path, found[:3])

    def _start_indexing(self) -> None:
        """Build what a big import left for later (also one from before a restart)."""
        from mjdesk.ui.contacts.indexing import IndexCatchUp

        self.indexing = IndexCatchUp(self, self.workspace, self.runner)
        self.indexing.start()

    def org_domains(self) -> tuple[str, ...]:
        """The organisation's own domains (Settings › Organisation Domains): never typos."""
        from mjdesk.core.importing.remembered import org_domains

        return org_domains(self.settings)

    def _start_flagging(self) -> None:
        """Compute the review's flags again when work was done since (also by the command
        line, or before a crash); then after every change to the contacts."""
        from mjdesk.ui.contacts.flagging import FlagRefresh
        from mjdesk.ui.contacts.retention import retention_action

        self.flagging = FlagRefresh(self.host, self.statusBar(), self.org_domains)
        self.flagging.start()
        self.retention_action = retention_action(self.host)
        self.settings_menu.addAction(self.retention_action)

    def _add_import_actions(self) -> None:
        from mjdesk.ui.importing.controller import ImportController

        self.imports = ImportController(self.host)
        first = self.file_menu.actions()[0]  # Leave Practice, or Back Up Workspace…
        self.file_menu.insertActions(
            first, [self.imports.import_action, self.imports.history_action]
        )
        self.file_menu.insertSeparator(first)
        self.settings_menu.addAction(self.imports.domains_action)

    def _add_history(self) -> None:
        """Edit › Undo and Redo, over the workspace's history (read now, also after a
        restart)."""
        from mjdesk.ui.shell.undo import UndoHistory

        self.history = UndoHistory(self.host)
        actions = [self.history.undo_action, self.history.redo_action]
        for action in actions:
            self.addAction(action)  # shortcuts work even with the menu bar hidden
        self.edit_menu.insertActions(self.find_action, actions)
        self.edit_menu.insertSeparator(self.find_action)
        self.history.reload()

    def _add_activity(self) -> None:
        """The Activity page, after the Contacts page (it reads nothing until shown)."""
        from mjdesk.ui.activity.page import ActivityPage

        self.activity_page = ActivityPage(self.host, self.profile, self)
        self._add_page("Activity", self.activity_page, "document-open-recent")

    def _add_sync(self) -> None:
        """The Lists and Sync pages, after the Activity page (they read nothing until shown)."""
        from mjdesk.ui.sync.page import ListsPage, SyncPage

        self.lists_page = ListsPage(self.host, self)
        self.sync_page = SyncPage(self.host, self.host.client_for or (lambda: None), self)
        self.sync_page.pulled.connect(lambda text: self.statusBar().showMessage(text, 10_000))
        self._add_page("Lists", self.lists_page, "view-list-details")
        self._add_page("Sync", self.sync_page, "view-refresh")
        if self.practice:  # (its lists pulled from the sandbox once, so they show there)
            self.sync_page.pull_unlinked()

    def _add_statistics(self) -> None:
        """The Statistics page, last (it reads the cache when first shown)."""
        from mjdesk.ui.stats.page import StatisticsPage

        self.stats_page = StatisticsPage(self.host, self.host.client_for or (lambda: None), self)
        self.stats_page.refreshed.connect(lambda text: self.statusBar().showMessage(text, 10_000))
        self._add_page("Statistics", self.stats_page, "x-office-spreadsheet")

    def _add_preview(self) -> None:
        """The Preview page, after Sync (it reads nothing until shown, and loads QtWebEngine
        only when it first shows a mail)."""
        from mjdesk.ui.preview.page import PreviewPage

        self.preview_page = PreviewPage(self.host, self.host.client_for or (lambda: None), self)
        self._add_page("Preview", self.preview_page, "mail-message-new")

    def show_activity(self) -> None:
        """View › Activity."""
        if hasattr(self, "activity_page"):
            self.nav.setCurrentRow(self.pages.indexOf(self.activity_page))

    def _find(self) -> None:
        self.nav.setCurrentRow(self.pages.indexOf(self.contacts_page))
        self.contacts_page.focus_search()

    def refresh(self) -> None:
        """View › Refresh: every page reads the workspace again."""
        self.events.announce(EVERYTHING)

    def _on_changes(self, changes: Changes) -> None:
        if changes.contacts and hasattr(self, "indexing"):
            self.indexing.start()  # a big import or bulk edit leaves indexes for later
        if changes.contacts and hasattr(self, "flagging"):
            self.flagging.start()
        if changes.contact_ids and self._announced:
            self._update_counts()  # (added or removed ones: once the new view is up)

    def _on_view(self, _total: int, query: ContactQuery) -> None:
        if self._announced and not query.terms:
            # A search changes what is shown, not what the workspace holds.
            self._update_counts()

    def _update_counts(self) -> None:
        if self._counts_token is not None:
            self._counts_token.cancel()
        reading = self.workspace.reading

        def work(_cancel: CancelToken) -> ContactCounts:
            with reading() as con:
                return count_contacts(con)

        self._counts_token = self.runner.submit(work, self._show_counts)

    def _show_counts(self, counts: ContactCounts) -> None:
        self.counts_label.setText(
            f"{counts.total:,} contacts · {counts.granted:,} consented · "
            f"{counts.withdrawn:,} withdrawn · {counts.without_consent:,} without consent"
        )

    def open_accounts(self) -> AccountsDialog:
        """Settings › Accounts (window-modal; returned for tests)."""
        from PySide6.QtCore import Qt

        from mjdesk.ui.accounts.dialog import AccountsDialog

        dialog = AccountsDialog(self.accounts, self.runner, self.paths, self.profile, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accountsChanged.connect(self.connection.refresh)
        dialog.accountsChanged.connect(self._update_practice_offer)
        dialog.switchRequested.connect(self.switchProfileRequested)
        dialog.leaveRequested.connect(self.leave_practice)
        dialog.open()
        return dialog

    def offers_practice(self) -> bool:
        """Whether the welcome panel offers the practice sandbox (no account, not practising)."""
        return not self.practice and not len(self.accounts.book)

    def _update_practice_offer(self) -> None:
        self.contacts_page.update_practice_offer()

    def start_practice(self) -> None:
        self.switchProfileRequested.emit(PRACTICE_PROFILE)

    def leave_practice(self) -> None:
        """File › Leave Practice: back to the profile used before practising."""
        self.switchProfileRequested.emit(self.settings.last_profile or DEFAULT_PROFILE)

    def back_up(self) -> None:
        """File › Back Up Workspace…: a copy made on a background pool (it only reads, so
        it never waits for a write), the status bar saying where it went."""
        from datetime import date

        from mjdesk.ui.common import dialogs

        suggested = f"{self.workspace.path.stem} backup {date.today().isoformat()}.sqlite3"
        out = dialogs.ask_save_file(
            self,
            "Back Up Workspace",
            suggested,
            "mjdesk workspace (*.sqlite3)",
            settings=self.settings,
            kind="backups",
        )
        if out is None:
            return
        if not out.suffix:
            out = out.with_suffix(".sqlite3")
        source = self.workspace.path
        self.backup_action.setEnabled(False)
        self.statusBar().showMessage(f"Backing up the workspace to {out}…")

        def work(_cancel: CancelToken) -> Path:
            from mjdesk.core.backup import back_up_workspace

            return back_up_workspace(source, out)

        self.runner.submit(work, self._backed_up, self._backup_failed, pool=Pool.READ)

    def _backed_up(self, out: Path) -> None:
        self.backup_action.setEnabled(True)
        self.statusBar().showMessage(f"Workspace backed up to {out}")

    def _backup_failed(self, exc: Exception) -> None:
        from mjdesk.ui.common import dialogs
        from mjdesk.ui.common.errors import error_text

        self.backup_action.setEnabled(True)
        self.statusBar().showMessage("No backup was made", 10_000)
        text = error_text(exc)
        if not isinstance(exc, UserError):
            text = f"The backup could not be made ({exc}). Nothing was written."
        dialogs.tell_problem(self, "Back Up Workspace", text)

    def _open_folder(self, folder: Path) -> None:
        from mjdesk.ui.shell.about import open_folder

        open_folder(folder)

    def _about(self) -> None:
        from PySide6.QtCore import Qt

        from mjdesk.ui.shell.about import AboutDialog

        dialog = AboutDialog(self.paths, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    # -- layout memory -------------------------------------------------------------------

    def _restore_layout(self) -> None:
        if self.settings.window_geometry:
            self.restoreGeometry(_from_b64(self.settings.window_geometry))
        if self.settings.window_state:
            self.restoreState(_from_b64(self.settings.window_state))
        if self.settings.contacts_header:
            header = self.contacts_page.table.horizontalHeader()
            header.restoreState(_from_b64(self.settings.contacts_header))

    def _remembered_order(self) -> ContactQuery:
        """The order the Contacts table had when the window last closed."""
        words = self.settings.extra.get(SORT_SETTING, "").split()
        if len(words) == 2 and words[0] in SortKey.__members__ and words[1] in ("asc", "desc"):
            return ContactQuery("", SortKey[words[0]], words[1] == "desc")
        return self.contacts_model.query

    def save_layout(self) -> None:
        query = self.contacts_model.query
        self.settings.extra[SORT_SETTING] = (
            f"{query.sort.name} {'desc' if query.descending else 'asc'}"
        )
        self.settings.window_geometry = _b64(self.saveGeometry())
        self.settings.window_state = _b64(self.saveState())
        header = self.contacts_page.table.horizontalHeader()
        self.settings.contacts_header = _b64(header.saveState())
        if not self.practice:  # the next start opens the user's own profile, not practice
            self.settings.last_profile = self.profile
        try:
            self.settings.save(self.paths.settings_file)
        except OSError:
            log.exception("Could not save settings")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        if not self.runner.shutdown():
            log.warning("Background work did not stop in time")
        self.contacts_model.close()
        super().closeEvent(event)
        self.closed.emit()
