"""The Activity page: everything done in this profile's workspace (imports, edits, bulk
actions, exports, erasures, undos), who did it and when, filtered; exported to CSV; and the
selected step undone from here when nothing done since depends on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mjdesk.core import wording
from mjdesk.core.activity import (
    ActivityEntry,
    ActivityFilter,
    activity_kinds,
    export_activity,
    kind_label,
    undo_blocker,
)
from mjdesk.core.clock import to_iso
from mjdesk.core.work import UserError
from mjdesk.ui.activity.model import ActivityModel
from mjdesk.ui.common import dialogs
from mjdesk.ui.common.errors import error_text
from mjdesk.ui.common.tasks import Pool

if TYPE_CHECKING:
    from PySide6.QtGui import QShowEvent

    from mjdesk.core.changes import Changes
    from mjdesk.core.undo import StepResult
    from mjdesk.core.work import CancelToken
    from mjdesk.ui.common.host import FeatureHost

SEARCH_DELAY_MS = 250

PERIODS: tuple[tuple[str, int | None], ...] = (
    ("Any time", None),
    ("Today", 0),
    ("Last 7 days", 7),
    ("Last 30 days", 30),
    ("Last 12 months", 365),
)
"""The period filter's choices: days back from today (UTC), None for no limit."""


def since_days(days: int | None, now: datetime | None = None) -> str | None:
    """The first moment of the period: midnight (UTC) ``days`` days before today."""
    if days is None:
        return None
    today = (
        (now or datetime.now(UTC))
        .astimezone(UTC)
        .replace(hour=0, minute=0, second=0, microsecond=0)
    )
    return to_iso(today - timedelta(days=days))


