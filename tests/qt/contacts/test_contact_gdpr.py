"""The details panel's GDPR buttons: everything held about the person to a folder, and their
erasure after a confirmation that names them, both off the GUI thread."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from mjdesk.core.changes import IMPORTED
from mjdesk.core.importing.plan import Outcome
from mjdesk.ui.common import dialogs
from mjdesk.ui.shell.main_window import MainWindow

from support.importing import prepare, run_import

OpenWindow = Callable[..., MainWindow]
PERSON = [
    "zorya.pemberton-quayle@example.org",
    "Zorya",
    "Pemberton-Quayle",
    "yes",
    "2025-01-01",
    "A",
]
OTHER = ["bob@example.org", "Bob", "Baker", "yes", "2025-01-02", "B"]


def addresses(window: MainWindow) -> list[str]:
    model = window.contacts_page.model
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def test_the_person_is_exported_then_erased_from_the_details_panel(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window()
    run_import(window.workspace, [PERSON, OTHER])
    window.events.announce(IMPORTED)
    page = window.contacts_page
    qtbot.waitUntil(lambda: len(addresses(window)) == 2)
    [(contact_id,)] = window.workspace.fetch(
        "SELECT id FROM contacts WHERE email_key = ?", (PERSON[0],)
    )
    panel = page.open_details(contact_id)
    gdpr = page.gdpr
    assert gdpr is not None
    qtbot.waitUntil(lambda: "Zorya" in panel.text.toPlainText(), timeout=5_000)

    out = tmp_path / "request 12"
    monkeypatch.setattr(dialogs, "ask_folder", lambda *_a, **_k: out)
    gdpr.export_button.click()
    qtbot.waitUntil(
        lambda: "Everything held" in window.statusBar().currentMessage(), timeout=10_000
    )
    assert str(out) in window.statusBar().currentMessage()
    [data] = out.glob("*.json")
    record = json.loads(data.read_text(encoding="utf-8"))
    assert record["email"] == PERSON[0]
    assert (record["first_name"], record["last_name"]) == ("Zorya", "Pemberton-Quayle")
    assert record["proofs"][0]["source_file"] == "people.csv"
    [html_page] = out.glob("*.html")
    assert f"What is held about {PERSON[0]}" in html_page.read_text(encoding="utf-8")

    backup = window.workspace.path.with_name(
        f"{window.workspace.path.stem}.format6.20250101T000000Z.bak.sqlite3"
    )
    backup.write_bytes(b"an older copy")
    asked: list[str] = []

    def refuse(_parent: object, _title: str, text: str, _action: str) -> bool:
        asked.append(text)
        return False

    monkeypatch.setattr(dialogs, "ask_confirm", refuse)
    gdpr.erase_button.click()
    qtbot.waitUntil(lambda: bool(asked) and gdpr.erase_button.isEnabled(), timeout=5_000)
    assert PERSON[0] in asked[0]
    assert "cannot be undone" in asked[0]
    assert str(backup) in asked[0]
    assert PERSON[0] in addresses(window)  # refused: nothing done

    monkeypatch.setattr(dialogs, "ask_confirm", lambda *_a: True)
    gdpr.erase_button.click()
    qtbot.waitUntil(lambda: addresses(window) == [OTHER[0]], timeout=10_000)
    assert not panel.isVisible()
    assert "Erased" in window.statusBar().currentMessage()
    assert "Backups made before that still hold them: 1." in window.statusBar().currentMessage()
    raw = window.workspace.path.read_bytes().lower()
    assert b"pemberton-quayle" not in raw
    _cleaned, plan = prepare(window.workspace, [PERSON])  # a re-import holds them back
    assert plan.outcomes == [Outcome.BLOCKED_ERASED]
