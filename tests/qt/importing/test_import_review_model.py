"""The review model: a correct Qt model, lazy over big dry runs, filtered by outcome."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from data.make_import_corpus import make_table
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester

from mjdesk.core.importing import (
    ExistingContact,
    Outcome,
    Plan,
    clean_table,
    guess_mapping,
    plan_import,
)
from mjdesk.ui.importing.review_model import DETAILS, EMAIL, OUTCOME, ReviewModel


def existing(keys: Sequence[str]) -> Mapping[str, ExistingContact]:
    return {k: ExistingContact(k, "Old", "", {}, "granted") for k in keys if k == "bob@example.org"}


def small_plan() -> Plan:
    table = make_table(
        ["Email", "First name", "Consent"],
        ["ann@example.org", "Ann", "yes"],
        ["bob@example.org", "Bob", "yes"],
        ["cat@gmial.com", "Cat", "yes"],
        ["nope", "Dan", "yes"],
        ["ann@example.org", "Ann", "yes"],
        ["eve@example.org", "Eve", "no"],
        ["info@example.org", "", "yes"],
    )
    cleaned = clean_table(table, guess_mapping(table))
    return plan_import(cleaned, lookup=existing, is_erased=lambda key: key == "eve@example.org")


def test_review_model_passes_the_model_tester(qtmodeltester: ModelTester) -> None:
    model = ReviewModel()
    qtmodeltester.check(model)  # empty
    model.set_plan(small_plan())
    qtmodeltester.check(model, force_py=True)
    model.set_filter(frozenset({Outcome.NEW}))
    qtmodeltester.check(model, force_py=True)


def test_rows_say_what_happens_and_why() -> None:
    model = ReviewModel()
    model.set_plan(small_plan())
    assert model.rowCount() == 7
    texts = {}
    for r in reversed(range(model.rowCount())):  # the first of a duplicated address wins
        outcome, details = model.index(r, OUTCOME).data(), model.index(r, DETAILS).data()
        texts[model.index(r, EMAIL).data()] = (outcome, details)
    assert texts["ann@example.org"][0] == "New"
    assert texts["bob@example.org"] == ("Update", "first name: Old → Bob")
    assert texts["cat@gmial.com"] == ("Typo?", "Did you mean cat@gmail.com?")
    assert texts["nope"][0] == "Invalid"
    assert "role" in texts["info@example.org"][1]
    assert model.index(4, OUTCOME).data() == "Duplicate of row 2"
    assert model.index(1, OUTCOME).data(Qt.ItemDataRole.ForegroundRole) is not None


def test_filters_and_edits() -> None:
    model = ReviewModel()
    model.set_plan(small_plan())
    model.set_filter(frozenset({Outcome.INVALID, Outcome.DUPLICATE}))
    assert model.rowCount() == 2
    assert [model.row_index(r) for r in range(2)] == [3, 4]
    assert model.view_row_of(4) == 1
    assert model.view_row_of(0) is None
    edits: list[tuple[int, str]] = []
    model.editRequested.connect(lambda i, text: edits.append((i, text)))
    assert model.flags(model.index(0, EMAIL)) & Qt.ItemFlag.ItemIsEditable
    assert not model.flags(model.index(0, OUTCOME)) & Qt.ItemFlag.ItemIsEditable
    assert model.setData(model.index(0, EMAIL), " dan@example.org ")
    assert edits == [(3, "dan@example.org")]


def test_a_hundred_thousand_rows_cost_nothing_to_show() -> None:
    rows = [[f"p{i}@example.org", "yes" if i % 10 else "no"] for i in range(100_000)]
    table = make_table(["Email", "Consent"], *rows)
    cleaned = clean_table(table, guess_mapping(table))
    plan = plan_import(cleaned, lookup=lambda keys: {}, is_erased=lambda key: False)
    model = ReviewModel()
    started = time.perf_counter()
    model.set_plan(plan)
    assert model.rowCount() == 100_000
    assert model.index(99_999, EMAIL).data() == "p99999@example.org"
    model.set_filter(frozenset({Outcome.SKIPPED_NO_CONSENT}))
    assert model.rowCount() == 10_000
    assert model.index(9_999, EMAIL).data() == "p99990@example.org"
    assert time.perf_counter() - started < 1.0


def test_sorting_by_a_column_keeps_filters_and_finds_rows_again(
    qtmodeltester: ModelTester,
) -> None:
    model = ReviewModel()
    model.set_plan(small_plan())

    def emails() -> list[str]:
        return [model.index(r, EMAIL).data() for r in range(model.rowCount())]

    model.sort(EMAIL, Qt.SortOrder.AscendingOrder)
    assert emails() == sorted(emails(), key=str.casefold)
    assert emails()[0] == "ann@example.org"
    qtmodeltester.check(model, force_py=True)
    model.sort(EMAIL, Qt.SortOrder.DescendingOrder)
    assert emails()[0] == "nope"
    # Rows that tie keep the file's order: the two ann@ rows, 1 before 5.
    model.sort(OUTCOME, Qt.SortOrder.AscendingOrder)
    outcomes = [model.index(r, OUTCOME).data() for r in range(model.rowCount())]
    assert outcomes == sorted(outcomes)
    # A filter keeps the order; the view finds a plan row wherever it went.
    model.sort(EMAIL, Qt.SortOrder.DescendingOrder)
    model.set_filter(frozenset({Outcome.NEW, Outcome.DUPLICATE}))
    assert [model.row_index(r) for r in range(model.rowCount())] == [6, 0, 4]
    assert model.view_row_of(4) == 2
    assert model.view_row_of(3) is None
    # A new plan (after a fix) is shown in the same order.
    model.set_plan(small_plan())
    assert [model.row_index(r) for r in range(model.rowCount())] == [6, 0, 4]
    # Row, ascending: back to the file's order.
    model.set_filter(frozenset())
    model.sort(0, Qt.SortOrder.AscendingOrder)
    assert [model.row_index(r) for r in range(model.rowCount())] == list(range(7))


def test_the_consent_column_shows_the_consent_after_the_import() -> None:
    """Someone already consented whose row says 'no' keeps their consent: the column must not
    read as if it were being removed."""
    from mjdesk.ui.importing.review_model import CONSENT

    def known(keys: Sequence[str]) -> Mapping[str, ExistingContact]:
        status = {"kim@example.org": "granted", "lou@example.org": "withdrawn"}
        return {k: ExistingContact(k, "", "", {}, status[k]) for k in keys if k in status}

    table = make_table(
        ["Email", "Consent"],
        ["kim@example.org", "no"],
        ["lou@example.org", "yes"],
        ["new@example.org", "no"],
    )
    plan = plan_import(
        clean_table(table, guess_mapping(table)), lookup=known, is_erased=lambda _k: False
    )
    model = ReviewModel()
    model.set_plan(plan)
    shown = {
        model.index(r, EMAIL).data(): model.index(r, CONSENT).data()
        for r in range(model.rowCount())
    }
    assert shown["kim@example.org"] == "Granted, kept (file: not given)"
    assert plan.consent_after(0) == "granted"
    assert shown["new@example.org"] == "Not given"
    assert plan.consent_after(2) == "none"
    lou = shown["lou@example.org"]  # an undated 'yes' never overrides a withdrawal
    assert lou == "Withdrawn, kept (file: granted)", lou
