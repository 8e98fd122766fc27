"""The Contacts page: the whole workspace in a table, with search and sorting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractItemModel, QItemSelectionModel, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mjdesk.core.contacts import ContactQuery
from mjdesk.ui.contacts.model import COLUMNS, ContactsModel

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable
    from contextlib import AbstractContextManager

    from PySide6.QtCore import QModelIndex
    from PySide6.QtWidgets import QMenu

    from mjdesk.core.changes import Changes
    from mjdesk.core.filters import ContactFilter
    from mjdesk.core.work import CancelToken
    from mjdesk.ui.common.changes import WorkspaceEvents
    from mjdesk.ui.common.host import FeatureHost
    from mjdesk.ui.common.tasks import TaskRunner
    from mjdesk.ui.contacts.details import ContactDetailsPanel
    from mjdesk.ui.contacts.filters import FilterPanel
    from mjdesk.ui.contacts.gdpr import GdprActions
    from mjdesk.ui.contacts.welcome import WelcomePanel

SEARCH_DELAY_MS = 150
_SUBSCRIPTION_COLUMN = [title for title, _key, _show in COLUMNS].index("Subscription")


class _ContactsTable(QTableView):
    """A table whose column header shows fixed titles from a model of its own, in C++.

    Nothing then asks the contacts model for header data before the first paint: PySide
    builds every Qt enum (~20 ms) to hand a Python headerData() its orientation. Screen
    readers still read the titles from the contacts model's headerData().
    """

    def __init__(self, titles: list[str], parent: QWidget) -> None:
        super().__init__(parent)
        self.titles = QStandardItemModel(0, len(titles), self)
        self.titles.setHorizontalHeaderLabels(titles)
        self.horizontalHeader().setModel(self.titles)

    def setModel(self, model: QAbstractItemModel | None) -> None:
        # As QTableView's own, but the column header keeps its titles (no spans here).
        self.verticalHeader().setModel(model)
        QAbstractItemView.setModel(self, model)

    def setSelectionModel(self, selection: QItemSelectionModel) -> None:
        # Rows are selected, never columns: the column header keeps a selection of its own.
        self.verticalHeader().setSelectionModel(selection)
        QAbstractItemView.setSelectionModel(self, selection)


class ContactsPage(QWidget):
    """Search box, result count and the contacts table (or the welcome panel when empty)."""

    #: the first page of the first query is on screen
    firstPageShown = Signal()
    #: the welcome panel's Import button was pressed
    importRequested = Signal()
    #: the welcome panel's practice button was pressed
    practiceRequested = Signal()

    def __init__(
        self,
        model: ContactsModel,
        events: WorkspaceEvents,
        parent: QWidget | None = None,
        *,
        offers_practice: Callable[[], bool] = bool,
        reading: Callable[[], AbstractContextManager[sqlite3.Connection]] | None = None,
        runner: TaskRunner | None = None,
        host: FeatureHost | None = None,
        org_domains: Callable[[], tuple[str, ...]] = tuple,
    ) -> None:
        super().__init__(parent)
        self.host = host
        self.org_domains = org_domains
        self.model = model
        self.reading = reading
        self.runner = runner
        self.offers_practice = offers_practice
        self._shown_once = False

        self.search = QLineEdit(self)
        self.search.setObjectName("contactSearch")
        self.search.setPlaceholderText("Search address or name  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search contacts")
        self.search.setAccessibleDescription(
            "Shows the contacts whose address or name contains every word typed"
        )
        self.summary = QLabel(self)
        self.summary.setObjectName("contactSummary")
        self.summary.setAccessibleName("Contacts shown")
        self.selected_note = QLabel(self)
        self.selected_note.setObjectName("contactsSelected")
        self.selected_note.setAccessibleName("Contacts selected")
        self.select_all = QPushButton(self)
        self.select_all.setObjectName("selectAllMatching")
        self.select_all.setAccessibleName("Select every contact shown")
        self.select_all.setFlat(True)
        self.select_all.hide()
        self.select_all.clicked.connect(self.select_everything)

        self.table = _ContactsTable([title for title, _key, _show in COLUMNS], self)
        self.table.setObjectName("contactsTable")
        self.table.setAccessibleName("Contacts")
        self.table.verticalHeader().setVisible(False)
        # A fixed row height and column widths spare Qt from measuring a million rows.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.setModel(model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        # At the default window size, beside the filters, every column shows, Flags taking
        # what is left. Subscription says something once lists are synced: hidden until the
        # user shows it (right-click a column title).
        for column, width in enumerate((200, 130, 85, 85, 110, 90, 110, 100)):
            self.table.setColumnWidth(column, width)
        self.table.setColumnHidden(_SUBSCRIPTION_COLUMN, True)

        self._welcome: WelcomePanel | None = None  # made only for an empty workspace
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.table)

        # What can be done with the contacts shown or selected (filled after the first paint).
        self.actions_button = QPushButton("Actions", self)
        self.actions_button.setObjectName("contactActions")
        self.actions_button.setAccessibleName("Actions on the contacts")
        self.actions_button.setEnabled(False)
        self.export_button = QPushButton("Export…", self)
        self.export_button.setObjectName("exportContacts")
        self.export_button.setAccessibleName("Export the contacts shown")
        self.export_button.setToolTip(
            "Write the contacts shown (search and filters) to CSV or Excel"
        )
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.export_shown)

        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.summary)
        bar.addWidget(self.selected_note)
        bar.addWidget(self.select_all)
        bar.addWidget(self.actions_button)
        bar.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 0)
        layout.addLayout(bar)
        # The details panel and the splitter beside the table are made on first use: a
        # QSplitter made now would build every Qt enum before the first paint. So is the
        # filter panel on the left, once the first page is on screen.
        self.details: ContactDetailsPanel | None = None
        self.filters: FilterPanel | None = None
        self._select_all_again = False
        self.gdpr: GdprActions | None = None  # its GDPR buttons, when the page has a host
        self._cutoff = ""
        self._body = QHBoxLayout()
        self._body.setContentsMargins(0, 0, 0, 0)
        self._body.addWidget(self.stack, 1)
        layout.addLayout(self._body, 1)
        self._layout = layout
        self.table.activated.connect(self._open_details)  # double-click, or Enter
        self.table.selectionModel().selectionChanged.connect(self._on_selection)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._run_search)
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self.search.returnPressed.connect(self._run_search)
        self._clear_search = QShortcut(QKeySequence("Esc"), self.search, self.search.clear)

        model.viewChanged.connect(self._on_view)
        model.busyChanged.connect(self._on_busy)
        model.queryFailed.connect(self.summary.setText)
        events.changed.connect(self._on_changes)

    def open_details(self, contact_id: int) -> ContactDetailsPanel:
        """Show the details panel on ``contact_id`` (made the first time)."""
        if self.details is None:
            from mjdesk.ui.contacts.details import ContactDetailsPanel

            if self.reading is None or self.runner is None:
                raise RuntimeError("the page was made without a way to read details")
            self.details = ContactDetailsPanel(self.reading, self.runner, self)
            self.details.closed.connect(lambda: self.table.setFocus())
            if self.host is not None:
                from mjdesk.ui.contacts.edit import ContactEditor
                from mjdesk.ui.contacts.gdpr import GdprActions

                self.editor = ContactEditor(self.details, self.host, self.org_domains)
                self.gdpr = GdprActions(self.details, self.host)
            split = QSplitter(self)
            split.setObjectName("contactsSplit")
            split.setChildrenCollapsible(False)
            self._layout.replaceWidget(self.stack, split)
            split.addWidget(self.stack)
            split.addWidget(self.details)
            split.setStretchFactor(0, 3)
            split.setStretchFactor(1, 2)
            panel = min(420, max(300, self.width() // 3))  # room for a SHA-256 on two lines
            split.setSizes([max(1, self.width() - panel), panel])
        self.details.show_contact(contact_id)
        return self.details

    def _open_details(self, index: QModelIndex) -> None:
        row = self.model.row_at(index.row())
        if row is not None and self.reading is not None:
            self.open_details(row.id)

    def _on_changes(self, changes: Changes) -> None:
        if self.details is not None and (
            changes.contacts_added_or_removed
            or changes.flags
            or self.details.contact_id in changes.contact_ids
        ):
            self.details.refresh()
        if changes.settings:
            self.retention_changed()
        if changes.contacts_added_or_removed or changes.flags or not self.model.query.filter.empty:
            # (an edit may take a contact out of the filter; a selection of the whole
            # result stays one, for the next action)
            self._select_all_again = self._select_all_again or self.everything_selected()
            self.model.refresh()
        elif changes.contact_ids:
            self.model.refresh_contacts(changes.contact_ids)
        if self.filters is not None and (changes.contacts or changes.flags or changes.lists):
            self.filters.forget_counts()
            self.filters.set_query(self.model.query)

    @property
    def welcome(self) -> WelcomePanel:
        if self._welcome is None:
            from mjdesk.ui.contacts.welcome import WelcomePanel

            self._welcome = WelcomePanel(self, offers_practice=self.offers_practice)
            self._welcome.importRequested.connect(self.importRequested)
            self._welcome.practiceRequested.connect(self.practiceRequested)
            self.stack.addWidget(self._welcome)
        return self._welcome

    def update_practice_offer(self) -> None:
        """Show or hide the welcome panel's practice button (the accounts changed)."""
        if self._welcome is not None:
            self._welcome.practice_button.setVisible(self.offers_practice())

    def show_sort_order(self) -> None:
        """The arrow on the sorted column's title, and sorting by a click on a title: once
        the first page is on screen (both hand Python a Qt enum, see _ContactsTable)."""
        from PySide6.QtCore import Qt

        query = self.model.query
        column = next(i for i, c in enumerate(COLUMNS) if c[1] is query.sort)
        order = Qt.SortOrder.DescendingOrder if query.descending else Qt.SortOrder.AscendingOrder
        self.table.horizontalHeader().setSortIndicator(column, order)
        self.table.setSortingEnabled(True)  # sorts by the arrow: the query it already shows
        header = self.table.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(
            lambda at: self.column_menu().exec(header.mapToGlobal(at))
        )
        # Esc clears the search only from the search box: elsewhere (the details panel) it
        # is theirs. (Set here, after the first paint, for the same reason as the arrow.)
        self._clear_search.setContext(Qt.ShortcutContext.WidgetShortcut)
        self._make_filters()
        self._make_actions()

    def column_menu(self) -> QMenu:
        """Right-click on a column title: which columns show (kept with the window layout).
        The last shown column cannot be hidden."""
        from PySide6.QtWidgets import QMenu

        menu = QMenu("Columns", self)
        menu.setAccessibleName("Columns shown")
        shown = [c for c in range(len(COLUMNS)) if not self.table.isColumnHidden(c)]
        for column, (title, _key, _show) in enumerate(COLUMNS):
            action = menu.addAction(title)
            action.setCheckable(True)
            action.setChecked(column in shown)
            action.setEnabled(shown != [column])
            action.toggled.connect(lambda on, c=column: self.table.setColumnHidden(c, not on))
        return menu

    def export_shown(self) -> None:
        """Export the contacts the search and filters show, with the columns chosen."""
        if self.host is None:
            return
        from mjdesk.ui.contacts.export import export_contacts

        export_contacts(self.host, self.model.query, self)

    def export_repermission(self) -> None:
        """Export everyone whose consent is older than the retention period, for a mailing
        that asks them to consent again."""
        if self.host is None:
            return
        from mjdesk.core.export_contacts import repermission_query
        from mjdesk.core.filters import retention_months
        from mjdesk.ui.contacts.export import export_contacts

        with self.host.workspace.reading() as con:
            query = repermission_query(con)
            months = retention_months(con)
        export_contacts(
            self.host,
            query,
            self,
            explanation=(
                f"The re-permission list: every contact whose consent is older than {months} "
                "months (Settings › Consent Retention), whatever the page shows, for a "
                "mailing that asks them to consent again. Export it before expiring their "
                "consent."
            ),
            file_stem="re-permission",
        )

    def _make_actions(self) -> None:
        """The Actions menu: what can be done to the selection or to every contact shown."""
        from PySide6.QtWidgets import QMenu

        menu = QMenu("Actions", self)
        menu.setObjectName("contactActionsMenu")
        menu.setAccessibleName("Actions on the contacts")
        self.repermission_action = menu.addAction("Export Re-permission List…")
        self.repermission_action.setStatusTip(
            "Everyone whose consent is older than the retention period, for a mailing that "
            "asks them to consent again"
        )
        self.repermission_action.triggered.connect(self.export_repermission)
        if self.host is not None:
            from mjdesk.ui.contacts.bulk import BulkActions

            self.bulk = BulkActions(
                self.host, self, self.selected_ids, self.everything_selected, self.org_domains
            )
            menu.addSeparator()
            self.bulk.fill(menu)
            self.bulk.add_shortcuts(self.table)
        self.actions_menu = menu
        self.actions_button.setMenu(menu)
        self.actions_button.setEnabled(self.host is not None)
        self.export_button.setEnabled(self.host is not None)

    def _make_filters(self) -> None:
        if self.filters is not None or self.reading is None or self.runner is None:
            return
        from mjdesk.core.filters import retention_months, stale_before
        from mjdesk.ui.contacts.filters import FilterPanel

        with self.reading() as con:
            self._cutoff = stale_before(retention_months(con))
        self.filters = FilterPanel(self.reading, self.runner, self)
        self.filters.setMaximumWidth(300)
        self.filters.setMinimumWidth(200)
        self.filters.filterChanged.connect(self._apply_filter)
        self._body.insertWidget(0, self.filters)
        self.model.set_query(self.model.query._replace(cutoff=self._cutoff))

    def retention_changed(self) -> None:
        """The retention period changed: stale means something else now."""
        if self.filters is None or self.reading is None:
            return
        from mjdesk.core.filters import retention_months, stale_before

        with self.reading() as con:
            self._cutoff = stale_before(retention_months(con))
        self.filters.forget_counts()
        self.model.set_query(self.model.query._replace(cutoff=self._cutoff))

    def _apply_filter(self, wanted: ContactFilter) -> None:
        self.model.set_query(self.model.query._replace(filter=wanted, cutoff=self._cutoff))

    def select_everything(self) -> None:
        """Select every contact the search and filter show (all of them, not a page)."""
        self.table.selectAll()
        self.table.setFocus()

    def _on_selection(self, *_changed: object) -> None:
        chosen = sum(bottom - top + 1 for top, bottom in self._selected_spans())
        self.selected_note.setText(f"· {chosen:,} selected" if chosen > 1 else "")

    def _selected_spans(self) -> list[tuple[int, int]]:
        """The selected rows as merged (first, last) spans, read from the selection's
        ranges (a selection of a million rows is one range, never a million indexes)."""
        selection = self.table.selectionModel().selection()
        spans = sorted(
            (selection.at(i).top(), selection.at(i).bottom()) for i in range(selection.size())
        )
        merged: list[tuple[int, int]] = []
        for top, bottom in spans:
            if merged and top <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], bottom))
            else:
                merged.append((top, bottom))
        return merged

    def everything_selected(self) -> bool:
        total = self.model.rowCount()
        return total > 0 and self._selected_spans() == [(0, total - 1)]

    def selected_ids(self, cancel: CancelToken | None = None) -> list[int]:
        """The contacts selected: every one the query shows when all are selected (read
        from the workspace, so call it off the GUI thread then), else the rows picked."""
        if self.everything_selected():
            return self.model.all_ids(cancel)
        rows = [row for top, bottom in self._selected_spans() for row in range(top, bottom + 1)]
        return [row.id for row in map(self.model.row_at, rows) if row is not None]

    def focus_search(self) -> None:
        from PySide6.QtCore import Qt

        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _run_search(self) -> None:
        self._search_timer.stop()
        current = self.model.query
        wanted = current._replace(text=self.search.text())
        if wanted.terms != current.terms:
            self.model.set_query(wanted)

    def _on_busy(self, busy: bool) -> None:
        if busy:
            self.summary.setText("Searching…")

    def _on_view(self, total: int, query: ContactQuery) -> None:
        narrowed = bool(query.terms) or not query.filter.empty
        if narrowed and not self.model.view.complete:
            self.summary.setText(f"{total:,}+ found, still searching…")
        elif narrowed:
            self.summary.setText(f"{total:,} found" if total != 1 else "1 found")
        else:
            self.summary.setText(f"{total:,} contacts" if total != 1 else "1 contact")
        complete = self.model.view.complete
        if self._select_all_again and complete:
            self._select_all_again = False
            if total:
                self.table.selectAll()
        self.select_all.setVisible(narrowed and total > 1 and complete)
        self.select_all.setText(f"Select all {total:,} matching")
        if self.filters is not None:
            self.filters.set_query(query)
        empty_workspace = total == 0 and not narrowed
        self.stack.setCurrentWidget(self.welcome if empty_workspace else self.table)
        self.search.setEnabled(not empty_workspace)
        if not self._shown_once:
            self._shown_once = True
            self.firstPageShown.emit()
