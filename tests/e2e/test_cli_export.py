"""``mjdesk export`` as a script runs it: the filter options, the columns, and the exit codes
(0 done, 2 nothing done with the reason, 3 a bug)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from mjdesk import cli_export
from mjdesk.app import main
from mjdesk.core.contacts import ConsentRecord, NewContact, add_contacts
from mjdesk.core.filters import stale_before
from mjdesk.core.flags import refresh_flags
from mjdesk.core.paths import AppPaths
from mjdesk.core.workspace import Workspace


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    recent = stale_before(1)
    people = [
        NewContact("ann@x.org", "Ann", consent=ConsentRecord("granted", recent, "f.csv")),
        NewContact("old@x.org", "Otto", consent=ConsentRecord("granted", "2019-01-01T00:00:00Z")),
        NewContact("gone@x.org", consent=ConsentRecord("withdrawn", recent)),
        NewContact("info@x.org", properties={"Team": "Office"}),
    ]
    file = AppPaths.under(folder).workspace_file("Dept")
    with Workspace.open(file) as ws, ws.transaction() as con:
        add_contacts(con, people, actor="t")
        con.execute("INSERT INTO property_types (name, datatype) VALUES ('Team', 'str')")
        con.execute("INSERT INTO lists (name, created_at) VALUES ('News', 'n')")
        con.execute(
            "INSERT INTO memberships (contact_id, list_id, added_at) "
            "VALUES (1, 1, 'n'), (3, 1, 'n')"
        )
        refresh_flags(con)
    return folder


def export(data_dir: Path, out: Path, *options: str) -> int:
    """The exit code, whether main returns it or the option parser exits with it."""
    argv = ["export", str(out), "--data-dir", str(data_dir), "--profile", "Dept", *options]
    try:
        return main(argv)
    except SystemExit as stop:
        return int(stop.code or 0)


def emails(out: Path) -> list[str]:
    with out.open(encoding="utf-8-sig", newline="") as stream:
        return [row[0] for row in csv.reader(stream)][1:]


def test_options_pick_the_contacts(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    assert export(data_dir, out, "--consent", "granted") == 0
    assert emails(out) == ["ann@x.org", "old@x.org"]
    assert export(data_dir, out, "--consent", "stale") == 0  # the re-permission list
    assert emails(out) == ["old@x.org"]
    assert export(data_dir, out, "--consent", "withdrawn", "--consent", "none") == 0
    assert emails(out) == ["gone@x.org", "info@x.org"]
    assert export(data_dir, out, "--list", "news", "--consent", "granted") == 0
    assert emails(out) == ["ann@x.org"]
    assert export(data_dir, out, "--flag", "role") == 0
    assert emails(out) == ["info@x.org"]
    assert export(data_dir, out, "--search", "otto") == 0
    assert emails(out) == ["old@x.org"]


def test_columns_are_chosen(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.csv"
    assert export(data_dir, out, "--flag", "role", "--columns", "team,email,consent") == 0
    with out.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows == [["Team", "Email", "Consent"], ["Office", "info@x.org", "No consent"]]
    assert "Exported 1 contacts from profile 'Dept'" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (("--list", "Nope"), "no list named 'Nope' (the lists: News)"),
        (("--flag", "nope"), "--flag: no flag 'nope'"),
        (("--columns", "email,nope"), "No column nope"),
        (("--search", "nobody"), "No contact matches; nothing was written."),
        (("--consent", "maybe"), "invalid choice: 'maybe'"),
    ],
)
def test_refusals_exit_2_and_write_nothing(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    options: tuple[str, ...],
    said: str,
) -> None:
    out = tmp_path / "out.xlsx"
    assert export(data_dir, out, *options) == 2
    assert said in capsys.readouterr().err
    assert not out.exists()


def test_no_workspace_and_a_bug(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "out.csv"
    assert main(["export", str(out), "--data-dir", str(tmp_path / "empty")]) == 2
    assert "has no workspace yet" in capsys.readouterr().err

    def broken(*_args: object, **_kw: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli_export, "export_contacts", broken)
    assert export(data_dir, out) == 3
    assert "internal error (RuntimeError: boom)" in capsys.readouterr().err
