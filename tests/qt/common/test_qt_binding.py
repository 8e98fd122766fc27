"""The Qt binding in use must not corrupt Python's reference counts.

PySide6 6.12.0 drops a reference to True/False on every signal emission that carries one
(a Signal(bool) or any signal with a bool argument), and Python 3.11 aborts when the count
reaches zero: minutes into a session. pyproject.toml excludes that release; this test
catches the next one that does it.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QCheckBox
from pytestqt.qtbot import QtBot


class _Emitter(QObject):
    flag = Signal(bool)
    anything = Signal(object)


def test_emitting_bools_keeps_reference_counts(qtbot: QtBot) -> None:
    emitter = _Emitter()
    seen: list[object] = []
    emitter.flag.connect(seen.append)
    emitter.anything.connect(seen.append)
    box = QCheckBox()
    qtbot.addWidget(box)
    box.toggled.connect(seen.append)
    before = sys.getrefcount(True), sys.getrefcount(False)
    for _ in range(50):
        emitter.flag.emit(True)
        emitter.anything.emit(False)
        box.toggle()
    seen.clear()
    assert (sys.getrefcount(True), sys.getrefcount(False)) == before
