"""What mjdesk writes under its folders is private to the user on POSIX: files 0600 and
folders 0700, whatever the umask (workspaces hold personal data and consent records)."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from mjdesk.core.backup import back_up_workspace
from mjdesk.core.logs import setup_logging
from mjdesk.core.paths import AppPaths
from mjdesk.core.settings import Settings
from mjdesk.core.workspace import Workspace

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The common umask 022, under which plain creation gives 0644 files and 0755 folders."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


@pytest.fixture
def logging_to_file() -> Iterator[None]:
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_mjdesk", False)]:
        root.removeHandler(handler)
        handler.close()
    logging.captureWarnings(False)


def modes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): oct(stat.S_IMODE(p.stat().st_mode)) for p in root.rglob("*")}


@pytest.mark.usefixtures("open_umask", "logging_to_file")
def test_workspaces_their_wal_backups_logs_and_settings_are_private(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path)
    paths.ensure()
    setup_logging(paths.log_file)
    logging.getLogger("mjdesk.test").warning("a line")
    Settings().save(paths.settings_file)
    workspace = paths.workspace_file("Default")
    Workspace.open(workspace, upto=1).close()
    with Workspace.open(workspace) as ws:  # upgraded: a backup beside it
        ws.fetch("PRAGMA wal_autocheckpoint = 0")
        with ws.transaction() as con:
            con.execute("INSERT INTO meta VALUES ('x', 'y')")
        assert workspace.with_name("Default.sqlite3-wal").exists()
        back_up_workspace(workspace, paths.data / "copy.sqlite3")
        seen = modes(tmp_path)
    assert any(name.endswith(".bak.sqlite3") for name in seen)
    assert any(name.endswith("-shm") for name in seen)
    wrong = {
        name: mode
        for name, mode in seen.items()
        if mode != ("0o700" if (tmp_path / name).is_dir() else "0o600")
    }
    assert wrong == {}


@pytest.mark.usefixtures("open_umask", "logging_to_file")
def test_files_left_readable_by_an_older_mjdesk_are_made_private(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path)
    workspace = paths.workspace_file("Default")
    workspace.parent.mkdir(parents=True)
    Workspace.open(workspace).close()
    for path in (paths.data, workspace.parent, workspace):
        path.chmod(0o755 if path.is_dir() else 0o644)
    paths.logs.mkdir(mode=0o755)
    paths.log_file.write_text("old\n")
    paths.log_file.chmod(0o644)
    paths.ensure()
    setup_logging(paths.log_file)
    Workspace.open(workspace).close()
    assert set(modes(paths.data).values()) == {"0o700", "0o600"}
    assert stat.S_IMODE(workspace.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.log_file.stat().st_mode) == 0o600
