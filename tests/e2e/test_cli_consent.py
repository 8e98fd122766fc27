"""``mjdesk consent withdraw`` as a user runs it: addresses from the command line or a file,
one undoable step, unknown addresses listed but not fatal, refusals with exit code 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mjdesk.core.contacts import ConsentRecord, NewContact, add_contacts
from mjdesk.core.paths import AppPaths
from mjdesk.core.undo import undo_step
from mjdesk.core.workspace import Workspace

PROOF = ConsentRecord("granted", "2025-01-01T00:00:00Z", "form.csv", wording="Yes")


def workspace(tmp_path: Path) -> Path:
    file = AppPaths.under(tmp_path / "d").workspace_file("Dept")
    with Workspace.open(file) as ws, ws.transaction() as con:
        add_contacts(
            con,
            [
                NewContact("ann@example.org", consent=PROOF),
                NewContact("bob@example.org", consent=PROOF),
                NewContact("cy@example.org"),
            ],
            actor="t",
        )
    return file


def consent(tmp_path: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mjdesk", "consent", *map(str, args),
         "--data-dir", str(tmp_path / "d"), "--profile", "Dept"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def statuses(file: Path) -> dict[str, str]:
    with Workspace.open(file) as ws:
        return dict(ws.fetch("SELECT email, consent_status FROM contacts_with_consent"))


def test_withdraw_addresses_in_one_undoable_step(tmp_path: Path) -> None:
    file = workspace(tmp_path)
    done = consent(
        tmp_path, "withdraw", "ANN@example.org", "nobody@example.org", "cy@example.org",
        "--reason", "asked by e-mail",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Consent withdrawn for 1 contact; 1 contact had no current consent." in done.stdout
    assert "1 address not in this workspace" in done.stderr
    assert "nobody@example.org" in done.stderr
    assert statuses(file) == {
        "ann@example.org": "withdrawn",
        "bob@example.org": "granted",
        "cy@example.org": "none",
    }
    with Workspace.open(file) as ws:
        [(step, wording)] = ws.fetch(
            "SELECT a.id, l.wording FROM activity a JOIN consent_ledger l "
            "ON l.status = 'withdrawn' WHERE a.action = 'withdraw_consent'"
        )
        assert wording == "asked by e-mail"
        undo_step(ws, step)
    assert statuses(file)["ann@example.org"] == "granted"


def test_withdraw_from_a_csv_file_with_an_email_column(tmp_path: Path) -> None:
    file = workspace(tmp_path)
    requests = tmp_path / "requests.csv"
    requests.write_text(
        "name;Email\nAnn;ann@example.org\nBob;bob@example.org\nX;gone@example.org\n",
        encoding="utf-8",
    )
    done = consent(tmp_path, "withdraw", "--from", requests, "--reason", "unsubscribe mails")
    assert done.returncode == 0, done.stderr
    assert "Consent withdrawn for 2 contacts." in done.stdout
    assert "gone@example.org" in done.stderr
    assert statuses(file)["bob@example.org"] == "withdrawn"
    with Workspace.open(file) as ws:
        assert ws.fetch("SELECT DISTINCT source_file FROM consent_ledger WHERE status = "
                        "'withdrawn'") == [("requests.csv",)]  # fmt: skip


def test_withdraw_from_a_plain_list_of_addresses(tmp_path: Path) -> None:
    file = workspace(tmp_path)
    requests = tmp_path / "requests.txt"
    requests.write_text("ann@example.org\n\nbob@example.org\n", encoding="utf-8")
    done = consent(tmp_path, "withdraw", "--from", requests, "--reason", "asked")
    assert done.returncode == 0, done.stderr
    assert set(statuses(file).values()) == {"withdrawn", "none"}


def test_nothing_to_do_is_exit_code_2(tmp_path: Path) -> None:
    file = workspace(tmp_path)
    unknown = consent(tmp_path, "withdraw", "nobody@example.org", "--reason", "asked")
    assert unknown.returncode == 2
    assert "No contact in this workspace has any of those addresses." in unknown.stderr
    no_consent = consent(tmp_path, "withdraw", "cy@example.org", "--reason", "asked")
    assert no_consent.returncode == 2
    assert "has a current consent to withdraw" in no_consent.stderr
    no_reason = consent(tmp_path, "withdraw", "ann@example.org", "--reason", " ")
    assert no_reason.returncode == 2
    assert "reason" in no_reason.stderr
    both = consent(tmp_path, "withdraw", "ann@example.org", "--from", file, "--reason", "x")
    assert both.returncode == 2
    assert "either addresses or --from FILE" in both.stderr
    missing = consent(tmp_path, "withdraw", "--from", tmp_path / "nope.csv", "--reason", "x")
    assert missing.returncode == 2
    assert "cannot be read" in missing.stderr
    assert statuses(file)["ann@example.org"] == "granted"
