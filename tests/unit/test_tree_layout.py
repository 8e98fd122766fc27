"""The test tree itself: its folders have no ``__init__.py``, so pytest's default import mode
imports each test module by its bare file name, and two files of one name would collide."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_test_file_names_are_unique_across_the_tree() -> None:
    names = Counter(path.name for path in TESTS.rglob("test_*.py"))
    assert len(names) > 30
    assert [name for name, count in names.items() if count > 1] == []


def test_only_the_support_package_has_an_init_file() -> None:
    inits = sorted(str(path.relative_to(TESTS)) for path in TESTS.rglob("__init__.py"))
    assert inits == ["support/__init__.py"]
