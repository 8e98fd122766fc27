"""Opening a workspace that this version of mjdesk upgrades first, with a window saying so.

An upgrade backs the file up and may make a table again: on a workspace of a million
contacts that takes half a minute, and there is no main window yet. The upgrade runs on a
thread of its own while a small window (shown only if it lasts) says what is happening,
so the app is seen to start and the desktop never reports it as not responding. It has no
Cancel: each step is one transaction, and the next start would only have to do it again.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from mjdesk import __version__
from mjdesk.core.schema import LATEST_VERSION
from mjdesk.core.workspace import Workspace, inspect_version

#: how long an upgrade runs before its window shows (most take less)
SHOW_AFTER_MS = 400


def needs_upgrade(path: Path) -> bool:
    """Whether opening ``path`` upgrades an existing workspace (a new one, an unreadable one
    or one from a newer mjdesk is left to `Workspace.open` to create or refuse)."""
    try:
        return path.exists() and 0 < inspect_version(path) < LATEST_VERSION
    except Exception:  # noqa: BLE001 - Workspace.open explains what is wrong with the file
        return False


class _Finished(QObject):
    finished = Signal()


def open_workspace(
    path: Path, parent: QWidget | None = None, *, show_after_ms: int = SHOW_AFTER_MS
) -> Workspace:
    """`Workspace.open` of ``path``; an upgrade runs off the GUI thread with a window.

    Raises what `Workspace.open` raises (a `WorkspaceError` says why to the user).
    """
    if not needs_upgrade(path):
        return Workspace.open(path)
    # Not at the top: every start passes here, and the Qt namespace costs ~20 ms to build
    # (mjdesk.ui.common.qt_numbers); only an upgrade, once, pays it.
    from PySide6.QtCore import Qt

    opened: list[Workspace] = []
    failed: list[BaseException] = []
    signal = _Finished()
    loop = QEventLoop()
    signal.finished.connect(loop.quit, Qt.ConnectionType.QueuedConnection)

    def work() -> None:
        try:
            opened.append(Workspace.open(path))
        except BaseException as exc:  # noqa: BLE001 - raised again on the GUI thread
            failed.append(exc)
        finally:
            signal.finished.emit()

    dialog = QProgressDialog(
        f"Updating your workspace for mjdesk {__version__}…\n"
        "A backup copy is kept beside the workspace file. This happens once.",
        "",
        0,
        0,
        parent,
    )
    dialog.setWindowTitle("mjdesk")
    dialog.setAccessibleName("Updating the workspace")
    dialog.setCancelButton(None)  # no Cancel (see the module notes)
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setMinimumDuration(show_after_ms)
    dialog.setValue(0)  # starts the timer that shows it
    thread = threading.Thread(target=work, name="workspace-upgrade")
    thread.start()
    try:
        loop.exec()
    finally:
        thread.join()
        dialog.close()
        dialog.deleteLater()
    if failed:
        raise failed[0]
    return opened[0]
