"""The Contacts page: the whole workspace in a table, with search and sorting."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mjdesk.core.contacts import ContactQuery
from mjdesk.ui.contacts_model import ContactsModel
from mjdesk.ui.welcome import WelcomePanel

SEARCH_DELAY_MS = 150


class ContactsPage(QWidget):
    """Search box, result count and the contacts table (or the welcome panel when empty)."""

    #: the first page of the first query is on screen
    firstPageShown = Signal()

    def __init__(self, model: ContactsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
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

        self.table = QTableView(self)
        self.table.setObjectName("contactsTable")
        self.table.setAccessibleName("Contacts")
        self.table.setModel(model)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        # A fixed row height and column widths spare Qt from measuring a million rows.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        for column, width in enumerate((260, 180, 100, 100, 180, 160, 110, 120)):
            self.table.setColumnWidth(column, width)

        self._welcome: WelcomePanel | None = None  # made only for an empty workspace
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.table)

        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.summary)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 0)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._run_search)
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self.search.returnPressed.connect(self._run_search)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self.search, self.search.clear)

        model.viewChanged.connect(self._on_view)
        model.busyChanged.connect(self._on_busy)
        model.queryFailed.connect(self.summary.setText)

    @property
    def welcome(self) -> WelcomePanel:
        if self._welcome is None:
            self._welcome = WelcomePanel(self)
            self.stack.addWidget(self._welcome)
        return self._welcome

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _run_search(self) -> None:
        self._search_timer.stop()
        current = self.model.query
        wanted = ContactQuery(self.search.text(), current.sort, current.descending)
        if wanted.terms != current.terms:
            self.model.set_query(wanted)

    def _on_busy(self, busy: bool) -> None:
        if busy:
            self.summary.setText("Searching…")

    def _on_view(self, total: int, query: ContactQuery) -> None:
        if query.terms and not self.model.view.complete:
            self.summary.setText(f"{total:,}+ found, still searching…")
        elif query.terms:
            self.summary.setText(f"{total:,} found" if total != 1 else "1 found")
        else:
            self.summary.setText(f"{total:,} contacts" if total != 1 else "1 contact")
        empty_workspace = total == 0 and not query.terms
        self.stack.setCurrentWidget(self.welcome if empty_workspace else self.table)
        self.search.setEnabled(not empty_workspace)
        if not self._shown_once:
            self._shown_once = True
            self.firstPageShown.emit()
