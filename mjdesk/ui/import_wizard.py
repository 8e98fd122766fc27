"""The import wizard: file and sheet, columns, consent, the dry run, done.

Reading, checking and committing run on the task pools (see `import_jobs`); each page shows
their progress with a Stop button, and the window stays usable. Nothing is written to the
workspace before the user presses Import on the review page, and that write is one
transaction: stopping it leaves the workspace as it was.

Modal questions go through the small ``ask_*`` functions below, so tests replace them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget, QWizard

from mjdesk.core.importing import (
    ColumnMapping,
    ConsentSpec,
    Plan,
    Role,
    Table,
    guess_mapping,
    mapping_signature,
)
from mjdesk.core.importing.commit import CommitError, ImportResult, StalePlanError
from mjdesk.core.settings import Settings
from mjdesk.core.workspace import Workspace
from mjdesk.ui.import_consent_page import ConsentPage
from mjdesk.ui.import_done_page import DonePage
from mjdesk.ui.import_file_page import FilePage, error_text
from mjdesk.ui.import_jobs import CheckRequest, commit_rows
from mjdesk.ui.import_mapping_page import MappingPage
from mjdesk.ui.import_progress import JobStrip
from mjdesk.ui.import_review_page import ReviewPage
from mjdesk.ui.import_store import remember_mapping, remembered_mappings
from mjdesk.ui.tasks import Pool, TaskRunner

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent

FILE_PAGE, MAPPING_PAGE, CONSENT_PAGE, REVIEW_PAGE, DONE_PAGE = range(5)


# -- questions the user answers in a modal dialog (replaced in tests) ------------------


def ask_open_file(parent: QWidget, title: str, filters: str) -> Path | None:
    """The file the user picks, or None."""
    name, _ = QFileDialog.getOpenFileName(parent, title, "", filters)
    return Path(name) if name else None


def ask_save_file(parent: QWidget, title: str, suggested: str, filters: str) -> Path | None:
    """Where the user wants a file saved, or None."""
    name, _ = QFileDialog.getSaveFileName(parent, title, suggested, filters)
    return Path(name) if name else None


def ask_confirm(parent: QWidget, title: str, text: str, action: str) -> bool:
    """Whether the user confirms ``action`` (the default button is Cancel)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    confirm = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is confirm


def ask_text(parent: QWidget, title: str, label: str, text: str) -> str | None:
    """A line of text from the user, or None when cancelled."""
    value, ok = QInputDialog.getText(parent, title, label, text=text)
    return value if ok else None


def tell_problem(parent: QWidget, title: str, text: str) -> None:
    """Show a problem the user has to know about."""
    QMessageBox.warning(parent, title, text)


# -- the wizard ------------------------------------------------------------------------


@dataclass
class ImportState:
    """What the wizard has found and been told so far."""

    path: Path | None = None
    sheet: str | None = None
    table: Table | None = None
    read_key: tuple[Path, str | None] | None = None
    mapping: ColumnMapping | None = None
    mapping_remembered: bool = False
    spec: ConsentSpec | None = None
    address_edits: dict[int, str] = field(default_factory=dict)
    dismissed: set[int] = field(default_factory=set)
    confirmed_erased: set[int] = field(default_factory=set)
    plan: Plan | None = None
    checked_with: tuple[ColumnMapping, ConsentSpec] | None = None
    result: ImportResult | None = None


