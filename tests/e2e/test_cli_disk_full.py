"""``mjdesk import`` on a full disk: a plain message with what is free and needed, exit 2.

The disk is made full for SQLite in the subprocess: each workspace it opens is capped with
``PRAGMA max_page_count`` at the pages it has, so SQLite reports SQLITE_FULL as on a full disk.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from mjdesk.core.paths import AppPaths
from mjdesk.core.workspace import Workspace

CAPPED = """
import sys
from mjdesk.app import main
from mjdesk.core.workspace import Workspace
opened = Workspace.open.__func__
def capped(cls, *args, **kwargs):
    ws = opened(cls, *args, **kwargs)
    ws.fetch(f"PRAGMA max_page_count = {ws.fetch('PRAGMA page_count')[0][0]}")
    return ws
Workspace.open = classmethod(capped)
sys.exit(main(sys.argv[1:]))
"""


def test_a_full_disk_is_told_plainly_and_nothing_is_imported(tmp_path: Path) -> None:
    workspace = AppPaths.under(tmp_path / "d").workspace_file("Default")
    Workspace.open(workspace).close()
    source = tmp_path / "in.csv"
    lines = [f"person{i}@example.org,yes" for i in range(3000)]
    source.write_text("Email,Consent\n" + "\n".join(lines) + "\n")
    done = subprocess.run(
        [sys.executable, "-c", CAPPED, "import", str(source), "--data-dir", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "internal error" not in done.stderr
    assert re.search(r"The disk is full: [\d.,]+ MB free, about 6\.0 MB needed", done.stderr)
    assert "Nothing was changed" in done.stderr
    with Workspace.open(workspace) as ws:
        assert ws.fetch("SELECT count(*) FROM contacts") == [(0,)]
