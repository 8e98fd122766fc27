"""Everything held about one contact: fields, properties, the proof of each consent, lists,
history."""

from __future__ import annotations

from pathlib import Path

from mjdesk.core.details import contact_details
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
