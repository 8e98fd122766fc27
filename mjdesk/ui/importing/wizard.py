"""The import wizard: file and sheet, columns, consent, the dry run, done.

Reading, checking and committing run on the task pools (the steps of
`mjdesk.core.importing.session`); each page shows their progress with a Stop button, and the
window stays usable. Nothing is written to the
workspace before the user presses Import on the review page, and that write is one
transaction: stopping it leaves the workspace as it was.

What the user has chosen so far is an `ImportSession` (core); the pages read it and hand
their results over to it. Modal questions go through `mjdesk.ui.common.dialogs`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import QWidget, QWizard

from mjdesk.core.importing.commit import ImportResult
from mjdesk.core.importing.errors import CommitError, StalePlanError
from mjdesk.core.importing.remembered import remember_mapping, remembered_mappings
from mjdesk.core.importing.session import ImportSession, commit_rows
from mjdesk.core.importing.table import Table
from mjdesk.core.settings import Settings
from mjdesk.core.workspace import Workspace
from mjdesk.ui.common import dialogs
from mjdesk.ui.common.errors import error_text
from mjdesk.ui.common.progress import JobStrip
from mjdesk.ui.common.tasks import Pool, TaskRunner
from mjdesk.ui.importing.pages.consent import ConsentPage
from mjdesk.ui.importing.pages.done import DonePage
from mjdesk.ui.importing.pages.file import FilePage
from mjdesk.ui.importing.pages.host import (
    CONSENT_PAGE,
    DONE_PAGE,
    FILE_PAGE,
    MAPPING_PAGE,
    REVIEW_PAGE,
)
from mjdesk.ui.importing.pages.mapping import MappingPage
from mjdesk.ui.importing.pages.review import ReviewPage

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent

__all__ = ["CONSENT_PAGE", "DONE_PAGE", "FILE_PAGE", "MAPPING_PAGE", "REVIEW_PAGE", "ImportWizard"]


class ImportWizard(QWizard):
    """Five steps from a spreadsheet to consented contacts, with a dry run before any change."""

    #: an import was committed (the pages and Edit › Undo follow, through the broadcast)
    committed = Signal(object)
    #: the user asked to undo the import with this batch id (from the last page)
    undoRequested = Signal(int)
    #: the imported people were put on a list: (its Changes, the sentence saying so)
    listed = Signal(object, str)

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
        self.session = ImportSession(org_domains=org_domains)
        self._closing = False
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
        self.done_page.undoRequested.connect(self.undoRequested)
        self.done_page.listed.connect(self.listed)
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
        """The first page read a file: the session starts again from it."""
        remembered = remembered_mappings(self.settings)
        self.session = self.session.with_table(path, sheet, table, remembered)

    # -- committing ---------------------------------------------------------------------

    def start_commit(self, strip: JobStrip, show_message: Callable[[str], None]) -> None:
        plan = self.session.plan
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
        session = self.session
        session.result = result
        if session.table is not None and session.mapping is not None:
            remember_mapping(self.settings, session.table, session.mapping)
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
            show_message(error_text(exc, self.session.path) + " Nothing was imported.")

    # -- closing ------------------------------------------------------------------------

    def strips(self) -> list[JobStrip]:
        pages = (self.file_page, self.consent_page, self.review_page, self.done_page)
        return [page.strip for page in pages]

    @property
    def busy(self) -> bool:
        return any(strip.busy for strip in self.strips())

    @property
    def work_to_lose(self) -> bool:
        """A file was read and looked at, and nothing is imported yet: closing loses the
        user's choices (columns, consent, fixed addresses)."""
        session = self.session
        return (
            session.table is not None
            and session.result is None
            and (self.currentId() not in (FILE_PAGE, -1))
        )

    def reject(self) -> None:
        """Cancel (Esc) stops the running step first; pressed again, it closes, after asking
        when there is work to lose."""
        running = [strip for strip in self.strips() if strip.busy]
        if running:
            for strip in running:
                strip.cancel()
            return
        if self.work_to_lose and not self._closing:
            name = self.session.path.name if self.session.path else "this file"
            if not dialogs.ask_confirm(
                self,
                "Close the import",
                f"Close the import of {name}? The columns, consent settings and fixes you "
                "chose are lost. Nothing has been imported.",
                "Discard and close",
            ):
                return
        super().reject()

    def close_without_asking(self) -> None:
        """Close (the main window is closing): whatever is running stops."""
        self._closing = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        for strip in self.strips():
            strip.cancel()
        super().closeEvent(event)
