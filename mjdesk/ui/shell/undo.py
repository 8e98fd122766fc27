"""Edit › Undo and Edit › Redo: a `QUndoStack` that mirrors the workspace's own history.

The workspace is the truth (`mjdesk.core.history`): the stack is rebuilt from it when the
window opens (so undo survives a restart) and after every step, by anyone. Pressing Undo or
Redo moves the stack at once and asks the core to undo or redo that step in the background;
if the core refuses (later work depends on the step), the user is told why and the stack is
rebuilt from the workspace, so it never shows a state the workspace is not in.

A text field keeps Ctrl+Z for its own typing: Qt gives the shortcut to the focused field
first, and these actions take it everywhere else.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QKeySequence, QUndoCommand, QUndoStack

from mjdesk.core.history import Step, last_new_work, redo_stack, steps
from mjdesk.ui.common import dialogs
from mjdesk.ui.common.tasks import Pool

if TYPE_CHECKING:
    from collections.abc import Callable

    from mjdesk.core.changes import Changes
    from mjdesk.core.undo import StepResult
    from mjdesk.core.work import CancelToken
    from mjdesk.ui.common.host import FeatureHost

log = logging.getLogger(__name__)


def step_title(step: Step) -> str:
    """'Import of people.csv' for the menu: the summary without its counts."""
    return step.summary.split(":", 1)[0]


class _Mirrored(QUndoCommand):
    """One step of the workspace history; undoing or redoing it asks the core to."""

    def __init__(self, history: UndoHistory, step: Step) -> None:
        super().__init__(step_title(step))
        self.history = history
        self.step = step

    def undo(self) -> None:
        if not self.history.mirroring:
            self.history.undo(self.step)

    def redo(self) -> None:
        if not self.history.mirroring:
            self.history.redo(self.step)


class UndoHistory(QObject):
    """The window's undo stack over the workspace history."""

    #: the stack was rebuilt from the workspace
    reloaded = Signal()

    def __init__(self, host: FeatureHost) -> None:
        super().__init__(host.window)
        self.window = host.window
        self.workspace, self.runner, self.events = host.workspace, host.runner, host.events
        events = host.events
        self.mirroring = False
        self.busy = False
        self.stack = QUndoStack(self)
        self.undo_action = self.stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.setStatusTip("Undo the last change to your contacts")
        self.redo_action = self.stack.createRedoAction(self, "&Redo")
        keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Redo)
        if QKeySequence("Ctrl+Shift+Z") not in keys:  # as every platform's users know it
            keys.append(QKeySequence("Ctrl+Shift+Z"))
        self.redo_action.setShortcuts(keys)
        self.redo_action.setStatusTip("Do again what was just undone")
        events.changed.connect(self._on_changes)

    def _on_changes(self, changes: Changes) -> None:
        if changes.activity:
            self.reload()

    def reload(self) -> None:
        """Read the history again (off the GUI thread) and mirror it."""
        reading = self.workspace.reading

        def work(_token: object) -> tuple[list[Step], int]:
            with reading() as con:
                return redo_stack(steps(con), last_new_work(con))

        self.runner.submit(work, self._mirror, lambda exc: log.warning("History: %s", exc))

    def _mirror(self, found: tuple[list[Step], int]) -> None:
        listed, done = found
        self.mirroring = True
        try:
            self.stack.clear()
            for step in listed:
                self.stack.push(_Mirrored(self, step))
            self.stack.setIndex(done)
            self.stack.setClean()
        finally:
            self.mirroring = False
        self.reloaded.emit()

    def undo(self, step: Step) -> None:
        """Ask, then undo ``step`` in the background."""
        from mjdesk.core.undo import undo_step

        if self.busy or not dialogs.ask_confirm(
            self.window,
            "Undo",
            f"Undo “{step_title(step)}”? Everything it changed goes back to how it was "
            "before, contacts, lists and consent records alike. Redo (Ctrl+Shift+Z) puts "
            "it back.",
            "Undo",
        ):
            self.reload()  # the stack moved; the workspace did not
            return
        workspace, ident = self.workspace, step.activity_id
        self._run(lambda _t: undo_step(workspace, ident), "Undo")

    def redo(self, step: Step) -> None:
        """Redo ``step`` in the background (no question: it puts back what was there)."""
        from mjdesk.core.undo import redo_step

        if self.busy:
            self.reload()
            return
        workspace, ident = self.workspace, step.activity_id
        self._run(lambda _t: redo_step(workspace, ident), "Redo")

    def _run(self, work: Callable[[CancelToken], StepResult], title: str) -> None:
        self.busy = True
        self.undo_action.setEnabled(False)
        self.redo_action.setEnabled(False)

        def done(result: StepResult) -> None:
            self.busy = False
            self.events.say(result.message)
            self.events.announce(result.changes)

        def failed(exc: Exception) -> None:
            from mjdesk.ui.common.errors import error_text

            self.busy = False
            dialogs.tell_problem(self.window, title, error_text(exc))
            self.reload()

        self.runner.submit(work, done, failed, pool=Pool.WRITE)
