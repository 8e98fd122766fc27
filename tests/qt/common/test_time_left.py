"""The time a long job still needs, as the progress strip words it."""

from __future__ import annotations

import pytest

from mjdesk.ui.common.progress import time_left


@pytest.mark.parametrize(
    ("done", "total", "elapsed", "said"),
    [
        (0, 100, 10.0, ""),  # (nothing done yet: no pace)
        (50, 100, 1.0, ""),  # (too early to say)
        (100, 100, 10.0, ""),  # (done)
        (50, 100, 20.0, "about 20 s left"),
        (10, 100, 3.0, "about 25 s left"),
        (10, 1000, 4.0, "about 7 min left"),
        (999, 1000, 60.0, "about 1 s left"),
    ],
)
def test_time_left_follows_the_pace_so_far(
    done: int, total: int, elapsed: float, said: str
) -> None:
    assert time_left(done, total, elapsed) == said
