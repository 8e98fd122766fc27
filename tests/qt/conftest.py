"""Qt test fixtures: a main window on a temp workspace; no thread may outlive a test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool
from pytestqt.qtbot import QtBot

from mjdesk.core.paths import AppPaths
from mjdesk.core.settings import Settings
from mjdesk.core.workspace import Workspace
from mjdesk.mailjet.accounts import Accounts
from mjdesk.ui.shell.main_window import MainWindow

from support.generate import generate

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
    yield
    pool = QThreadPool.globalInstance()
    assert pool.waitForDone(5_000), "a test left work running on the global thread pool"


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
