"""``mjdesk preview`` as a scheduled check runs it: drafts fetched from the seeded sandbox, then
rendered offline for a worst-case recipient, with the checklist's verdict as the exit code."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from PySide6.QtGui import QImage

from mjdesk.core.contacts import NewContact, add_contacts
from mjdesk.core.paths import AppPaths
from mjdesk.core.workspace import Workspace
from mjdesk.sandbox.seed import seeded_store
from mjdesk.sandbox.server import Sandbox


@pytest.fixture
def seeded() -> Iterator[Sandbox]:
    with Sandbox(seeded_store(contacts=200)) as sandbox:
        yield sandbox


def preview(
    tmp_path: Path, *args: str, keys: tuple[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MJ_APIKEY")}
    if keys:
        env |= {"MJ_APIKEY_PUBLIC": keys[0], "MJ_APIKEY_PRIVATE": keys[1]}
    return subprocess.run(
        [sys.executable, "-m", "mjdesk", "preview", *args,
         "--data-dir", str(tmp_path / "d"), "--profile", "Dept"],
        capture_output=True, text=True, timeout=120, check=False, env=env,
    )  # fmt: skip


def _draft(sandbox: Sandbox, title: str) -> int:
    account = next(iter(sandbox.store.accounts.values()))
    return next(d.id for d in account.drafts.values() if d.title == title)


def test_fetch_then_check_drafts_offline(tmp_path: Path, seeded: Sandbox) -> None:
    file = AppPaths.under(tmp_path / "d").workspace_file("Dept")
    with Workspace.open(file) as ws, ws.transaction() as con:
        people = [
            NewContact("ann@example.org", "Ann", "Lee"),
            NewContact("long@example.org", "Maximiliana-Henrietta", "Featherstonehaugh-Smythe"),
            NewContact("rtl@example.org", "ليلى", "حداد"),
        ]
        add_contacts(con, people, actor="t")
    account = next(iter(seeded.store.accounts.values()))
    keys = (account.api_key, account.secret_key)
    no_unsub = _draft(seeded, "Alumni reunion (no unsubscribe link)")
    broken = _draft(seeded, "Welcome back (syntax error)")

    first = preview(tmp_path, "--draft", str(no_unsub), "--api-url", seeded.url, keys=keys)
    assert first.returncode == 1, first.stderr
    assert "Fetched" in first.stdout
    assert "FAIL  Unsubscribe" in first.stdout
    assert account.secret_key not in first.stdout + first.stderr

    seeded.stop()  # from here on, the workspace's copy alone
    checks, html = tmp_path / "checks.json", tmp_path / "mail.html"
    worst = preview(tmp_path, "--draft", str(broken), "--worst-case",
                    "--checks", str(checks), "--html", str(html))  # fmt: skip
    assert worst.returncode == 1, worst.stderr
    report = json.loads(checks.read_text(encoding="utf-8"))
    assert report["status"] == "fail"
    syntax = next(c for c in report["checks"] if c["key"] == "syntax")
    assert syntax["status"] == "fail"
    assert any("line" in case for case in syntax["cases"])
    assert report["recipient"]["why"]  # each worst case says why it was picked
    assert report["recipient"]["email"] in worst.stdout
    written = html.read_text(encoding="utf-8")
    assert "<script" not in written.lower()
    assert "[[UNSUB_LINK" not in written  # placeholders are inert links in a preview


def test_refusals_say_why_and_exit_2(tmp_path: Path) -> None:
    Workspace.open(AppPaths.under(tmp_path / "d").workspace_file("Dept")).close()
    unknown = preview(tmp_path, "--draft", "424242")
    assert unknown.returncode == 2
    assert "424242" in unknown.stderr
    nobody = preview(tmp_path, "--draft", "1", "--contact", "nobody@example.org")
    assert nobody.returncode == 2
    missing = preview(tmp_path, str(tmp_path / "nope.html"))
    assert missing.returncode == 2
    assert "nope.html" in missing.stderr
    both = preview(tmp_path, str(tmp_path / "a.html"), "--draft", "1")
    assert both.returncode == 2


def test_a_local_file_needs_no_workspace(tmp_path: Path) -> None:
    page = tmp_path / "mail.html"
    page.write_text(
        '<html><head><title>Hello [[data:firstname:"friend"]]</title></head><body>'
        '<p>Hi</p><a href="[[UNSUB_LINK_EN]]">Unsubscribe</a></body></html>',
        encoding="utf-8",
    )
    done = preview(tmp_path, str(page))
    assert done.returncode == 1  # (a file has no sender: the envelope check warns)
    assert "Subject: Hello friend" in done.stdout
    assert "PASS  Unsubscribe" in done.stdout


class _Counting(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        """(quiet)"""


def test_the_png_is_the_painted_mail_and_nothing_is_fetched(tmp_path: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    page = tmp_path / "mail.html"
    page.write_text(
        f'<html><head><link rel="stylesheet" href="{base}/style.css"></head>'
        '<body style="background:#ffffff;margin:0">'
        '<h1 style="background:#cc0000;color:#ffffff;height:80px;margin:0">Term news</h1>'
        f'<img src="{base}/pixel.gif" width="1" height="1" alt="">'
        f"<script>new Image().src = '{base}/script';</script>"
        '<a href="[[UNSUB_LINK_EN]]">Unsubscribe</a></body></html>',
        encoding="utf-8",
    )
    png = tmp_path / "phone.png"
    try:
        done = preview(tmp_path, str(page), "--png", str(png), "--width", "375")
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 1, done.stderr  # (a file has no sender: a warning)
    assert _Counting.hits == []  # no stylesheet, no pixel, no script ran
    image = QImage(str(png))
    assert image.width() == 375
    assert image.pixelColor(350, 70).name() == "#cc0000"  # the mail itself, painted
    assert image.pixelColor(10, image.height() - 5).name() == "#ffffff"
    bad = preview(tmp_path, str(page), "--png", str(png), "--width", "5")
    assert bad.returncode == 2
    assert "not a width" in bad.stderr


def test_outputs_into_a_missing_folder_are_refused_not_created(tmp_path: Path) -> None:
    page = tmp_path / "mail.html"
    page.write_text("<title>Hi</title><p>Hi</p>", encoding="utf-8")
    gone = tmp_path / "no-such-folder"
    for option in ("--png", "--html", "--checks"):
        refused = preview(tmp_path, str(page), option, str(gone / "out.x"))
        assert refused.returncode == 2, refused.stderr
        assert f"there is no folder {gone}" in refused.stderr
        assert "None" not in refused.stderr
        assert not gone.exists()


def test_a_profile_without_a_workspace_points_at_those_with_one(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path / "d")
    paths.config.mkdir(parents=True)
    (paths.config / "profiles.json").write_text(
        json.dumps({"format": 1, "profiles": [{"name": "History"}, {"name": "Empty"}]}),
        encoding="utf-8",
    )
    Workspace.open(paths.workspace_file("History")).close()
    refused = preview(tmp_path, "--draft", "1")
    assert refused.returncode == 2
    assert "profile 'Dept' has no workspace yet. Name one with --profile: 'History'." in (
        refused.stderr
    )