class ActivityPage(QWidget):
    """Filters above the journal's table; Export and Undo below it."""

    #: the selected entry was checked: whether it can be undone now (the button follows)
    undoChecked = Signal(bool)
    #: an export was written: (entries, file)
    exported = Signal(int, object)

    def __init__(self, host: FeatureHost, profile: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.profile = profile
        self.setObjectName("activityPage")
        self.setAccessibleName("Activity")
        self.model = ActivityModel(host.workspace.reading, host.runner, self)
        self.model.loaded.connect(self._loaded)
        self.model.failed.connect(self._failed)

        heading = QLabel(
            f"Everything done in the profile “{profile}”: imports, edits, bulk actions, "
            "exports and erasures, with who did it and when.",
            self,
        )
        heading.setWordWrap(True)
        heading.setAccessibleName("About the activity")

        self.kind = QComboBox(self)
        self.kind.setObjectName("activityKind")
        self.kind.setAccessibleName("Kind of activity")
        self.kind.addItem("All kinds", "")
        self.kind.currentIndexChanged.connect(self._apply_filter)
        self.period = QComboBox(self)
        self.period.setObjectName("activityPeriod")
        self.period.setAccessibleName("Period")
        for title, days in PERIODS:
            self.period.addItem(title, days)
        self.period.currentIndexChanged.connect(self._apply_filter)
        self.search = QLineEdit(self)
        self.search.setObjectName("activitySearch")
        self.search.setAccessibleName("Search the activity")
        self.search.setPlaceholderText("Search what was done and who did it")
        self.search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply_filter)
        self.search.textChanged.connect(self._search_timer.start)
        self.search.returnPressed.connect(self._apply_filter)
        bar = QHBoxLayout()
        bar.addWidget(self.kind)
        bar.addWidget(self.period)
        bar.addWidget(self.search, 1)

        self.table = QTableView(self)
        self.table.setObjectName("activityTable")
        self.table.setAccessibleName("Activity entries")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        rows = self.table.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # (no measuring of each row)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)  # What
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection())

        self.summary = QLabel(self)
        self.summary.setAccessibleName("Activity count")
        self.note = QLabel(self)
        self.note.setObjectName("activityNote")
        self.note.setAccessibleName("Whether the selected step can be undone")
        self.note.setWordWrap(True)
        self.export_button = QPushButton("&Export to CSV…", self)
        self.export_button.setObjectName("activityExport")
        self.export_button.setAccessibleName("Export the activity shown to a CSV file")
        self.export_button.clicked.connect(self.export)
        self.undo_button = QPushButton("&Undo this step", self)
        self.undo_button.setObjectName("activityUndo")
        self.undo_button.setAccessibleName("Undo the selected step")
        self.undo_button.setEnabled(False)
        self.undo_button.clicked.connect(self.undo_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.undo_button)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        layout.addLayout(buttons)

        self._stale = True
        self._busy = False
        self._selected_id: int | None = None
        self._check: CancelToken | None = None
        host.events.changed.connect(self._on_changes)

    # -- reading -------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

    def _on_changes(self, changes: Changes) -> None:
        if not changes.activity:
            return
        self._stale = True
        if self.isVisible():
            self.reload()

    def reload(self) -> None:
        """Read the kinds and the entries again, keeping the filter and the selection."""
        self._stale = False
        reading = self.host.workspace.reading

        def work(_cancel: CancelToken) -> list[str]:
            with reading() as con:
                return activity_kinds(con)

        self.host.runner.submit(work, self._show_kinds)
        self.model.set_filter(self.current_filter())

    def _show_kinds(self, kinds: list[str]) -> None:
        chosen = self.kind.currentData()
        self.kind.blockSignals(True)
        try:
            self.kind.clear()
            self.kind.addItem("All kinds", "")
            for kind in kinds:
                self.kind.addItem(kind_label(kind), kind)
            at = self.kind.findData(chosen)
            if at < 0 and chosen:  # a kind no entry has any more: still the user's choice
                self.kind.addItem(kind_label(chosen), chosen)
                at = self.kind.count() - 1
            self.kind.setCurrentIndex(max(at, 0))
        finally:
            self.kind.blockSignals(False)

    def current_filter(self) -> ActivityFilter:
        kind = self.kind.currentData() or ""
        return ActivityFilter(
            actions=(kind,) if kind else (),
            text=self.search.text().strip(),
            since=since_days(self.period.currentData()),
        )

    def _apply_filter(self) -> None:
        self._search_timer.stop()
        if self.current_filter() != self.model.filter or self._stale:
            self._stale = False
            self.model.set_filter(self.current_filter())

    def _loaded(self, total: int) -> None:
        where = self.model.filter
        filtered = bool(where.actions or where.text or where.since)
        entries = wording.count(total, "entry", "entries")
        if total == 0:
            self.summary.setText("Nothing matches." if filtered else "Nothing has been done yet.")
        else:
            self.summary.setText(f"{entries} match" if filtered else f"{entries}, newest first")
        row = None if self._selected_id is None else self.model.row_of(self._selected_id)
        if row is None and self.model.rowCount():
            row = 0
        if row is not None:
            self.table.selectRow(row)
        self._selection()

    def _failed(self, message: str) -> None:
        self.summary.setText(message)

    # -- undo ----------------------------------------------------------------------------

    def selected(self) -> ActivityEntry | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.entry(rows[0].row()) if rows else None

    def _selection(self) -> None:
        """Ask the workspace whether the selected step can be undone now; the button is on
        only when it can, and the note says why not."""
        entry = self.selected()
        self._selected_id = None if entry is None else entry.id
        self.undo_button.setEnabled(False)
        if self._check is not None:
            self._check.cancel()
            self._check = None
        if entry is None:
            self.note.clear()
            return
        reading, ident = self.host.workspace.reading, entry.id

        def work(_cancel: CancelToken) -> str | None:
            with reading() as con:
                return undo_blocker(con, ident)

        def done(blocker: str | None) -> None:
            if self._selected_id != ident:
                return
            self._check = None
            possible = blocker is None and not self._busy
            self.undo_button.setEnabled(possible)
            self.note.setText("This step can be undone." if blocker is None else blocker)
            self.undoChecked.emit(possible)

        self._check = self.host.runner.submit(work, done, lambda exc: self.note.setText(str(exc)))

    def undo_selected(self) -> None:
        """Ask, then undo the selected step in the background; a refusal is explained."""
        from mjdesk.core.undo import undo_step

        entry = self.selected()
        if entry is None or self._busy:
            return
        if not dialogs.ask_confirm(
            self.host.window,
            "Undo",
            f"Undo “{entry.summary}”? The contacts it added are removed and the ones it "
            "changed go back to how they were, with their consent records.",
            "Undo",
        ):
            return
        self._busy = True
        self.undo_button.setEnabled(False)
        workspace, ident = self.host.workspace, entry.id

        def work(_cancel: CancelToken) -> StepResult:
            return undo_step(workspace, ident)

        def done(result: StepResult) -> None:
            self._busy = False
            self.host.events.say(result.message)
            self.host.events.announce(result.changes)

        def failed(exc: Exception) -> None:
            self._busy = False
            dialogs.tell_problem(self.host.window, "Undo", error_text(exc))
            self._selection()

        self.host.runner.submit(work, done, failed, pool=Pool.WRITE)

    # -- export --------------------------------------------------------------------------

    def export(self) -> None:
        """Write the entries the filter shows (all of them, not only those read) to CSV."""
        target = dialogs.ask_save_file(
            self.host.window,
            "Export activity",
            f"activity-{datetime.now(UTC):%Y-%m-%d}.csv",
            "CSV files (*.csv)",
            settings=self.host.settings,
            kind="exports",
        )
        if target is None:
            return
        if target.suffix.lower() != ".csv":
            target = target.with_name(target.name + ".csv")
        where, profile, workspace = self.model.filter, self.profile, self.host.workspace
        self.export_button.setEnabled(False)

        def work(_cancel: CancelToken) -> int:
            with workspace.reading() as con:
                return export_activity(
                    con, where, target, profile=profile, workspace=workspace.path
                )

        def done(count: int) -> None:
            self.export_button.setEnabled(True)
            self.host.events.say(
                f"Exported {wording.count(count, 'activity entry', 'activity entries')} "
                f"to {target.name}."
            )
            self.exported.emit(count, target)

        def failed(exc: Exception) -> None:
            self.export_button.setEnabled(True)
            text = (
                exc.user_message
                if isinstance(exc, UserError)
                else f"{target.name} could not be written ({exc}). Choose another folder or name."
            )
            dialogs.tell_problem(self.host.window, "Export activity", text)

        self.host.runner.submit(work, done, failed)
