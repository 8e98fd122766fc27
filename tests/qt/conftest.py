"""Qt test fixtures: a main window on a temp workspace; no thread may outlive a test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from mjdesk.core.paths import AppPaths
from mjdesk.core.settings import Settings
from mjdesk.core.workspace import Workspace
from mjdesk.mailjet.accounts import Accounts
from mjdesk.ui.shell.main_window import MainWindow

from support.generate import generate
from support.qt_threads import dangling_threads, stop_dangling_threads

Samples = Callable[[int], Path]


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    """``samples(n)``: a generated workspace of n contacts, made once per session (copy it)."""
    made: dict[int, Path] = {}

    def sample(count: int) -> Path:
        if count not in made:
            made[count] = generate(tmp_path_factory.mktemp("samples") / f"{count}.sqlite3", count)
        return made[count]

    return sample


@pytest.fixture(autouse=True)
def _no_dangling_threads() -> Iterator[None]:
    """After each test no TaskRunner (nor Qt's global pool) may have a thread still at work,
    after a short grace: the test fails naming them, and they are stopped for the next one."""
    yield
    left = dangling_threads()
    if left:
        stop_dangling_threads()
        pytest.fail("the test left work running: " + "; ".join(left), pytrace=False)


@pytest.fixture
def open_window(qtbot: QtBot, app_paths: AppPaths) -> Iterator[object]:
    """Call with a workspace path (or None for an empty one); returns a shown MainWindow."""
    opened: list[tuple[MainWindow, Workspace]] = []

    def make(
        source: Path | None = None, profile: str = "Test", accounts: Accounts | None = None
    ) -> MainWindow:
        target = app_paths.workspace_file(profile)
        if source is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
        workspace = Workspace.open(target)
        settings = Settings.load(app_paths.settings_file)
        window = MainWindow(workspace, app_paths, settings, profile, accounts=accounts)
        qtbot.addWidget(window)
        with qtbot.waitSignal(window.ready, timeout=10_000):
            window.show()
        opened.append((window, workspace))
        return window

    yield make
    for window, workspace in opened:
        window.close()
        assert not window.runner.busy
        workspace.close()
