"""The Preview page: a draft, template or local ``.html`` file rendered as a real recipient
gets it, privately (see `mjdesk.ui.preview.engine`), with the pre-flight checklist beside it,
a test sent to the user's own address, and exports of both.

Everything works offline from the workspace's copy of the drafts and templates; Fetch from
Mailjet brings it up to date in the background (with progress and Stop). QtWebEngine is
loaded when the first mail is shown, not with the window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mjdesk.core.preview import cache
from mjdesk.core.preview.checks import CheckResult, Status, reply_to_of
from mjdesk.core.preview.mail import MailKind
from mjdesk.core.preview.recipients import RecipientData, recipient_data
from mjdesk.core.work import UserError
from mjdesk.ui.common import dialogs
from mjdesk.ui.common.errors import error_text
from mjdesk.ui.common.progress import JobStrip
from mjdesk.ui.common.tasks import Pool
from mjdesk.ui.preview import reading
from mjdesk.ui.preview.models import DRAFT_STATUS, ChecklistModel, MailingRow, MailingsModel

if TYPE_CHECKING:
    from PySide6.QtGui import QDragEnterEvent, QDropEvent, QShowEvent

    from mjdesk.core.changes import Changes
    from mjdesk.core.preview.coverage import Coverage
    from mjdesk.core.preview.renderer import Rendered
    from mjdesk.core.work import CancelToken, ProgressReport
    from mjdesk.mailjet.client import MailjetClient
    from mjdesk.mailjet.mailings import FetchSummary
    from mjdesk.ui.common.host import FeatureHost
    from mjdesk.ui.preview.engine import PreviewView

log = logging.getLogger(__name__)

ClientFactory = Callable[[], "MailjetClient | None"]

EXPORT_PNG_SHORTCUT = "Ctrl+E"
EXPORT_REPORT_SHORTCUT = "Ctrl+Shift+E"
SEND_TEST_SHORTCUT = "Ctrl+Shift+T"
TEST_ADDRESS_SETTING = "preview.test_address"
"""Settings.extra key: the address the user sends tests to (their own)."""
HTML_SUFFIXES = frozenset({".html", ".htm"})
NOBODY = "Nobody (every field empty)"

NO_ACCOUNT = (
    "This profile is not connected to Mailjet (Settings › Accounts): the preview works "
    "from the drafts and templates fetched before."
)


def _buddy(text: str, widget: QWidget, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setBuddy(widget)
    return label


def _when(stamp: str) -> str:
    return stamp.replace("T", " ")[:16]


class PreviewPage(QWidget):
    """Pick a mailing, pick a recipient, see the mail and its checklist."""

    #: a mail is on screen, painted by the web view (its title)
    previewShown = Signal(str)
    #: the checklist of the mail on screen is filled in
    checked = Signal()
    #: the worst-case recipients are on offer (how many)
    worstCasesFound = Signal(int)
    #: a test was sent (the address)
    testSent = Signal(str)

    def __init__(
        self, host: FeatureHost, client_for: ClientFactory, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.host = host
        self.client_for = client_for
        self.opened: reading.Opened | None = None
        self.recipient: RecipientData | None = None
        self.recipient_label = NOBODY
        self.worst: tuple[reading.Person, ...] = ()
        self.rendered: Rendered | None = None
        self.checklist: reading.Checklist | None = None
        self._coverage: tuple[Coverage | None, dict[int, str]] | None = None
        self.view: PreviewView | None = None
        self._stale = True
        self._opening = 0
        self.setObjectName("previewPage")
        self.setAccessibleName("Preview")
        self.setAcceptDrops(True)

        # -- left: the mailings
        self.mailings = MailingsModel(self)
        self.list = QTableView(self)
        self.list.setObjectName("mailingsTable")
        self.list.setAccessibleName("Drafts, templates and files to preview")
        self.list.setModel(self.mailings)
        self.list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.verticalHeader().hide()
        self.list.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.list.setWordWrap(False)
        header = self.list.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 220)
        for column, width in ((1, 70), (2, 70), (3, 120), (4, 110)):
            header.resizeSection(column, width)
        header.setStretchLastSection(True)
        self.list.selectionModel().selectionChanged.connect(self._picked)
        self.fetch_button = QPushButton("&Fetch from Mailjet", self)
        self.fetch_button.setObjectName("fetchMailingsButton")
        self.fetch_button.setAccessibleName("Fetch the drafts and templates from Mailjet")
        self.fetch_button.setToolTip(
            "Bring the copy of the drafts, templates and senders up to date"
        )
        self.fetch_button.clicked.connect(self.fetch)
        self.file_button = QPushButton("Open &File…", self)
        self.file_button.setObjectName("openHtmlButton")
        self.file_button.setAccessibleName("Open a local HTML file to preview")
        self.file_button.setToolTip("Preview an .html file (or drop one on this page)")
        self.file_button.clicked.connect(self.ask_file)
        self.source_note = QLabel(self)
        self.source_note.setObjectName("previewSourceNote")
        self.source_note.setAccessibleName("Where the mailings come from")
        self.source_note.setWordWrap(True)
        self.strip = JobStrip(host.runner, self)
        self.strip.busyChanged.connect(self._busy)
        self.strip.cancelled.connect(lambda: self._say("Stopped. What was fetched is kept."))
        left = QWidget(self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.fetch_button)
        buttons.addWidget(self.file_button)
        buttons.addStretch(1)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.strip)
        left_layout.addWidget(self.list, 1)
        left_layout.addWidget(self.source_note)

        # -- top: the recipient
        self.search = QLineEdit(self)
        self.search.setObjectName("recipientSearch")
        self.search.setAccessibleName("Find a recipient by address or name")
        self.search.setPlaceholderText("Find a contact by address or name")
        self.search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(self._find)
        self.search.textChanged.connect(lambda: self._search_timer.start())
        self.recipients = QComboBox(self)
        self.recipients.setObjectName("recipientChoice")
        self.recipients.setAccessibleName("Preview as this recipient")
        self.recipients.setMinimumWidth(320)
        self.recipients.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.recipients.activated.connect(self._recipient_chosen)
        self.worst_button = QPushButton("&Worst Case", self)
        self.worst_button.setObjectName("worstCaseButton")
        self.worst_button.setAccessibleName("Preview as the worst-case recipients")
        self.worst_button.setToolTip(
            "The recipients the mail is most likely to go wrong for: empty fields, the longest "
            "name, non-Latin and right-to-left names"
        )
        self.worst_button.clicked.connect(self.show_worst_cases)
        who = QHBoxLayout()
        who.addWidget(_buddy("&Recipient:", self.recipients, self))
        who.addWidget(self.recipients, 1)
        who.addWidget(self.worst_button)
        who.addWidget(self.search)

        # -- the envelope as rendered
        self.subject_label = self._field("previewSubject", "Subject as rendered")
        self.sender_label = self._field("previewSender", "Sender")
        self.reply_to_label = self._field("previewReplyTo", "Reply-to")
        self.preheader_label = self._field("previewPreheader", "Preheader: the start of the body")
        envelope = QFormLayout()
        envelope.addRow("Subject:", self.subject_label)
        envelope.addRow("From:", self.sender_label)
        envelope.addRow("Reply-to:", self.reply_to_label)
        envelope.addRow("Preheader:", self.preheader_label)

        # -- how it is shown
        self.desktop = QRadioButton("&Desktop (700 px)", self)
        self.desktop.setObjectName("desktopWidth")
        self.desktop.setAccessibleName("Desktop width, 700 pixels")
        self.phone = QRadioButton("P&hone (375 px)", self)
        self.phone.setObjectName("phoneWidth")
        self.phone.setAccessibleName("Phone width, 375 pixels")
        self.widths = QButtonGroup(self)
        self.widths.addButton(self.desktop)
        self.widths.addButton(self.phone)
        self.desktop.setChecked(True)
        self.desktop.toggled.connect(self._look_changed)
        self.dark = QCheckBox("D&ark mode", self)
        self.dark.setObjectName("darkMode")
        self.dark.setAccessibleName("Simulate dark mode")
        self.dark.setToolTip(
            "The mail's own dark styles switched on, and what it leaves light darkened as "
            "Gmail's and Outlook's apps do"
        )
        self.dark.toggled.connect(self._look_changed)
        self.images = QCheckBox("Load &images", self)
        self.images.setObjectName("loadImages")
        self.images.setAccessibleName("Load remote images")
        self.images.setToolTip(
            "Off: nothing is fetched, so no tracking pixel fires. On: remote images only "
            "(never styles, fonts, frames or scripts)"
        )
        self.images.toggled.connect(self._look_changed)
        self.test_button = QPushButton("Send a &Test…", self)
        self.test_button.setObjectName("sendTestButton")
        self.test_button.setAccessibleName("Send a test of the draft to your own address")
        self.test_button.setToolTip(f"Through Mailjet, to your own address ({SEND_TEST_SHORTCUT})")
        self.test_button.clicked.connect(self.send_test)
        self.png_button = QPushButton("Export &PNG…", self)
        self.png_button.setObjectName("exportPngButton")
        self.png_button.setAccessibleName("Export the preview as PNG images")
        self.png_button.setToolTip(f"The mail at desktop and phone widths ({EXPORT_PNG_SHORTCUT})")
        self.png_button.clicked.connect(self.export_png)
        self.report_button = QPushButton("Export &Checklist…", self)
        self.report_button.setObjectName("exportChecklistButton")
        self.report_button.setAccessibleName("Export the checklist as a report")
        self.report_button.setToolTip(f"A short Markdown report ({EXPORT_REPORT_SHORTCUT})")
        self.report_button.clicked.connect(self.export_report)
        look = QHBoxLayout()
        for toggle in (self.desktop, self.phone, self.dark, self.images):
            look.addWidget(toggle)
        look.addStretch(1)
        for button in (self.test_button, self.png_button, self.report_button):
            look.addWidget(button)
        for key, slot in (
            (EXPORT_PNG_SHORTCUT, self.export_png),
            (EXPORT_REPORT_SHORTCUT, self.export_report),
            (SEND_TEST_SHORTCUT, self.send_test),
        ):
            shortcut = QShortcut(QKeySequence(key), self, slot)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

        # -- the mail: HTML (made when first needed) and text
        self.html_area = QWidget(self)
        self.html_area.setObjectName("previewHtmlArea")
        self.html_area.setAccessibleName("The HTML part")
        self.html_layout = QHBoxLayout(self.html_area)
        self.html_layout.setContentsMargins(0, 0, 0, 0)
        self.placeholder = QLabel("Pick a draft, a template or a file to preview it.", self)
        self.placeholder.setAccessibleName("No mail shown yet")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.html_layout.addWidget(self.placeholder, 1)
        self.text_part = QPlainTextEdit(self)
        self.text_part.setObjectName("previewTextPart")
        self.text_part.setAccessibleName("The text part")
        self.text_part.setReadOnly(True)
        self.text_part.setPlaceholderText("(no text part)")
        # (readable beside a desktop-wide mail: the mailings list gives way first)
        self.text_part.setMinimumWidth(self.fontMetrics().horizontalAdvance("m" * 22))
        mail_split = QSplitter(Qt.Orientation.Horizontal, self)
        mail_split.setObjectName("previewMailSplitter")
        mail_split.addWidget(self.html_area)
        mail_split.addWidget(self.text_part)
        mail_split.setStretchFactor(0, 3)
        mail_split.setStretchFactor(1, 1)

        # -- the checklist
        self.checks = ChecklistModel(self)
        self.check_table = QTableView(self)
        self.check_table.setObjectName("checklistTable")
        self.check_table.setAccessibleName("Pre-flight checklist")
        self.check_table.setModel(self.checks)
        self.check_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.check_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.check_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.check_table.verticalHeader().hide()
        checks_header = self.check_table.horizontalHeader()
        checks_header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        checks_header.setStretchLastSection(True)
        # (five checks in sight at once, so a failure is rarely scrolled away)
        self.check_table.setMinimumHeight(
            checks_header.sizeHint().height()
            + 5 * self.check_table.verticalHeader().defaultSectionSize()
            + 2 * self.check_table.frameWidth()
        )
        self.check_table.selectionModel().selectionChanged.connect(self._show_cases)
        self.cases = QListWidget(self)
        self.cases.setObjectName("checkCases")
        self.cases.setAccessibleName("The cases of the selected check")
        self.check_summary = QLabel(self)
        self.check_summary.setObjectName("checkSummary")
        self.check_summary.setAccessibleName("Checklist result")
        self.check_summary.setWordWrap(True)
        self.check_button = QPushButton("Check A&gain", self)
        self.check_button.setObjectName("runChecksButton")
        self.check_button.setAccessibleName("Run the checklist again")
        self.check_button.clicked.connect(self.run_checks)
        checks_box = QWidget(self)
        checks_layout = QVBoxLayout(checks_box)
        checks_layout.setContentsMargins(0, 0, 0, 0)
        summary_row = QHBoxLayout()
        summary_row.addWidget(self.check_summary, 1)
        summary_row.addWidget(self.check_button)
        checks_layout.addLayout(summary_row)
        checks_layout.addWidget(self.check_table, 2)
        checks_layout.addWidget(self.cases, 1)

        self.status = QLabel(self)
        self.status.setObjectName("previewStatus")
        self.status.setAccessibleName("Preview status")
        self.status.setWordWrap(True)

        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(who)
        right_layout.addLayout(envelope)
        right_layout.addLayout(look)
        body_split = QSplitter(Qt.Orientation.Vertical, self)
        body_split.addWidget(mail_split)
        body_split.addWidget(checks_box)
        body_split.setStretchFactor(0, 3)
        body_split.setStretchFactor(1, 2)
        right_layout.addWidget(body_split, 1)
        right_layout.addWidget(self.status)

        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.setObjectName("previewSplitter")
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([320, 900])
        layout = QVBoxLayout(self)
        layout.addWidget(split)
        self._busy(False)
        host.events.changed.connect(self._on_changes)

    def _field(self, name: str, accessible: str) -> QLabel:
        label = QLabel(self)
        label.setObjectName(name)
        label.setAccessibleName(accessible)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setTextFormat(Qt.TextFormat.PlainText)
        return label

    def _say(self, text: str) -> None:
        self.status.setText(text)

    def _busy(self, busy: bool) -> None:
        opened = self.opened
        is_draft = opened is not None and opened.mail.kind == MailKind.DRAFT
        self.fetch_button.setEnabled(not busy)
        self.test_button.setEnabled(is_draft and not busy)
        self.test_button.setToolTip(
            f"Through Mailjet, to your own address ({SEND_TEST_SHORTCUT})"
            if is_draft
            else "Only a Mailjet draft can be sent as a test"
        )
        has_mail = self.rendered is not None
        self.png_button.setEnabled(has_mail)
        self.report_button.setEnabled(self.checklist is not None)
        self.check_button.setEnabled(opened is not None)
        self.worst_button.setEnabled(opened is not None)

    # -- the mailings --------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.read_mailings()

    def _on_changes(self, changes: Changes) -> None:
        if changes.lists or changes.contacts:
            self._coverage = None  # (who is on the list may have changed)
        if changes.lists:
            self._stale = True
            if self.isVisible():
                self.read_mailings()

    def read_mailings(self) -> None:
        """Read the workspace's copy of the drafts and templates (in the background)."""
        self._stale = False
        reading_ = self.host.workspace.reading

        def work(_cancel: CancelToken) -> tuple[list[MailingRow], str]:
            with reading_() as con:
                names = dict(con.execute("SELECT mailjet_id, name FROM lists"))
                cached = cache.list_mailings(con)
            rows = [
                MailingRow(
                    m.kind,
                    str(m.mailjet_id),
                    m.title,
                    m.subject,
                    DRAFT_STATUS.get(m.status, str(m.status))
                    if m.kind == MailKind.DRAFT
                    else "Template",
                    str(names.get(m.list_id, m.list_id or "")),
                    _when(m.modified_at),
                )
                for m in cached
            ]
            fetched = max((m.fetched_at for m in cached), default="")
            return rows, fetched

        self.host.runner.submit(work, self._fill_mailings, self._failed)

    def _fill_mailings(self, found: tuple[list[MailingRow], str]) -> None:
        rows, fetched = found
        chosen = self.opened.mail if self.opened is not None else None
        self.mailings.set_rows(rows)
        if fetched:
            self.source_note.setText(
                f"From the copy fetched {_when(fetched)} UTC: previews work offline."
            )
        else:
            self.source_note.setText(
                "No drafts or templates fetched yet: Fetch from Mailjet, or open an .html file."
            )
        if chosen is not None:
            self._mark_shown()

    def _mark_shown(self) -> None:
        """Mark the mailing on screen in the list (marked, not opened again; nothing marked
        when nothing is shown), so the list never points at another mail than the preview."""
        shown = self.opened.mail if self.opened is not None else None
        row = None if shown is None else self.mailings.find(shown.kind, shown.source_id)
        selection = self.list.selectionModel()
        selection.blockSignals(True)
        if row is None:
            self.list.clearSelection()
        else:
            self.list.selectRow(row)
        selection.blockSignals(False)

    def _failed(self, exc: Exception) -> None:
        self._say(error_text(exc))

    def fetch(self) -> None:
        """Bring the copy of the drafts, templates and senders up to date from Mailjet."""
        if self.strip.busy:
            return
        workspace, client_for = self.host.workspace, self.client_for

        def work(progress: ProgressReport, cancel: CancelToken) -> FetchSummary:
            from mjdesk.mailjet.mailings import fetch_mailings

            progress.start("Connecting to Mailjet…")
            client = client_for()
            if client is None:
                raise UserError(NO_ACCOUNT)
            client.cancel = cancel
            with client:
                progress.start("Fetching the drafts and templates…")
                return fetch_mailings(client, workspace, progress, cancel.check)

        self._say("")
        self.strip.run(
            work, self._fetched, self._fetch_failed, pool=Pool.NETWORK, phase="Fetching…"
        )

    def _fetched(self, summary: FetchSummary) -> None:
        self._say(
            f"Fetched {summary.fetched:,} drafts and templates ({summary.unchanged:,} unchanged, "
            f"{summary.removed:,} gone from Mailjet) and {summary.senders:,} senders."
        )
        self._coverage = None
        self.read_mailings()

    def _fetch_failed(self, exc: Exception) -> None:
        self._say(f"{error_text(exc)} The previews work from the copy fetched before.")

    # -- opening -------------------------------------------------------------------------

    def ask_file(self) -> None:
        path = dialogs.ask_open_file(
            self,
            "Preview an HTML File",
            "HTML files (*.html *.htm);;All files (*)",
            settings=self.host.settings,
            kind="preview",
        )
        if path is not None:
            self.open_file(path)

    def open_file(self, path: Path) -> None:
        """Add a local file to the list and preview it (read again when it is there)."""
        row = self.mailings.add_file(
            MailingRow(MailKind.FILE, str(path), path.name, "", "Local file", "", "")
        )
        if self.list.selectionModel().isRowSelected(row):
            self.open_row(row)
        else:
            self.list.selectRow(row)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _dropped_html(event.mimeData().urls()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = _dropped_html(event.mimeData().urls())
        if path is not None:
            event.acceptProposedAction()
            self.open_file(path)

    def _picked(self, selected: QItemSelection, _old: QItemSelection) -> None:
        rows = {index.row() for index in selected.indexes()}
        if len(rows) == 1:
            self.open_row(rows.pop())

    def open_row(self, row: int) -> None:
        """Preview the mailing of ``row`` (read and rendered in the background)."""
        picked = self.mailings.rows[row]
        self._opening += 1
        ticket = self._opening
        reading_ = self.host.workspace.reading

        def work(_cancel: CancelToken) -> tuple[reading.Opened, Rendered]:
            with reading_() as con:
                mail = reading.load(con, picked.kind, picked.source_id)
                opened = reading.open_mailing(con, mail)
            return opened, reading.render_for(mail, opened.first_data)

        def done(found: tuple[reading.Opened, Rendered]) -> None:
            if ticket == self._opening:
                self._show_opened(*found)

        def failed(exc: Exception) -> None:
            if ticket != self._opening:
                return
            if picked.kind == MailKind.FILE:  # (not HTML, too big, gone: not offered again)
                self.mailings.remove_file(picked.source_id)
            self._mark_shown()
            self._say("")
            dialogs.tell_problem(self, "Preview", error_text(exc))

        self._say(f"Opening {picked.title}…")
        self.host.runner.submit(work, done, failed)

    def _show_opened(self, opened: reading.Opened, rendered: Rendered) -> None:
        self.opened = opened
        self.worst = ()
        self._coverage = None
        self.checklist = None
        first = [opened.first] if opened.first is not None else []
        self._offer(first, first[0].contact_id if first else 0)
        self.recipient = opened.first_data
        self.recipient_label = self.recipients.currentText()
        where = (
            f"Goes to the list “{opened.list_name}”."
            if opened.list_id is not None
            else "Not linked to a list of this workspace: the worst cases are picked among "
            "every contact."
            if opened.mail.kind == MailKind.DRAFT
            else ""
        )
        self._say(where)
        self._show(rendered)
        self.run_checks()
        self._find_worst(opened)

    # -- the recipient -------------------------------------------------------------------

    def _offer(self, people: Sequence[reading.Person], current: int) -> None:
        """Offer ``people`` (and nobody) in the recipient picker, ``current`` chosen."""
        self.recipients.clear()
        for person in people:
            self.recipients.addItem(_person_label(person), person.contact_id)
        self.recipients.addItem(NOBODY, 0)
        self.recipients.setCurrentIndex(max(0, self.recipients.findData(current)))

    def _worst_offer(self) -> list[reading.Person]:
        """The worst cases, then the first recipient (when not one of them)."""
        first = self.opened.first if self.opened is not None else None
        offered = list(self.worst)
        if first is not None and all(p.contact_id != first.contact_id for p in offered):
            offered.append(first)
        return offered

    def _find_worst(self, opened: reading.Opened) -> None:
        """Pick the worst-case recipients (a scan of the list: after the first preview)."""
        reading_ = self.host.workspace.reading

        def work(_cancel: CancelToken) -> tuple[reading.Person, ...]:
            with reading_() as con:
                return reading.worst_people(con, opened)

        def done(worst: tuple[reading.Person, ...]) -> None:
            if self.opened is not opened:
                return
            self.worst = worst
            if not self.search.text().strip():  # (a search's results stay on offer)
                self._offer(self._worst_offer(), int(self.recipients.currentData() or 0))
            self.worstCasesFound.emit(len(worst))

        self.host.runner.submit(work, done, self._failed)

    def show_worst_cases(self) -> None:
        """Offer the worst-case recipients again, and preview the first."""
        if self.opened is None:
            return
        self.search.clear()
        offered = self._worst_offer()
        self._offer(offered, offered[0].contact_id if offered else 0)
        self._recipient_chosen(self.recipients.currentIndex())

    def _find(self) -> None:
        text = self.search.text().strip()
        if not text:
            return
        reading_ = self.host.workspace.reading

        def work(_cancel: CancelToken) -> list[reading.Person]:
            with reading_() as con:
                return reading.find_people(con, text)

        self.host.runner.submit(work, self._found, self._failed)

    def _found(self, people: list[reading.Person]) -> None:
        if not people:  # (the offer and the mail stay as they are: they agree)
            self._say(
                f"No contact matches “{self.search.text().strip()}”: still showing "
                f"{self.recipient_label}."
            )
            return
        self._offer(people, people[0].contact_id)
        self._recipient_chosen(0)

    def choose_recipient(self, contact_id: int) -> None:
        """Preview as the contact (one offered, or any other of the workspace)."""
        index = self.recipients.findData(contact_id)
        if index >= 0:
            self.recipients.setCurrentIndex(index)
            self._recipient_chosen(index)
            return
        self._read_recipient(contact_id, f"contact {contact_id}")

    def _recipient_chosen(self, index: int) -> None:
        contact_id = int(self.recipients.itemData(index) or 0)
        self._read_recipient(contact_id, self.recipients.itemText(index))

    def _read_recipient(self, contact_id: int, label: str) -> None:
        opened = self.opened
        if opened is None:
            return
        reading_ = self.host.workspace.reading

        def work(_cancel: CancelToken) -> RecipientData | None:
            if not contact_id:
                return None
            with reading_() as con:
                return recipient_data(con, contact_id)

        def done(who: RecipientData | None) -> None:
            if self.opened is not opened:
                return
            self.recipient, self.recipient_label = who, label
            self._show(reading.render_for(opened.mail, who))
            self.run_checks()

        self.host.runner.submit(work, done, self._failed)

    # -- showing -------------------------------------------------------------------------

    def _show(self, rendered: Rendered) -> None:
        opened = self.opened
        assert opened is not None
        mail = opened.mail
        self.rendered = rendered
        self.subject_label.setText(rendered.subject or "(no subject)")
        self.sender_label.setText(
            f"{mail.sender_name} <{mail.sender_email}>" if mail.sender_email else "(no sender)"
        )
        self.reply_to_label.setText(reply_to_of(mail) or "(none: replies go to the sender)")
        self.preheader_label.setText(reading.preheader_of(rendered.html) or "(none)")
        self.text_part.setPlainText(rendered.text)
        self._render_html()
        self._busy(self.strip.busy)

    def _ensure_view(self) -> PreviewView:
        if self.view is None:
            from mjdesk.ui.preview.engine import PreviewView

            self.placeholder.hide()
            view = PreviewView(self.html_area)
            view.setObjectName("previewHtml")
            view.preview.loadFinished.connect(self._painted)
            view.preview.linkClicked.connect(
                lambda url: self._say(f"Links do not open in the preview. This one goes to {url}")
            )
            self.html_layout.addStretch(1)
            self.html_layout.addWidget(view)
            self.html_layout.addStretch(1)
            self.view = view
        return self.view

    def look(self) -> tuple[int, bool, bool]:
        """(width, dark, load images) as the toggles say."""
        from mjdesk.core.preview.preflight import DESKTOP_WIDTH, PHONE_WIDTH

        width = PHONE_WIDTH if self.phone.isChecked() else DESKTOP_WIDTH
        return width, self.dark.isChecked(), self.images.isChecked()

    def _render_html(self) -> None:
        if self.rendered is None:
            return
        from mjdesk.ui.preview.engine import Look

        view = self._ensure_view()
        width, dark, images = self.look()
        view.setFixedWidth(width)
        view.preview.apply(Look(width, dark, images))
        view.preview.show_html(self.rendered.html)

    def _look_changed(self) -> None:
        if self.rendered is not None:
            self._render_html()

    def _painted(self, ok: bool) -> None:
        if self.opened is None or self.view is None:
            return
        blocked = len(self.view.preview.interceptor.blocked)
        if blocked:
            self.view.setToolTip(f"{blocked:,} remote requests blocked")
        self.previewShown.emit(self.opened.mail.title)

    # -- the checklist -------------------------------------------------------------------

    def run_checks(self) -> None:
        """The checklist for the mail as the chosen recipient gets it (the coverage over the
        list is read in the background once per mail)."""
        opened, rendered = self.opened, self.rendered
        if opened is None or rendered is None:
            return
        known = self._coverage
        reading_ = self.host.workspace.reading

        def work(_cancel: CancelToken) -> tuple[Coverage | None, dict[int, str]]:
            if known is not None:
                return known
            with reading_() as con:
                return reading.coverage_of(con, opened)

        def done(found: tuple[Coverage | None, dict[int, str]]) -> None:
            if self.opened is not opened or self.rendered is not rendered:
                return
            self._coverage = found
            self.checklist = reading.checklist(opened, rendered, *found)
            self._show_checks()

        self.check_summary.setText("Checking…")
        self.host.runner.submit(work, done, self._failed)

    def _show_checks(self) -> None:
        checklist = self.checklist
        assert checklist is not None
        self.checks.set_results(checklist.results)
        counts = {s: sum(1 for r in checklist.results if r.status is s) for s in Status}
        self.check_summary.setText(
            f"{counts[Status.FAIL]:,} failing, {counts[Status.WARN]:,} to look at, "
            f"{counts[Status.PASS]:,} passed."
        )
        self.cases.clear()
        worst = first_to_fix(checklist.results)
        if worst is not None:
            self.check_table.selectRow(worst)
            self.check_table.scrollTo(self.checks.index(worst, 0))
        self._busy(self.strip.busy)
        self.checked.emit()

    def _show_cases(self) -> None:
        self.cases.clear()
        rows = {i.row() for i in self.check_table.selectionModel().selectedRows()}
        if self.checklist is None or len(rows) != 1:
            return
        result = self.checks.results[rows.pop()]
        lines = self.checklist.cases(result)
        self.cases.addItems(lines or ["(nothing more to show)"])

    # -- send a test ---------------------------------------------------------------------

    def send_test(self) -> None:
        """Send a test of the draft to the user's own address, once they confirm."""
        opened = self.opened
        if opened is None or opened.mail.kind != MailKind.DRAFT or self.strip.busy:
            return
        settings = self.host.settings
        address = dialogs.ask_text(
            self,
            "Send a Test",
            "Your own address: Mailjet sends the test there (it is remembered).",
            settings.extra.get(TEST_ADDRESS_SETTING, ""),
        )
        if address is None:
            return
        address = address.strip()
        if "@" not in address or " " in address:
            dialogs.tell_problem(self, "Send a Test", f"“{address}” is not an e-mail address.")
            return
        if settings.extra.get(TEST_ADDRESS_SETTING) != address:
            settings.extra[TEST_ADDRESS_SETTING] = address
            self.host.save_settings()
        mail = opened.mail
        question = (
            f"Send a test of the draft “{mail.title}” (number {mail.source_id}) to {address}?\n\n"
            "Mailjet sends the draft as it holds it now; its merge fields are filled with "
            "Mailjet's test values, not as previewed here."
        )
        if not dialogs.ask_confirm(self, "Send a Test", question, "Send the Test"):
            return
        client_for, draft_id = self.client_for, int(mail.source_id)

        def work(progress: ProgressReport, cancel: CancelToken) -> str:
            from mjdesk.mailjet.campaigns import send_test

            client = client_for()
            if client is None:
                raise UserError(NO_ACCOUNT.split(":")[0] + ": a test cannot be sent.")
            client.cancel = cancel
            with client:
                send_test(client, draft_id, [(address, "")])
            return address

        self.strip.run(
            work, self._test_sent, self._test_failed, pool=Pool.NETWORK, phase="Sending a test…"
        )

    def _test_sent(self, address: str) -> None:
        self._say(f"Test sent to {address}: it should arrive within a few minutes.")
        self.testSent.emit(address)

    def _test_failed(self, exc: Exception) -> None:
        from mjdesk.mailjet.campaigns import DraftRefused

        text = exc.user_message if isinstance(exc, DraftRefused) else error_text(exc)
        dialogs.tell_problem(self, "Send a Test", text)

    # -- export --------------------------------------------------------------------------

    def export_png(self) -> None:
        """Save the mail as this recipient gets it at desktop and phone widths (two PNGs)."""
        rendered, opened = self.rendered, self.opened
        if rendered is None or opened is None:
            return
        target = dialogs.ask_save_file(
            self,
            "Export the Preview",
            f"{_file_name(opened.mail.title)}.png",
            "PNG images (*.png)",
            settings=self.host.settings,
            kind="export",
        )
        if target is None:
            return
        from mjdesk.core.preview.preflight import DESKTOP_WIDTH, PHONE_WIDTH
        from mjdesk.ui.preview.engine import (
            SnapshotError,
            save_png,
            snapshot,
        )

        _width, dark, images = self.look()
        stem = target.with_suffix("")
        saved = []
        try:
            for width, suffix in ((DESKTOP_WIDTH, "desktop"), (PHONE_WIDTH, "phone")):
                path = stem.with_name(f"{stem.name}-{suffix}.png")
                save_png(snapshot(rendered.html, width, dark=dark, load_images=images), path)
                saved.append(path.name)
        except (OSError, SnapshotError) as exc:
            dialogs.tell_problem(self, "Export the Preview", f"The preview was not saved: {exc}.")
            return
        self._say(f"Saved {' and '.join(saved)} in {target.parent}.")

    def export_report(self) -> None:
        """Save the checklist as a short Markdown report."""
        checklist, rendered, opened = self.checklist, self.rendered, self.opened
        if checklist is None or rendered is None or opened is None:
            return
        target = dialogs.ask_save_file(
            self,
            "Export the Checklist",
            f"{_file_name(opened.mail.title)} checklist.md",
            "Markdown (*.md);;Text files (*.txt)",
            settings=self.host.settings,
            kind="export",
        )
        if target is None:
            return
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        text = reading.report_markdown(opened.mail, rendered, checklist, self.recipient_label, when)
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            dialogs.tell_problem(
                self,
                "Export the Checklist",
                f"The checklist could not be saved in {target.parent} ({exc.strerror or exc}).",
            )
            return
        self._say(f"Checklist saved to {target}.")


def first_to_fix(results: Sequence[CheckResult]) -> int | None:
    """The row to show first: the first failure, else the first warning (None: all pass)."""
    for status in (Status.FAIL, Status.WARN):
        for row, result in enumerate(results):
            if result.status is status:
                return row
    return None


def _person_label(person: reading.Person) -> str:
    if person.reason.startswith("has "):
        return f"Worst case: {person.email} — {person.reason}"
    shown = f"{person.name} <{person.email}>" if person.name else person.email
    return f"{shown} — {person.reason}" if person.reason else shown


def _file_name(title: str) -> str:
    kept = "".join(ch if ch.isalnum() or ch in " -_." else " " for ch in title)
    return " ".join(kept.split())[:80] or "mailing"


def _dropped_html(urls: Sequence[QUrl]) -> Path | None:
    """The one local .html file dropped, if that is what it is."""
    local = [u for u in urls if u.isLocalFile()]
    if len(local) != 1:
        return None
    path = Path(local[0].toLocalFile())
    return path if path.suffix.lower() in HTML_SUFFIXES else None
