"""What the pages of the import wizard need of the wizard that holds them.

The pages are built by the wizard and know it only through `WizardHost`, so neither imports
the other in a circle.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from mjdesk.core.importing.session import ImportSession
    from mjdesk.core.importing.table import Table
    from mjdesk.core.settings import Settings
    from mjdesk.core.workspace import Workspace
    from mjdesk.ui.common.progress import JobStrip
    from mjdesk.ui.common.tasks import TaskRunner

FILE_PAGE, MAPPING_PAGE, CONSENT_PAGE, REVIEW_PAGE, DONE_PAGE = range(5)


class WizardHost(Protocol):
    """The import wizard, as its pages see it."""

    workspace: Workspace
    runner: TaskRunner
    session: ImportSession
    settings: Settings

    def take_table(self, path: Path, sheet: str | None, table: Table) -> None:
        """A file was read: start the session again from it."""

    def start_commit(self, strip: JobStrip, show_message: Callable[[str], None]) -> None:
        """Carry out the session's dry run, with progress on ``strip``."""

    def next(self) -> None:
        """Go to the next page."""
