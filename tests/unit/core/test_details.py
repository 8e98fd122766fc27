"""Everything held about one contact: fields, properties, the proof of each consent, lists,
history."""

from __future__ import annotations

from pathlib import Path

from mjdesk.core.details import contact_details, details_html, find_contact
from mjdesk.core.filters import set_retention_months
from mjdesk.core.workspace import Workspace

from support.importing import MIXED, run_import, seed


def test_the_details_of_a_contact_hold_the_proof_of_its_consent(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws.sqlite3") as ws:
        seed(ws)
        result, _ = run_import(ws, MIXED)
        [(contact_id,)] = ws.fetch("SELECT id FROM contacts WHERE email_key = 'new@example.org'")
        with ws.reading() as con:
            details = contact_details(con, contact_id)
            assert contact_details(con, 10_000) is None
    assert details is not None
    assert details.email == "new@example.org"
    assert (details.first_name, details.last_name) == ("Nia", "New")
    assert details.properties == {"team": "B"}
    assert details.consent_status == "granted"
    [proof] = details.proofs
    assert proof.status == "granted"
    assert proof.given_at.startswith("2025-01-01")
    assert proof.source_file == "people.csv"
    assert len(proof.source_sha256) == 64
    assert proof.source_row == 2  # the header is row 1
    assert proof.import_id == result.batch_id
    assert proof.recorded_by == "tester"
    [(when, who, what)] = details.history
    assert who == "tester"
    assert what.startswith("Import of people.csv")
    assert when
    assert details.lists == []


def test_an_access_export_holds_everything_about_the_person(tmp_path: Path) -> None:
    import html
    import json

    import pytest

    from mjdesk.core.details import NoSuchPerson, access_export, find_contact

    with Workspace.open(tmp_path / "ws.sqlite3") as ws:
        seed(ws)
        run_import(ws, MIXED)
        with ws.reading() as con:
            details = contact_details(con, find_contact(con, " OLD@example.org "))
            with pytest.raises(NoSuchPerson, match=r"nobody@example\.org"):
                find_contact(con, "nobody@example.org")
    assert details is not None
    data, page = access_export(details, tmp_path / "out")
    record = json.loads(data.read_text(encoding="utf-8"))
    assert record["email"] == "old@example.org"
    assert record["exported_at"]
    assert len(record["proofs"]) == len(details.proofs) >= 1
    assert record["lists"] == [["News", "unsubscribed; in Mailjet: unsubscribed"]]
    assert {p["status"] for p in record["proofs"]} <= {"granted", "withdrawn"}
    assert record["history"]
    text = page.read_text(encoding="utf-8")
    assert "What is held about old@example.org" in text
    assert html.escape(details.proofs[0].given_at) in text


def test_a_consent_older_than_the_retention_period_is_called_too_old(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws.sqlite3") as ws:
        seed(ws)  # old@example.org consented on 2024-01-01
        [(old,)] = ws.fetch("SELECT id FROM contacts WHERE email_key = 'old@example.org'")
        with ws.reading() as con:
            details = contact_details(con, old)
        assert details is not None
        assert details.stale_after_months == 24
        assert "Too old:</b> given more than 24 months ago" in details_html(details)
        with ws.transaction() as con:
            set_retention_months(con, 240)
        with ws.reading() as con:
            fresh = contact_details(con, old)
        assert fresh is not None
        assert fresh.stale_after_months is None
        assert "Too old" not in details_html(fresh)


def test_lists_of_a_person_without_current_consent_say_they_are_not_mailed(
    tmp_path: Path,
) -> None:
    with Workspace.open(tmp_path / "ws.sqlite3") as ws:
        seed(ws)  # gone@example.org withdrew; quiet@example.org never consented; both on News
        with ws.reading() as con:
            quiet = contact_details(con, find_contact(con, "quiet@example.org"))
        assert quiet is not None
        assert quiet.lists
        assert "Not mailed on these lists" in details_html(quiet)
