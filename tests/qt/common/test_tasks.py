"""Background tasks: results and errors come back on the GUI thread; logs stay readable."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from mjdesk.core.work import CancelToken, UserError
from mjdesk.ui.common.tasks import Pool, TaskRunner, live_runners

from support.qt_threads import dangling_threads


class _Refused(UserError):
    """An expected refusal: logged in one line, no traceback."""


def test_results_and_errors_arrive_on_the_gui_thread(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    runner = TaskRunner()
    seen: list[tuple[str, object, bool]] = []
    gui = threading.current_thread()

    def ok(_cancel: CancelToken) -> int:
        return 42

    def refused(_cancel: CancelToken) -> int:
        raise _Refused("empty.csv is empty")

    def broken(_cancel: CancelToken) -> int:
        raise RuntimeError("bug")

    for work in (ok, refused, broken):
        runner.submit(
            work,
            lambda value: seen.append(("done", value, threading.current_thread() is gui)),
            lambda exc: seen.append(("failed", type(exc), threading.current_thread() is gui)),
        )
    qtbot.waitUntil(lambda: len(seen) == 3, timeout=5_000)
    assert runner.shutdown()
    assert sorted(seen, key=str) == sorted(
        [("done", 42, True), ("failed", _Refused, True), ("failed", RuntimeError, True)], key=str
    )
    records = {r.getMessage(): r for r in caplog.records if r.name == "mjdesk.ui.common.tasks"}
    expected = records["Background task stopped: empty.csv is empty"]
    assert expected.levelno == logging.WARNING
    assert expected.exc_info is None  # an expected refusal: one line, no traceback
    assert records["Background task failed"].exc_info is not None


def test_shutdown_cancels_running_work_and_waits_for_it(qtbot: QtBot) -> None:
    runner = TaskRunner()
    started = threading.Event()
    seen: list[object] = []

    def slow(cancel: CancelToken) -> str:
        started.set()
        while not cancel.cancelled:  # long work checks its token between chunks
            time.sleep(0.005)
        cancel.check()
        return "finished"

    runner.submit(slow, seen.append)
    assert started.wait(5)
    assert runner.shutdown(timeout_ms=5_000)
    assert not runner.busy
    qtbot.wait(50)
    assert seen == []  # it stopped instead of reporting a result


def test_a_cancelled_task_ends_through_on_cancelled(qtbot: QtBot) -> None:
    """The token `submit` returns stops the task at its next check, and exactly one
    callback follows: on_cancelled (also for a task cancelled before it started)."""
    runner = TaskRunner()
    gate = threading.Event()
    seen: list[str] = []

    def waits(cancel: CancelToken) -> str:
        while not gate.is_set():
            cancel.check()
            time.sleep(0.005)
        return "done"

    def submit(name: str) -> CancelToken:
        return runner.submit(
            waits,
            lambda _v: seen.append(f"{name} done"),
            lambda _e: seen.append(f"{name} failed"),
            pool=Pool.WRITE,
            on_cancelled=lambda: seen.append(f"{name} cancelled"),
        )

    first = submit("running")
    queued = submit("queued")
    queued.cancel()  # before it could start: the one write thread is busy
    first.cancel()
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=5_000)
    gate.set()
    assert runner.shutdown()
    assert sorted(seen) == ["queued cancelled", "running cancelled"]


def test_the_thread_check_names_a_runner_left_at_work(qtbot: QtBot) -> None:
    """What tests/qt/conftest.py runs after every Qt test: it finds a task still running on a
    runner's own pool (not Qt's global one) and says whose it is."""
    owner = QObject()
    runner = TaskRunner(owner)
    runner.setObjectName("leaky")
    started, release = threading.Event(), threading.Event()

    def stuck(_cancel: CancelToken) -> None:
        started.set()
        release.wait(10)

    runner.submit(stuck, lambda _value: None, pool=Pool.WRITE)
    assert started.wait(5)
    try:
        assert runner in live_runners()
        left = dangling_threads(grace_s=0.05)
        assert left == ["TaskRunner 'leaky' of QObject (write 1 thread(s) at work)"]
    finally:
        release.set()
    qtbot.waitUntil(lambda: not runner.busy, timeout=5_000)
    assert dangling_threads(grace_s=0) == []
