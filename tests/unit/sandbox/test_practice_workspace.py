"""The practice profile's workspace comes filled with every case the consent review is for."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mjdesk.core.filters import DEFAULT_RETENTION_MONTHS, stale_before
from mjdesk.core.flags import SYNC_FLAGS, Flag
from mjdesk.core.workspace import Workspace
from mjdesk.sandbox.practice_workspace import fill_practice_workspace
from mjdesk.sandbox.seed import seeded_store

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def practice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    workspace = Workspace.open(tmp_path_factory.mktemp("practice") / "Practice.sqlite3")
    fill_practice_workspace(workspace, now=NOW)
    yield workspace
    workspace.close()


def test_it_holds_the_sandbox_department_contacts_and_lists(practice: Workspace) -> None:
    department = next(iter(seeded_store().accounts.values()))
    held = {row[0] for row in practice.fetch("SELECT email FROM contacts")}
    assert {c.email for c in department.contacts.values()} <= held
    lists = dict(
        practice.fetch(
            "SELECT l.name, count(*) FROM memberships m JOIN lists l "
            "ON l.id = m.list_id GROUP BY l.name"
        )
    )
    assert set(lists) == {item.name for item in department.lists.values()}
    assert sum(lists.values()) == len(department.memberships)


def test_every_consent_state_is_there(practice: Workspace) -> None:
    cutoff = stale_before(DEFAULT_RETENTION_MONTHS, NOW)
    states = dict(
        practice.fetch(
            "SELECT CASE WHEN consent_status = 'granted' THEN "
            "CASE WHEN consent_at < ? THEN 'stale' ELSE 'current' END ELSE consent_status END, "
            "count(*) FROM contacts_with_consent GROUP BY 1",
            (cutoff,),
        )
    )
    assert set(states) == {"current", "stale", "withdrawn", "none"}
    assert states["current"] > sum(states.values()) / 2
    # A withdrawal follows a consent that was given: both are in the ledger.
    withdrawn = practice.fetch(
        "SELECT count(*) "
        "FROM contacts_with_consent c WHERE consent_status = 'withdrawn' AND EXISTS "
        "(SELECT 1 FROM consent_ledger l WHERE l.contact_id = c.id AND l.status = 'granted')"
    )[0][0]
    assert withdrawn == states["withdrawn"]


def test_every_flag_is_there_with_its_case(practice: Workspace) -> None:
    flagged = {
        (flag, email, hint)
        for flag, email, hint in practice.fetch(
            "SELECT f.flag, c.email, f.hint FROM contact_flags f "
            "JOIN contacts c ON c.id = f.contact_id"
        )
    }
    kinds = {flag for flag, _email, _hint in flagged}
    # (the flags of what Mailjet holds come with the first pull)
    assert kinds == {flag.stored for flag in Flag if flag not in SYNC_FLAGS}
    assert ("typo", "sam.okafor@gmial.com", "sam.okafor@gmail.com") in flagged
    assert ("role", "office@dept.example.ac.uk", "") in flagged
    duplicates = {email for flag, email, _hint in flagged if flag == "duplicate"}
    assert any("+" in email for email in duplicates)  # a +tag
    assert any(email.endswith("@googlemail.com") for email in duplicates)
    assert len(duplicates) >= 6


def test_it_is_the_same_every_time(tmp_path: Path) -> None:
    with (
        Workspace.open(tmp_path / "again.sqlite3") as again,
        Workspace.open(tmp_path / "more.sqlite3") as more,
    ):
        fill_practice_workspace(again, now=NOW)
        fill_practice_workspace(more, now=NOW)
        query = (
            "SELECT email, consent_status, consent_at, consent_source "
            "FROM contacts_with_consent ORDER BY id"
        )
        assert again.fetch(query) == more.fetch(query)
        assert again.fetch("SELECT action, count FROM activity") == [("practice", 5011)]
