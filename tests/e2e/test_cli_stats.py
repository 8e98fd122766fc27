"""``mjdesk stats`` as a scheduled job runs it, against the seeded sandbox: the first run fetches
and writes the CSV, a run without keys writes the cached figures with their age, and refusals
exit with 2 and a sentence."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mjdesk.core.paths import AppPaths
from mjdesk.core.workspace import Workspace
from mjdesk.sandbox.seed import seeded_store
from mjdesk.sandbox.server import Sandbox


@pytest.fixture
def seeded() -> Iterator[Sandbox]:
    with Sandbox(seeded_store(contacts=600, campaigns=4)) as sandbox:
        yield sandbox


def stats(
    tmp_path: Path, *args: str, keys: tuple[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MJ_APIKEY")}
    if keys:
        env |= {"MJ_APIKEY_PUBLIC": keys[0], "MJ_APIKEY_PRIVATE": keys[1]}
    return subprocess.run(
        [sys.executable, "-m", "mjdesk", "stats", *args,
         "--data-dir", str(tmp_path / "d"), "--profile", "Dept"],
        capture_output=True, text=True, timeout=120, check=False, env=env,
    )  # fmt: skip


def test_fetch_then_offline(tmp_path: Path, seeded: Sandbox) -> None:
    Workspace.open(AppPaths.under(tmp_path / "d").workspace_file("Dept")).close()
    account = next(iter(seeded.store.accounts.values()))
    keys = (account.api_key, account.secret_key)

    nothing = stats(tmp_path, "--csv", str(tmp_path / "a.csv"))
    assert nothing.returncode == 2
    assert "no statistics fetched yet" in nothing.stderr

    out = tmp_path / "all.csv"
    first = stats(tmp_path, "--csv", str(out), "--api-url", seeded.url, keys=keys)
    assert first.returncode == 0, first.stderr
    assert "Fetched statistics of 4 campaigns" in first.stdout
    assert account.secret_key not in first.stdout + first.stderr
    with out.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 4  # one row per sent campaign, nothing else: scripts read it
    newest = max(account.campaigns.values(), key=lambda c: c.send_start_at)
    assert rows[0]["Campaign ID"] == str(newest.id)
    opened = sum(d.opened for d in account.day_stats if d.campaign_id == newest.id)
    assert rows[0]["Opened"] == str(opened)

    seeded.stop()
    news = tmp_path / "news.xlsx"
    offline = stats(tmp_path, "--xlsx", str(news), "--list", "Department newsletter",
                    "--since", "2000-01-01")  # fmt: skip
    assert offline.returncode == 0, offline.stderr
    assert "Figures fetched just now." in offline.stdout
    assert news.stat().st_size > 0

    report = tmp_path / "r.pdf"
    pdf = stats(tmp_path, "--pdf", str(report), "--campaign", str(newest.id))
    assert pdf.returncode == 0, pdf.stderr
    assert "1 campaign written to" in pdf.stdout
    assert report.read_bytes().startswith(b"%PDF-")
    assert b"%%EOF" in report.read_bytes()[-64:]
    compared = stats(tmp_path, "--pdf", str(report), *(
        arg for c in account.campaigns.values() for arg in ("--campaign", str(c.id))
    ))  # fmt: skip
    assert compared.returncode == 0, compared.stderr
    assert "4 campaigns written to" in compared.stdout
    unknown = stats(tmp_path, "--pdf", str(report), "--campaign", "999999")
    assert unknown.returncode == 2
    assert "campaign 999999 is not among" in unknown.stderr
    bad = stats(tmp_path, "--csv", str(out), "--since", "May")
    assert bad.returncode == 2


def test_impossible_days_unknown_lists_and_mixed_options_are_refused_saying_why(
    tmp_path: Path, seeded: Sandbox
) -> None:
    Workspace.open(AppPaths.under(tmp_path / "d").workspace_file("Dept")).close()
    account = next(iter(seeded.store.accounts.values()))
    out = tmp_path / "all.csv"
    first = stats(tmp_path, "--csv", str(out), "--api-url", seeded.url,
                  keys=(account.api_key, account.secret_key))  # fmt: skip
    assert first.returncode == 0, first.stderr
    seeded.stop()

    for day in ("2026-13-01", "2026-02-30", "0000-00-00"):
        bad = stats(tmp_path, "--csv", str(out), "--since", day)
        assert bad.returncode == 2, day
        assert f"'{day}' is not a day of the calendar" in bad.stderr
        assert stats(tmp_path, "--csv", str(out), "--until", day).returncode == 2

    days = sorted(c.send_start_at[:10] for c in account.campaigns.values())
    until = stats(tmp_path, "--csv", str(out), "--until", days[1])
    assert until.returncode == 0, until.stderr
    with out.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["Sent at"][:10] for row in rows) == [d for d in days if d <= days[1]]
    inverted = stats(tmp_path, "--csv", str(out), "--since", "2026-06-02", "--until", "2026-06-01")
    assert inverted.returncode == 2
    assert "is before --since" in inverted.stderr

    unknown = stats(tmp_path, "--csv", str(out), "--list", "No such list")
    assert unknown.returncode == 2
    assert "no campaign was sent to a list named “No such list”" in unknown.stderr
    assert "“Department newsletter”" in unknown.stderr  # (the lists that exist)
    any_case = stats(tmp_path, "--csv", str(out), "--list", "department NEWSLETTER")
    assert any_case.returncode == 0, any_case.stderr

    no_keys = stats(tmp_path, "--csv", str(out), "--api-url", "http://127.0.0.1:9")
    assert no_keys.returncode == 0, no_keys.stderr
    assert "--api-url was not used and nothing was refreshed" in no_keys.stderr

    mixed = stats(tmp_path, "--pdf", str(tmp_path / "r.pdf"), "--campaign", "1", "--list", "x")
    assert mixed.returncode == 2
    assert "give one or the other" in mixed.stderr

    wrong = stats(tmp_path, "--xlsx", str(tmp_path / "y.csv"))
    assert wrong.returncode == 2
    assert "--xlsx writes a .xlsx file" in wrong.stderr
    assert not (tmp_path / "y.csv").exists()
    old = stats(tmp_path, "--xlsx", str(tmp_path / "y.xls"))
    assert old.returncode == 2
    assert not (tmp_path / "y.xls").exists()
