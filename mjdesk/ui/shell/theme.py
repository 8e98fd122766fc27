"""How the app looks: its icon, the platform style, and the OS light or dark palette."""

from __future__ import annotations

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from mjdesk.core.paths import resources_dir


def app_icon() -> QIcon:
    icon = QIcon()
    folder = resources_dir() / "icons"
    for size in (16, 32, 48, 64, 128, 256, 512):
        path = folder / f"mjdesk-{size}.png"
        if path.exists():
            icon.addFile(str(path))
    return icon


def apply_theme(app: QApplication) -> None:
    """The app icon; the style stays the platform's own (native on Windows and macOS,
    Fusion elsewhere), which follows the OS light or dark setting by itself."""
    app.setWindowIcon(app_icon())
