"""``mjdesk sync pull|plan`` as a scheduled job runs it, against the sandbox through the
real client: keys from Mailjet's environment variables (never an option), the plan's exit
code 1 when some are blocked, refusals with exit code 2 and a sentence."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from mjdesk.core.contacts import ConsentRecord, NewContact, add_contacts
from mjdesk.core.paths import AppPaths
from mjdesk.core.sync.plan import Reason
from mjdesk.core.workspace import Workspace
from mjdesk.mailjet.client import MailjetClient
from mjdesk.mailjet.contacts import add_to_list, create_list, get_contact_data, update_contact

from support.sandbox_fixtures import Practice

PROOF = ConsentRecord("granted", "2026-06-01T00:00:00Z", "form.csv", wording="Yes")


def sync(
    tmp_path: Path, practice: Practice, *args: str, keys: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MJ_APIKEY")}
    if keys:
        env |= {"MJ_APIKEY_PUBLIC": practice.key, "MJ_APIKEY_PRIVATE": practice.secret}
    return subprocess.run(
        [sys.executable, "-m", "mjdesk", "sync", *args,
         "--data-dir", str(tmp_path / "d"), "--profile", "Dept"],
        capture_output=True, text=True, timeout=120, check=False, env=env,
    )  # fmt: skip


def test_pull_then_plan_with_a_blocked_contact(tmp_path: Path, practice: Practice) -> None:
    file = AppPaths.under(tmp_path / "d").workspace_file("Dept")
    with Workspace.open(file) as ws, ws.transaction() as con:
        add_contacts(con, [NewContact("ann@example.org", consent=PROOF)], actor="t")
    with MailjetClient(practice.key, practice.secret, api_url=practice.url) as client:
        news = create_list(client, "News").id
        add_to_list(client, news, "ann@example.org")
        add_to_list(client, news, "ex@example.org")
        update_contact(client, "ex@example.org", excluded=True)

    pulled = sync(tmp_path, practice, "pull", "--list", "News", "--api-url", practice.url)
    assert pulled.returncode == 0, pulled.stderr
    assert "Pulled “News” from Mailjet: 2 members" in pulled.stdout
    assert practice.secret not in pulled.stdout + pulled.stderr

    out = tmp_path / "plan.csv"
    planned = sync(tmp_path, practice, "plan", "--list", "News", "--plan-csv", str(out))
    assert planned.returncode == 1, planned.stderr
    assert "blocked (Excluded in Mailjet): 1" in planned.stdout
    with out.open(encoding="utf-8-sig") as rows:
        assert {r["email"]: (r["action"], r["reason"]) for r in csv.DictReader(rows)} == {
            # (her consent is not in Mailjet's properties yet)
            "ann@example.org": ("Update properties", Reason.PROPERTIES),
            "ex@example.org": ("Blocked", "Excluded in Mailjet"),
        }


def test_refusals_say_why_and_exit_2(tmp_path: Path, practice: Practice) -> None:
    no_workspace = sync(tmp_path, practice, "plan", "--list", "News")
    assert no_workspace.returncode == 2
    assert "has no workspace yet" in no_workspace.stderr
    Workspace.open(AppPaths.under(tmp_path / "d").workspace_file("Dept")).close()
    no_keys = sync(
        tmp_path, practice, "pull", "--list", "News", "--api-url", practice.url, keys=False
    )
    assert no_keys.returncode == 2
    assert "has no Mailjet keys" in no_keys.stderr
    no_list = sync(tmp_path, practice, "pull", "--list", "Alumni", "--api-url", practice.url)
    assert no_list.returncode == 2
    assert "Mailjet has no list “Alumni”" in no_list.stderr
    never_pulled = sync(tmp_path, practice, "plan", "--list", "Alumni")
    assert never_pulled.returncode == 2
    assert "no list “Alumni” in this workspace" in never_pulled.stderr


def test_push_shows_the_plan_sends_only_with_yes_then_has_nothing_to_send(
    tmp_path: Path, practice: Practice
) -> None:
    file = AppPaths.under(tmp_path / "d").workspace_file("Dept")
    with Workspace.open(file) as ws, ws.transaction() as con:
        add_contacts(con, [NewContact("ann@example.org", consent=PROOF)], actor="t")
    with MailjetClient(practice.key, practice.secret, api_url=practice.url) as client:
        news = create_list(client, "News").id
        add_to_list(client, news, "ann@example.org")
        add_to_list(client, news, "ex@example.org")
        update_contact(client, "ex@example.org", excluded=True)
    url = ("--api-url", practice.url)

    shown = sync(tmp_path, practice, "push", "--list", "News", *url)
    assert shown.returncode == 2, shown.stderr
    assert "“News”: 1 to update, 1 blocked." in shown.stdout
    assert "nothing sent (the pull above is done): add --yes" in shown.stderr
    assert practice.sandbox.count("POST", "managemanycontacts") == 0

    pushed = sync(tmp_path, practice, "push", "--list", "News", "--yes", *url)
    assert pushed.returncode == 1, pushed.stderr  # (done; Ex is blocked)
    assert "Pushed “News” to Mailjet: 1 updated." in pushed.stdout
    assert practice.sandbox.count("POST", "managemanycontacts") == 1
    with MailjetClient(practice.key, practice.secret, api_url=practice.url) as client:
        assert get_contact_data(client, "ann@example.org")["mjdesk_consent_source"] == "form.csv"

    again = sync(tmp_path, practice, "push", "--list", "News", "--yes", *url)
    assert again.returncode == 1, again.stderr
    assert "“News”: 1 blocked." in again.stdout
    assert practice.sandbox.count("POST", "managemanycontacts") == 1
    assert practice.secret not in pushed.stdout + pushed.stderr + again.stdout
