"""A log file mjdesk cannot write is said once in the window's status bar, not a crash."""

from __future__ import annotations

import argparse

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from mjdesk.core.paths import AppPaths
from mjdesk.ui.shell.main_window import MainWindow


# run_gui sets the rounding policy for a QApplication it would create; here pytest-qt's exists.
@pytest.mark.qt_log_ignore("setHighDpiScaleFactorRoundingPolicy must be called before")
def test_the_window_says_it_works_without_its_log(qapp: QApplication, app_paths: AppPaths) -> None:
    from mjdesk.app import build_parser, run_gui

    app = qapp
    args: argparse.Namespace = build_parser().parse_args([])
    notice = "The log file /x/mjdesk.log cannot be written (Read-only); mjdesk works without it."
    seen: list[str] = []

    def look() -> None:
        shown = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if shown and not seen:
            seen.append(shown[0].statusBar().currentMessage())
            shown[0].close()

    driver = QTimer()
    driver.timeout.connect(look)
    driver.start(50)
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(app.quit)
    guard.start(30_000)
    try:
        assert run_gui(args, app_paths, notice) == 0
    finally:
        driver.stop()
        guard.stop()
    assert seen == [notice]
