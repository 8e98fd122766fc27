"""Counts in words: one row, two rows."""

from __future__ import annotations

from mjdesk.core.wording import count


def test_counts_take_the_right_form() -> None:
    assert count(1, "row") == "1 row"
    assert count(0, "row") == "0 rows"
    assert count(22, "row") == "22 rows"
    assert count(1_234_567, "contact") == "1,234,567 contacts"
    assert count(1, "cell holds", "cells hold") == "1 cell holds"
    assert count(2, "cell holds", "cells hold") == "2 cells hold"
