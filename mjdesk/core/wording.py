"""Counts in words, as people write them: "1 row", "22 rows", never "22 row(s)"."""

from __future__ import annotations


def count(number: int, singular: str, plural: str | None = None) -> str:
    """``number`` with the noun in the right form, the number grouped in thousands."""
    noun = singular if number == 1 else (plural or singular + "s")
    return f"{number:,} {noun}"
