"""The app's own loop (`run_gui`): a mail previewed in one profile's window, then in the next
profile's window after a switch (QtWebEngine must survive the first window), then closed."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from mjdesk.app import build_parser, run_gui
from mjdesk.core.paths import AppPaths
from mjdesk.ui.shell.main_window import MainWindow


def test_a_preview_works_again_after_switching_profiles(
    qtbot: QtBot, app_paths: AppPaths, tmp_path: Path
) -> None:
    mail = tmp_path / "letter.html"
    mail.write_text('<title>Letter</title><p>Dear [[data:firstname:"all"]]</p>', encoding="utf-8")
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    seen: list[str] = []

    def drive() -> None:
        shown = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if len(shown) != 1 or not hasattr(shown[0], "preview_page"):
            return
        window = shown[0]
        page = window.preview_page
        if window.profile in seen:
            return
        seen.append(window.profile)
        window.nav.setCurrentRow(window.pages.indexOf(page))
        if len(seen) == 1:
            page.previewShown.connect(lambda _t: window.switchProfileRequested.emit("Second"))
        else:

            def shown_again(title: str) -> None:
                seen.append(title)
                window.close()

            page.previewShown.connect(shown_again)
        page.open_file(mail)

    driver = QTimer()
    driver.timeout.connect(drive)
    driver.start(50)
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(app.quit)
    guard.start(60_000)
    try:
        assert run_gui(build_parser().parse_args([]), app_paths) == 0
    finally:
        driver.stop()
        guard.stop()
    assert seen == ["Default", "Second", "letter.html"]
