"""What the shell hands every feature of the window, in one value."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtWidgets import QWidget

from mjdesk.core.settings import Settings
from mjdesk.core.workspace import Workspace
from mjdesk.ui.common.changes import WorkspaceEvents
from mjdesk.ui.common.tasks import TaskRunner

if TYPE_CHECKING:
    from mjdesk.mailjet.client import MailjetClient

log = logging.getLogger(__name__)


class FeatureHost(NamedTuple):
    """The window to parent dialogs on, the workspace, the task runner, the user's settings
    (and where they are saved), and the change broadcast. A feature needs nothing else of
    the shell, so it never reaches into the window's widgets."""

    window: QWidget
    workspace: Workspace
    runner: TaskRunner
    settings: Settings
    settings_file: Path
    events: WorkspaceEvents
    client_for: Callable[[], MailjetClient | None] | None = None
    """Makes a Mailjet client for the profile's account (in the background: it reads the
    keyring), None without one; None here when the window has no accounts at all."""

    def save_settings(self) -> bool:
        """Write the settings now; False (and kept for this run, saved again when the window
        closes) when the file cannot be written."""
        try:
            self.settings.save(self.settings_file)
        except OSError as exc:
            log.warning("Could not save settings: %s", exc)
            return False
        return True
