"""What the Preview page reads and words (no widgets): the checklist's cases and report."""

from __future__ import annotations

from pathlib import Path

from mjdesk.core.preview.cache import store_senders
from mjdesk.core.preview.checks import Status, check_coverage
from mjdesk.core.preview.coverage import WHO_CAP, Coverage, FieldCoverage
from mjdesk.core.preview.mail import Mail, MailKind
from mjdesk.core.preview.preflight import preflight
from mjdesk.core.preview.renderer import render_mail
from mjdesk.core.workspace import Workspace
from mjdesk.ui.preview.reading import (
    WHO_SHOWN,
    Checklist,
    checklist,
    open_mailing,
    render_for,
    report_markdown,
)


def _big_gap() -> Checklist:
    """976 of 1,359 recipients lack a department; coverage names only the first 50."""
    ids = tuple(range(1, WHO_CAP + 1))
    field = FieldCoverage("data", "department", None, 1359, 976, 0, ids, ())
    coverage = Coverage(1, 1359, (field,))
    who = {i: f"p{i}@dept.example.ac.uk" for i in ids[:WHO_SHOWN]}
    return Checklist((check_coverage(coverage),), coverage, who)


def test_who_gets_nothing_counts_everyone_not_just_the_named() -> None:
    checks = _big_gap()
    lines = checks.cases(checks.results[0])
    named = next(line for line in lines if "— nothing for:" in line)
    assert named.endswith(f" and {976 - WHO_SHOWN:,} more"), named
    report = report_markdown(
        Mail(MailKind.FILE, "x.html", "x", subject="s", html="<p>hi</p>"),
        render_mail(Mail(MailKind.FILE, "x.html", "x", html="<p>hi</p>"), {}),
        checks,
        "nobody",
        "now",
    )
    assert f"and {976 - WHO_SHOWN:,} more" in report


def test_a_field_nobody_has_names_nobody() -> None:
    talks = FieldCoverage("var", "talks", None, 1359, 1359, 0, tuple(range(1, 51)), ())
    coverage = Coverage(1, 1359, (talks,))
    checks = Checklist((check_coverage(coverage),), coverage, {1: "p1@dept.example.ac.uk"})
    assert checks.cases(checks.results[0]) == [
        "var:talks: empty for all 1,359 recipients: a campaign never fills var: fields "
        "(they come with each API message)"
    ]


def test_a_local_file_gets_the_same_sender_verdict_in_the_app_and_on_the_command_line(
    tmp_path: Path,
) -> None:
    mail = Mail(MailKind.FILE, "x.html", "x.html", html="<p>Hi [[UNSUB_LINK_EN]]</p>")
    with Workspace.open(tmp_path / "w.sqlite3") as workspace:
        with workspace.transaction() as con:
            store_senders(con, {"*@dept.example.ac.uk": "Active"}, "n")
        with workspace.reading() as con:
            opened = open_mailing(con, mail)
            in_workspace = preflight(con, mail, None)
    page = checklist(opened, render_for(mail, None), None, {})
    without_workspace = preflight(None, mail, None)
    verdicts = {
        next((r.status, r.reason) for r in checks if r.key == "sender")
        for checks in (page.results, in_workspace.checks, without_workspace.checks)
    }
    assert len(verdicts) == 1
    assert verdicts.pop()[0] is Status.PASS