class ImportWizard(QWizard):
    """Five steps from a spreadsheet to consented contacts, with a dry run before any change."""

    #: an import was committed (the contacts page and Edit › Undo Import follow)
    committed = Signal(object)
    #: the user asked to undo the import with this batch id (from the last page)
    undoRequested = Signal(int)

    def __init__(
        self,
        workspace: Workspace,
        runner: TaskRunner,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        settings_path: Path | None = None,
        org_domains: tuple[str, ...] = (),
    ) -> None:
        super().__init__(parent)
        self.setObjectName("importWizard")
        self.setWindowTitle("Import a spreadsheet")
        self.setAccessibleName("Import a spreadsheet")
        self.workspace = workspace
        self.runner = runner
        self.settings = settings
        self.settings_path = settings_path
        self.org_domains = org_domains
        self.state = ImportState()
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoDefaultButton, False)
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Close")
        self.file_page = FilePage(self)
        self.mapping_page = MappingPage(self)
        self.consent_page = ConsentPage(self)
        self.review_page = ReviewPage(self)
        self.done_page = DonePage(self)
        for number, page in enumerate(
            (self.file_page, self.mapping_page, self.consent_page, self.review_page, self.done_page)
        ):
            self.setPage(number, page)
        self.setStartId(FILE_PAGE)
        self.resize(QSize(1060, 700))

    # -- the steps hand their results over --------------------------------------------

    def open_file(self, path: Path) -> None:
        """Start with ``path`` (a dropped file): list its sheets on the first page."""
        if self.currentId() not in (FILE_PAGE, -1):
            return
        self.file_page.set_path(path)

    def take_table(self, path: Path, sheet: str | None, table: Table) -> None:
        remembered = remembered_mappings(self.settings)
        self.state = ImportState(
            path=path,
            sheet=sheet,
            table=table,
            read_key=(path, sheet),
            mapping=guess_mapping(table, remembered=remembered),
            mapping_remembered=mapping_signature(table.headers) in remembered,
        )

    def take_mapping(self, mapping: ColumnMapping) -> None:
        state = self.state
        if mapping != state.mapping:
            state.mapping = mapping
            state.plan = state.checked_with = None

    def check_request(self, mapping: ColumnMapping, spec: ConsentSpec) -> CheckRequest:
        state = self.state
        assert state.table is not None
        email = mapping.header_for(Role.EMAIL)
        assert email is not None
        return CheckRequest(
            table=state.table,
            mapping=mapping,
            spec=spec,
            org_domains=self.org_domains,
            edits={(i, email): text for i, text in state.address_edits.items()},
            confirmed_erased=frozenset(state.confirmed_erased),
            dismissed_suggestions=frozenset(state.dismissed),
        )

    def take_plan(self, plan: Plan, spec: ConsentSpec) -> None:
        state = self.state
        state.mapping = plan.cleaned.mapping
        state.spec = spec
        state.plan = plan
        state.checked_with = (plan.cleaned.mapping, spec)

    def edit_addresses(self, edits: dict[int, str]) -> None:
        self.state.address_edits.update(edits)
        self.state.dismissed.difference_update(edits)

    def dismiss_suggestions(self, indexes: list[int]) -> None:
        self.state.dismissed.update(indexes)

    def confirm_erased(self, indexes: list[int]) -> None:
        """The user confirmed a new, dated consent for these erased people."""
        self.state.confirmed_erased.update(indexes)

    # -- committing ---------------------------------------------------------------------

    @property
    def can_commit(self) -> bool:
        return self.state.result is None

    def start_commit(self, strip: JobStrip, show_message: Callable[[str], None]) -> None:
        plan = self.state.plan
        assert plan is not None
        workspace = self.workspace
        show_message("")
        strip.run(
            lambda progress, cancel: commit_rows(workspace, plan, progress, cancel),
            self._on_committed,
            lambda exc: self._on_commit_failed(exc, show_message),
            pool=Pool.WRITE,
            phase="Importing…",
        )

    def _on_committed(self, result: ImportResult) -> None:
        state = self.state
        state.result = result
        if state.table is not None and state.mapping is not None:
            remember_mapping(self.settings, state.table, state.mapping)
            if self.settings_path is not None:
                # If this fails it is remembered for this run, and saved again on closing.
                with contextlib.suppress(OSError):
                    self.settings.save(self.settings_path)
        self.committed.emit(result)
        self.next()

    def _on_commit_failed(self, exc: Exception, show_message: Callable[[str], None]) -> None:
        if isinstance(exc, StalePlanError):
            show_message(exc.user_message + " Checking again now…")
            self.review_page.recheck()
        elif isinstance(exc, CommitError):
            show_message(exc.user_message + " Nothing was imported.")
        else:
            show_message(error_text(exc, self.state.path) + " Nothing was imported.")

    # -- closing ------------------------------------------------------------------------

    def strips(self) -> list[JobStrip]:
        pages = (self.file_page, self.consent_page, self.review_page, self.done_page)
        return [page.strip for page in pages]

    @property
    def busy(self) -> bool:
        return any(strip.busy for strip in self.strips())

    def reject(self) -> None:
        """Cancel (Esc) stops the running step first; pressed again, it closes."""
        running = [strip for strip in self.strips() if strip.busy]
        if running:
            for strip in running:
                strip.cancel()
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        for strip in self.strips():
            strip.cancel()
        super().closeEvent(event)
