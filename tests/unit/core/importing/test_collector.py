"""The cyclic garbage collector around the import's bulk work (mjdesk.core.importing.table)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from mjdesk.core.importing.table import collector_paused


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_what_a_paused_block_made_goes_to_the_oldest_generation_unwalked() -> None:
    with collector_paused():
        assert not gc.isenabled()
        columns = [[f"cell {i}" for i in range(1000)] for _ in range(50)]
    assert gc.isenabled()
    # Nothing young is left for the next collection to walk: the columns are old already.
    assert gc.get_count()[0] < 10
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert all(id(column) in oldest for column in columns)


def test_a_cycle_made_in_a_paused_block_is_still_collected() -> None:
    with collector_paused():
        node = Node()
        gone = weakref.ref(node)
    del node
    gc.collect()
    assert gone() is None  # nothing stayed frozen


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()
