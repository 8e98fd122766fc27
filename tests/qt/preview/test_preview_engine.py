"""The preview engine on its own: a snapshot is the painted mail at the asked width, dark
mode switches the mail's own dark styles on, and QtWebEngine is not loaded with the window."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from mjdesk.core.preview.preflight import DESKTOP_WIDTH, PHONE_WIDTH
from mjdesk.ui.preview.engine import (
    allowed,
    for_dark_mode,
    save_png,
    snapshot,
)

MAIL = """<html><head><style>
body { background: #ffffff; color: #111111; margin: 0; }
.box { background: #ff0000; height: 300px; }
@media (prefers-color-scheme: dark) { .box { background: #0000ff; } }
</style></head><body><h1>Hello</h1><div class="box"></div><p>Bye</p></body></html>"""


def test_a_snapshot_is_the_painted_mail_at_its_width(qtbot: QtBot, tmp_path: Path) -> None:
    assert isinstance(QApplication.instance(), QApplication)
    for width in (DESKTOP_WIDTH, PHONE_WIDTH):
        image = snapshot(MAIL, width)
        assert image.width() == width
        assert image.height() >= 300  # as tall as the mail, not the window
        assert image.pixelColor(width // 2, image.height() // 2) == QColor("#ff0000")
    save_png(image, tmp_path / "phone")
    assert (tmp_path / "phone.png").read_bytes().startswith(b"\x89PNG")


def test_dark_mode_uses_the_mails_own_dark_styles(qtbot: QtBot) -> None:
    assert "(min-width: 0px)" in for_dark_mode(MAIL)
    image = snapshot(MAIL, DESKTOP_WIDTH, dark=True)
    assert image.pixelColor(DESKTOP_WIDTH // 2, image.height() // 2) == QColor("#0000ff")


def test_only_inline_content_and_asked_for_images_are_allowed() -> None:
    from PySide6.QtWebEngineCore import QWebEngineUrlRequestInfo

    kind = QWebEngineUrlRequestInfo.ResourceType
    assert allowed(kind.ResourceTypeMainFrame, "data", images=False)
    assert allowed(kind.ResourceTypeImage, "data", images=False)
    assert not allowed(kind.ResourceTypeImage, "https", images=False)
    assert allowed(kind.ResourceTypeImage, "https", images=True)
    for other in (
        kind.ResourceTypeMainFrame,
        kind.ResourceTypeSubFrame,
        kind.ResourceTypeStylesheet,
        kind.ResourceTypeFontResource,
        kind.ResourceTypeMedia,
        kind.ResourceTypePrefetch,
        kind.ResourceTypeFavicon,
        kind.ResourceTypeScript,
    ):
        assert not allowed(other, "https", images=True)
    assert not allowed(kind.ResourceTypeSubFrame, "data", images=True)


def test_the_window_starts_without_qtwebengine(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "import mjdesk.ui.shell.main_window, mjdesk.ui.preview.page\n"
        "print(sorted(m for m in sys.modules if 'WebEngine' in m))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.stdout.strip() == "[]", done.stderr
