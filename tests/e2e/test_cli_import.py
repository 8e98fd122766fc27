"""``mjdesk import`` as a user runs it: a subprocess on generated files, exit codes, messages
that name the file, sheet, row or column, and a workspace left unchanged by bad input."""

from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from data.make_import_corpus import CASES

from mjdesk.core.paths import AppPaths
from mjdesk.core.workspace import Workspace

from support.encrypted import encrypted_xlsx
from support.hostile import far_cell
from support.importing import dump

HEADER = ["Email", "First name", "Last name", "Consent", "Consent date", "Team"]
ROWS = [
    ["ann@example.org", "Ann", "Archer", "yes", "2025-01-10", "History"],
    ["bob@example.org", "Bob", "Baker", "yes", "2025-01-11", "Physics"],
]


def run(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mjdesk", "import", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=False,
        env=None if env is None else {**os.environ, **env},
    )


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)
    return path


def state(data_dir: Path) -> dict[str, list[tuple[Any, ...]]]:
    with Workspace.open(AppPaths.under(data_dir).workspace_file("Default")) as ws:
        return dump(ws)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose workspace holds one earlier import."""
    root = tmp_path_factory.mktemp("cli")
    source = write_csv(root / "first.csv", [HEADER, *ROWS])
    done = run(source, "--data-dir", root / "data", cwd=root)
    assert done.returncode == 0, done.stderr
    return root


def test_a_clean_file_is_imported_and_summarised(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "sign-ups.csv", [HEADER, *ROWS])
    done = run(source, "--data-dir", tmp_path / "data", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "sign-ups.csv: 2 rows" in done.stdout
    assert "new" in done.stdout
    assert "2 new, 0 updated, 2 consent records" in done.stdout
    assert done.stderr == ""
    after = state(tmp_path / "data")
    assert [row[2] for row in after["contacts"]] == ["ann@example.org", "bob@example.org"]
    ledger = after["ledger"]
    assert [(r[4], r[6], r[7]) for r in ledger] == [
        ("sign-ups.csv", None, 2),
        ("sign-ups.csv", None, 3),
    ]
    # Again: nothing new, every row unchanged, still exit 0.
    again = run(source, "--data-dir", tmp_path / "data", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "unchanged" in again.stdout
    assert state(tmp_path / "data") == after


def test_rejected_rows_exit_1_with_a_report(tmp_path: Path) -> None:
    rows = [
        HEADER,
        *ROWS,
        ["not-an-address", "X", "", "yes", "", ""],
        ["c@x.org", "C", "", "no", "", ""],
    ]
    source = write_csv(tmp_path / "mixed.csv", rows)
    report = tmp_path / "report.csv"
    copy = tmp_path / "mixed annotated.xlsx"
    done = run(
        source,
        "--data-dir",
        tmp_path / "data",
        "--report",
        report,
        "--annotated-copy",
        copy,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr
    assert "2 rows not imported" in done.stderr
    assert "invalid " in done.stdout
    assert "skipped: no consent" in done.stdout
    with report.open(encoding="utf-8-sig") as stream:
        lines = list(csv.reader(stream))
    assert [line[2] for line in lines[1:]] == [
        "new",
        "new",
        "invalid",
        "skipped: no consent",
    ]
    assert copy.stat().st_size > 0
    assert len(state(tmp_path / "data")["contacts"]) == 2


def test_all_consented_records_the_wording(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "form.csv", [["Email", "Name"], ["a@x.org", "Ann Archer"]])
    done = run(
        source,
        "--all-consented",
        "--wording",
        "Yes, send me the newsletter",
        "--source",
        "Open day form",
        "--consent-date",
        "2025-03-04",
        "--data-dir",
        tmp_path / "data",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    [row] = state(tmp_path / "data")["ledger"]
    assert row[3] == "2025-03-04T00:00:00Z"
    assert row[8] == "Yes, send me the newsletter"


def test_a_dry_run_changes_nothing(seeded: Path) -> None:
    before = state(seeded / "data")
    source = write_csv(seeded / "more.csv", [HEADER, ["new@example.org", "N", "", "yes", "", ""]])
    done = run(source, "--dry-run", "--data-dir", seeded / "data", cwd=seeded)
    assert done.returncode == 0, done.stderr
    assert "Dry run: nothing was changed." in done.stdout
    assert state(seeded / "data") == before
    # Without a workspace, a dry run does not create one.
    fresh = seeded / "fresh"
    done = run(source, "--dry-run", "--data-dir", fresh, cwd=seeded)
    assert done.returncode == 0, done.stderr
    assert not AppPaths.under(fresh).workspace_file("Default").exists()


BAD_FILES = {
    "empty.csv": ["empty.csv", "empty"],
    "blank.xlsx": ["blank.xlsx", "no data"],
    "header_only.csv": ["header_only.csv", "row 1", "no rows of data"],
    "header_only.xlsx": ["header_only.xlsx", "sheet 'Sheet1'", "no rows of data"],
    "no_addresses.csv": ["no_addresses.csv", "no column holds e-mail addresses"],
    "binary.csv": ["binary.csv", "not a spreadsheet"],
    "encrypted.xlsx": ["encrypted.xlsx", "password"],
    "encrypted.ods": ["encrypted.ods", "password"],
    "corrupt.xlsx": ["corrupt.xlsx", "damaged"],
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_files_exit_2_and_leave_the_workspace_alone(seeded: Path, name: str) -> None:
    before = state(seeded / "data")
    source = CASES[name](seeded / name)
    done = run(source, "--data-dir", seeded / "data", cwd=seeded)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    for words in BAD_FILES[name]:
        assert words in done.stderr
    assert done.stderr.startswith("mjdesk import: ")
    assert state(seeded / "data") == before


def _bad_arguments(root: Path) -> dict[str, tuple[list[str | Path], list[str]]]:
    good = write_csv(root / "good.csv", [HEADER, *ROWS])
    no_consent = write_csv(root / "plain.csv", [["Email", "Name"], ["a@x.org", "A"]])
    book = CASES["good.xlsx"](root / "book.xlsx")
    return {
        "missing file": ([root / "nowhere.csv"], ["nowhere.csv", "no such file"]),
        "a folder": ([root], ["is a folder"]),
        "unknown sheet": ([book, "--sheet", "Nope"], ["book.xlsx", "Nope"]),
        "unknown consent column": (
            [good, "--consent-column", "Agreed"],
            ["good.csv", "no column named 'Agreed'", "'Consent'"],
        ),
        "unknown email column": ([good, "--email-column", "Mail"], ["no column named 'Mail'"]),
        "no consent column": ([no_consent], ["plain.csv", "--consent-column", "--all-consented"]),
        "all consented without wording": (
            [no_consent, "--all-consented", "--source", "form"],
            ["wording"],
        ),
        "wording without all consented": ([good, "--wording", "x"], ["--all-consented"]),
        "both consent ways": (
            [good, "--consent-column", "Consent", "--all-consented"],
            ["not allowed"],
        ),
        "bad date": ([good, "--consent-date", "someday"], ["'someday' is not a date"]),
        "bad report type": ([good, "--report", root / "r.pdf"], ["r.pdf", ".csv or .xlsx"]),
        "bad profile": ([good, "--profile", "///"], ["--profile"]),
        "no file": ([], ["FILE"]),
    }


def test_bad_arguments_exit_2_with_a_clear_message(seeded: Path) -> None:
    before = state(seeded / "data")
    for case, (args, words) in _bad_arguments(seeded).items():
        done = run(*args, "--data-dir", seeded / "data", cwd=seeded)
        assert done.returncode == 2, (case, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, case
        for word in words:
            assert word in done.stderr, (case, done.stderr)
    assert state(seeded / "data") == before


def test_a_workspace_open_elsewhere_is_reported(seeded: Path) -> None:
    source = write_csv(seeded / "locked.csv", [HEADER, ["z@x.org", "Z", "", "yes", "", ""]])
    with Workspace.open(AppPaths.under(seeded / "data").workspace_file("Default")) as ws:
        before = dump(ws)
        done = run(source, "--data-dir", seeded / "data", cwd=seeded)
        assert done.returncode == 2, done.stderr
        assert "open in another mjdesk (window or command line)" in done.stderr
        assert dump(ws) == before


def test_version_still_answers(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mjdesk", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout.startswith("mjdesk ")


def test_a_big_import_leaves_a_finished_workspace(tmp_path: Path) -> None:
    """From 20,000 new contacts the commit leaves its indexes for later; the command line
    builds them before it exits, so the app opens on a workspace with nothing pending."""
    rows = [[f"p{i}@example.org", f"P{i}", "Okafor", "yes", "", "T"] for i in range(20_000)]
    source = write_csv(tmp_path / "big.csv", [HEADER, *rows])
    done = run(source, "--data-dir", tmp_path / "data", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "20,000 new" in done.stdout
    file = AppPaths.under(tmp_path / "data").workspace_file("Default")
    with Workspace.open(file) as ws:
        assert ws.fetch("SELECT count(*) FROM index_backlog") == [(0,)]
        assert ws.fetch("SELECT count(*) FROM search_backlog") == [(0,)]
        hits = "SELECT count(*) FROM contacts_search WHERE contacts_search MATCH '\"okafor\"'"
        assert ws.fetch(hits) == [(20_000,)]
        names = {r[0] for r in ws.fetch("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"contacts_by_name", "consent_by_contact"} <= names


def test_the_window_s_remembered_mapping_and_domains_apply(tmp_path: Path) -> None:
    """What the import wizard remembers (the organisation's domains, the columns chosen for
    a header set) is used by the command line too, and a committed mapping is remembered."""
    from mjdesk.core.importing import Role, guess_mapping, read_table
    from mjdesk.core.importing.remembered import (
        remember_mapping,
        remembered_mappings,
        set_org_domains,
    )
    from mjdesk.core.settings import Settings

    paths = AppPaths.under(tmp_path / "data")
    paths.ensure()
    source = write_csv(
        tmp_path / "staff.csv",
        [
            ["Work mail", "Opt", "Who"],
            ["ann@yrok.ac.uk", "yes", "Ann"],
            ["bob@york.ac.uk", "yes", "Bob"],
        ],
    )
    table = read_table(source)
    chosen = guess_mapping(table).with_role("Opt", Role.CONSENT).with_role("Work mail", Role.EMAIL)
    settings = Settings.load(paths.settings_file)
    set_org_domains(settings, ("york.ac.uk",))
    remember_mapping(settings, table, chosen)
    settings.save(paths.settings_file)

    done = run(
        source, "--data-dir", tmp_path / "data", "--report", tmp_path / "r.csv", cwd=tmp_path
    )
    assert done.returncode == 1, done.stderr  # the misspelt organisation address is held back
    assert "possible typo" in done.stdout.lower()
    report = (tmp_path / "r.csv").read_text(encoding="utf-8")
    assert "ann@york.ac.uk" in report  # the fix offered, from the remembered domain
    assert "'Opt' -> consent" in done.stdout  # the remembered mapping, not a guess

    again = Settings.load(paths.settings_file)
    assert set(remembered_mappings(again)) == set(remembered_mappings(settings))


def test_importing_an_unchanged_file_again_records_nothing(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "sign-ups.csv", [HEADER, *ROWS])
    first = run(source, "--data-dir", tmp_path / "data", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    before = state(tmp_path / "data")
    again = run(source, "--data-dir", tmp_path / "data", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "Nothing to change" in again.stdout
    assert "Imported into" not in again.stdout
    after = state(tmp_path / "data")
    assert after == before  # no empty import in the history, no activity
    with Workspace.open(AppPaths.under(tmp_path / "data").workspace_file("Default")) as ws:
        assert ws.fetch("SELECT count(*) FROM import_batches") == [(1,)]
        assert ws.fetch("SELECT count(*) FROM activity") == [(1,)]


@pytest.mark.parametrize("option", ["--report", "--annotated-copy"])
def test_an_output_aimed_at_the_source_file_is_refused(tmp_path: Path, option: str) -> None:
    """The source file is the consent proof (its SHA-256 is in the ledger): no report may
    overwrite it, also through another spelling of its path or a link to it."""
    suffix = ".xlsx" if option == "--annotated-copy" else ".csv"  # (never read: refused first)
    source = write_csv(tmp_path / f"sign-ups{suffix}", [HEADER, *ROWS])
    (tmp_path / "sub").mkdir()
    link = tmp_path / f"link{suffix}"
    link.symlink_to(source)
    original = source.read_bytes()
    for target in (source, tmp_path / "sub" / ".." / source.name, link):
        done = run(source, option, target, "--data-dir", tmp_path / "data", cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert "is the file being imported" in done.stderr
        assert source.read_bytes() == original
    assert not AppPaths.under(tmp_path / "data").workspace_file("Default").exists()


@pytest.mark.parametrize(
    ("fault", "said"),
    [(KeyboardInterrupt, "was stopped"), (sqlite3.OperationalError("disk I/O error"), "failed")],
)
def test_an_interrupted_index_build_says_the_import_is_saved(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fault: BaseException | type[BaseException],
    said: str,
) -> None:
    """Ctrl+C (or a failure) while the indexes of a big import are built comes after the
    commit: the message says the import is saved, and the exit code is the import's."""
    from mjdesk import cli_import

    def interrupted(_workspace: object) -> None:
        raise fault

    monkeypatch.setattr(cli_import, "catch_up", interrupted)
    # In this process, the log must not take over the test run's warnings and handlers.
    monkeypatch.setattr("mjdesk.core.logs.setup_logging", lambda *_a, **_k: None)
    source = write_csv(tmp_path / "sign-ups.csv", [HEADER, *ROWS])
    code = cli_import.main([str(source), "--data-dir", str(tmp_path / "data")])
    out, err = capsys.readouterr()
    assert code == 0
    assert "Imported into profile 'Default': 2 new" in out
    assert f"the import is saved, but building its search indexes {said}" in err
    assert "nothing was imported" not in err
    assert len(state(tmp_path / "data")["contacts"]) == 2


