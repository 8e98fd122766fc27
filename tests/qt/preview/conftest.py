"""The preview tests load QtWebEngine, whose headless Chromium says so on Qt's log."""

from __future__ import annotations

import pytest

#: What offscreen Chromium logs as it starts without a GPU (harmless: it draws in software).
CHROMIUM_HEADLESS_NOISE = (
    "QRhiGles2: Failed to create",
    "Failed to create RHI",
    "GPUInfo not initialized",
    "Unable to detect GPU vendor",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/qt/preview" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(*CHROMIUM_HEADLESS_NOISE))
