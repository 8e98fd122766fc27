"""Work left running after a Qt test: the app's background work runs on the thread pools of its
TaskRunners (mjdesk.ui.common.tasks), never on Qt's global pool; both are watched."""

from __future__ import annotations

import time

import shiboken6
from PySide6.QtCore import QThreadPool

from mjdesk.ui.common.tasks import TaskRunner, live_runners


def _busy_runners() -> list[TaskRunner]:
    # A runner whose Qt object is deleted has no threads left: its pools waited when destroyed.
    return [runner for runner in live_runners() if shiboken6.isValid(runner) and runner.busy]


def _describe(runner: TaskRunner) -> str:
    parent = runner.parent()
    owner = f"of {type(parent).__name__}" if parent is not None else "without a parent"
    name = f" {runner.objectName()!r}" if runner.objectName() else ""
    counts = ", ".join(
        f"{pool.value} {count}" for pool, count in runner.active_threads().items() if count
    )
    return f"TaskRunner{name} {owner} ({counts} thread(s) at work)"


def dangling_threads(grace_s: float = 2.0) -> list[str]:
    """One line for each TaskRunner (and for the global pool) with a thread still at work after
    up to ``grace_s`` seconds; empty when all is quiet. Processes no Qt events while waiting."""
    deadline = time.monotonic() + grace_s
    while True:
        busy = _busy_runners()
        global_count = QThreadPool.globalInstance().activeThreadCount()
        if (not busy and not global_count) or time.monotonic() >= deadline:
            break
        time.sleep(0.01)
    found = [_describe(runner) for runner in busy]
    if global_count:
        found.append(f"Qt's global thread pool ({global_count} thread(s) at work)")
    return found


def stop_dangling_threads(timeout_ms: int = 10_000) -> None:
    """Cancel what every runner still has at work and wait for it, so the next test starts
    clean (a task that ignores its cancel token may still outlast this)."""
    for runner in _busy_runners():
        runner.shutdown(timeout_ms)
    QThreadPool.globalInstance().waitForDone(timeout_ms)
