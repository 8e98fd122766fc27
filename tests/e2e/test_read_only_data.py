"""A data folder mjdesk can read but not write: it works without its log file, and refuses a
workspace it cannot write with a clear message (``mjdesk import`` exit 2), never a traceback.

Root ignores file modes, so as root (these tests' usual CI) the files are made immutable with
``chattr +i``, which root cannot write either; as another user, ``chmod a-w`` does it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mjdesk.core.paths import AppPaths
from mjdesk.core.workspace import Workspace

ReadOnly = Callable[[Path], None]

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


@pytest.fixture
def read_only() -> Iterator[ReadOnly]:
    """``read_only(path)``: that file, or that folder and everything in it, cannot be written."""
    done: list[Path] = []
    as_root = os.geteuid() == 0

    def make(path: Path) -> None:
        every = [path, *path.rglob("*")] if path.is_dir() else [path]
        if as_root:
            if shutil.which("chattr") is None:
                pytest.skip("root, and no chattr to make files read-only for root")
            made = subprocess.run(["chattr", "+i", *map(str, every)], check=False)
            if made.returncode:
                pytest.skip("chattr +i is not allowed here")
        else:
            for each in every:
                each.chmod(each.stat().st_mode & ~0o222)
        done.extend(every)

    yield make
    if as_root and done:
        subprocess.run(["chattr", "-i", *map(str, done)], check=False)
    else:
        for each in done:
            each.chmod(each.stat().st_mode | 0o200)


def mjdesk(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mjdesk", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        check=False,
    )


@pytest.fixture
def data(tmp_path: Path) -> AppPaths:
    """A data dir with a workspace, a log, and a spreadsheet to import beside it."""
    paths = AppPaths.under(tmp_path / "d")
    paths.ensure()
    Workspace.open(paths.workspace_file("Default")).close()
    paths.log_file.write_text("earlier\n")
    (tmp_path / "in.csv").write_text("Email,Consent\nann@example.org,yes\n")
    return paths


def test_a_read_only_data_folder_gets_a_clear_refusal(
    data: AppPaths, read_only: ReadOnly, tmp_path: Path
) -> None:
    read_only(tmp_path / "d")
    done = mjdesk("import", "in.csv", "--data-dir", "d", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.count("mjdesk.log cannot be written") == 1
    assert "mjdesk works without it" in done.stderr
    assert "cannot write in the workspace folder" in done.stderr
    window = mjdesk("--data-dir", "d", "--exit-when-ready", cwd=tmp_path)
    assert window.returncode == 1, window.stderr
    assert "Traceback" not in window.stderr
    assert "mjdesk works without it" in window.stderr
    assert "cannot write in the workspace folder" in window.stderr


def test_a_read_only_log_is_done_without(
    data: AppPaths, read_only: ReadOnly, tmp_path: Path
) -> None:
    read_only(data.logs)
    done = mjdesk("import", "in.csv", "--data-dir", "d", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "1 new" in done.stdout
    assert done.stderr.count("mjdesk works without it") == 1
    window = mjdesk("--data-dir", "d", "--exit-when-ready", cwd=tmp_path)
    assert window.returncode == 0, window.stderr
    assert "main window ready (1 contacts)" in window.stdout
    assert window.stderr.count("mjdesk works without it") == 1
    assert data.log_file.read_text() == "earlier\n"


def test_a_read_only_workspace_file_is_refused_before_any_change(
    data: AppPaths, read_only: ReadOnly, tmp_path: Path
) -> None:
    workspace = data.workspace_file("Default")
    before = workspace.read_bytes()
    read_only(workspace)
    done = mjdesk("import", "in.csv", "--data-dir", "d", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "can be read but not written" in done.stderr
    assert workspace.read_bytes() == before
