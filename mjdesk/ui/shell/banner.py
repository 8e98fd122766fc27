"""A coloured line above the window's content that must not be missed (practice mode, a
damaged workspace)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget


def add_banner(
    window: QMainWindow, text: str, name: str, *, background: str, colour: str, border: str
) -> QLabel:
    """Put a banner with ``text`` above the window's content; ``name`` is its object name
    and what screen readers call it."""
    banner = QLabel(text, window)
    banner.setObjectName(name)
    banner.setWordWrap(True)
    banner.setTextFormat(Qt.TextFormat.PlainText)
    banner.setStyleSheet(
        f"QLabel#{name} {{ background: {background}; color: {colour}; "
        f"border-bottom: 2px solid {border}; padding: 6px 12px; font-weight: bold; }}"
    )
    content = window.takeCentralWidget()
    holder = QWidget(window)
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    layout.addWidget(banner)
    if content is not None:
        layout.addWidget(content, 1)
    window.setCentralWidget(holder)
    return banner
