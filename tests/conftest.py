"""Shared test set-up: headless Qt, the support package on the path, temp app folders."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hypothesis import settings

from mjdesk.core.paths import AppPaths

# `make test` (and so CI) runs the property tests on the same examples every time, so a red
# run is a regression, not a roll of the dice; pytest run by hand explores new ones.
settings.register_profile("repeatable", derandomize=True)

# Fixture modules shared across folders: registered here, never imported by the tests.
pytest_plugins = ["support.sandbox_fixtures"]


@pytest.fixture
def app_paths(tmp_path: Path) -> AppPaths:
    """Folders under a temp dir, as ``--data-dir`` would give: never the user's real ones."""
    paths = AppPaths.under(tmp_path / "mjdesk-data")
    paths.ensure()
    return paths


@pytest.fixture(autouse=True)
def memory_keyring(request: pytest.FixtureRequest) -> Iterator[object]:
    """Every test gets a fresh in-memory keyring, so none touches the real one; tests marked
    ``keyring`` choose the real Secret Service themselves."""
    if request.node.get_closest_marker("keyring"):
        yield None
        return
    import keyring
    from keyring.core import get_keyring, set_keyring

    from support.memory_keyring import MemoryKeyring

    previous = keyring.core._keyring_backend
    backend = MemoryKeyring()
    set_keyring(backend)
    try:
        assert get_keyring() is backend
        yield backend
    finally:
        keyring.core._keyring_backend = previous
