"""Shared test set-up: headless Qt, the support package on the path, temp app folders."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from mjdesk.core.paths import AppPaths


@pytest.fixture
def app_paths(tmp_path: Path) -> AppPaths:
    """Folders under a temp dir, as ``--data-dir`` would give: never the user's real ones."""
    paths = AppPaths.under(tmp_path / "mjdesk-data")
    paths.ensure()
    return paths