def test_a_sheet_with_one_absurdly_far_cell_is_refused_with_a_message(tmp_path: Path) -> None:
    done = run(far_cell(tmp_path / "far.xlsx"), "--data-dir", tmp_path / "data", cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "far.xlsx, sheet 'Sheet1' has cells as far as row 1,048,576" in done.stderr
    assert "panicked" not in done.stderr


def test_an_encrypted_workbook_opens_with_a_password_file_or_the_environment(
    tmp_path: Path,
) -> None:
    secret = "Velvet-9-Pa55"
    book = encrypted_xlsx(tmp_path / "locked.xlsx", [HEADER, *ROWS], secret)
    data = tmp_path / "data"
    asked = run(book, "--dry-run", "--data-dir", data, cwd=tmp_path)
    assert asked.returncode == 2
    assert "locked.xlsx is protected with a password" in asked.stderr
    assert "--password-file" in asked.stderr
    assert "MJDESK_WORKBOOK_PASSWORD" in asked.stderr

    (tmp_path / "wrong.txt").write_text("guess\n", encoding="utf-8")
    wrong = run(book, "--password-file", tmp_path / "wrong.txt", "--data-dir", data, cwd=tmp_path)
    assert wrong.returncode == 2
    assert "The password does not open locked.xlsx" in wrong.stderr
    assert "guess" not in wrong.stderr + wrong.stdout

    (tmp_path / "pw.txt").write_text(f"{secret}\r\nsecond line\n", encoding="utf-8")
    done = run(book, "--password-file", tmp_path / "pw.txt", "--data-dir", data, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(state(data)["contacts"]) == 2

    again = run(
        book,
        "--dry-run",
        "--data-dir",
        data,
        cwd=tmp_path,
        env={"MJDESK_WORKBOOK_PASSWORD": secret},
    )
    assert again.returncode == 0, again.stderr
    assert "2 rows" in again.stdout
    logged = "".join(p.read_text("utf-8") for p in data.rglob("*.log*") if p.is_file())
    assert "locked.xlsx" in logged  # the log was read
    assert secret not in logged + done.stdout + done.stderr + again.stdout + again.stderr


def test_a_huge_notes_cell_holds_back_only_its_row(tmp_path: Path) -> None:
    rows = [["Email", "Consent", "Notes"], ["ann@example.org", "yes", "x" * 300_000]]
    rows.append(["bob@example.org", "yes", "short"])
    source = write_csv(tmp_path / "notes.csv", rows)
    done = run(source, "--data-dir", tmp_path / "data", cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # one row held back, the rest imported
    assert "1 row not imported" in done.stderr
    contacts = state(tmp_path / "data")["contacts"]
    assert len(contacts) == 1


def test_a_consent_date_in_the_future_is_refused(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "s.csv", [["Email"], ["a@example.org"]])
    done = run(
        source, "--all-consented", "--wording", "W", "--source", "S",
        "--consent-date", "2099-01-01", "--data-dir", tmp_path / "data", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "in the future" in done.stderr


def test_gdpr_access_writes_everything_about_one_person(tmp_path: Path) -> None:
    import json

    source = write_csv(tmp_path / "sign-ups.csv", [HEADER, *ROWS])
    data = tmp_path / "data"
    assert run(source, "--data-dir", data, cwd=tmp_path).returncode == 0
    done = subprocess.run(
        [sys.executable, "-m", "mjdesk", "gdpr", "access", "Ann@Example.org",
         str(tmp_path / "out"), "--data-dir", str(data)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    [json_file] = (tmp_path / "out").glob("*.json")
    record = json.loads(json_file.read_text(encoding="utf-8"))
    assert record["email"] == "ann@example.org"
    assert record["proofs"][0]["source_file"] == "sign-ups.csv"
    missing = subprocess.run(
        [sys.executable, "-m", "mjdesk", "gdpr", "access", "nobody@example.org",
         str(tmp_path / "out2"), "--data-dir", str(data)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert missing.returncode == 2
    assert "No contact in this workspace has the address nobody@example.org" in missing.stderr


def test_gdpr_erase_needs_yes_then_erases_and_names_the_backups(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "sign-ups.csv", [HEADER, *ROWS])
    data = tmp_path / "data"
    assert run(source, "--data-dir", data, cwd=tmp_path).returncode == 0

    def gdpr(*words: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mjdesk", "gdpr", *words, "--data-dir", str(data)],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    unconfirmed = gdpr("erase", "Ann@Example.org")
    assert unconfirmed.returncode == 2
    assert "cannot be undone" in unconfirmed.stderr
    assert "--yes" in unconfirmed.stderr
    workspace = data / "data" / "workspaces" / "Default.sqlite3"
    kept = workspace.with_name("Default.format6.20250101T000000Z.bak.sqlite3")
    kept.write_bytes(b"an older copy")
    done = gdpr("erase", "ann@example.org", "--yes", "--reason", "ticket 12")
    assert done.returncode == 0, done.stderr
    assert "Erased ann@example.org" in done.stdout
    assert str(kept) in done.stdout
    assert b"ann@example.org" not in workspace.read_bytes().lower()
    again = gdpr("erase", "ann@example.org", "--yes")
    assert again.returncode == 2
    assert "No contact in this workspace has the address ann@example.org" in again.stderr
    assert gdpr("access", "ann@example.org", str(tmp_path / "out")).returncode == 2
    for log in (data / "logs").glob("*.log*"):
        assert b"ann@example.org" not in log.read_bytes().lower()


def test_the_people_of_the_file_are_put_on_a_list(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "sign-ups.csv", [HEADER, *ROWS])
    done = run(source, "--list", "Open day", "--data-dir", tmp_path / "data", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "2 contacts added to Open day (a new list)." in done.stdout
    # Again, as a scheduled job would: nothing to import, and they are on the list already.
    again = run(source, "--list", "Open day", "--data-dir", tmp_path / "data", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "All 2 contacts are on that list already." in again.stdout
    with Workspace.open(AppPaths.under(tmp_path / "data").workspace_file("Default")) as ws:
        assert ws.fetch(
            "SELECT count(*) FROM memberships m JOIN lists l ON l.id = m.list_id "
            "WHERE l.name = 'Open day'"
        ) == [(2,)]
