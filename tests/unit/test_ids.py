"""Server-assigned ids: creation time first, then 64 random bits (docs/DESIGN.md, "Money and
storage"): ids made later sort after, so inserts append to the end of the indexes keyed by them."""

from __future__ import annotations

import re

import pytest

from prorata import ids
from prorata.ids import new_id, time_part
from prorata.scheduler.ids import BulkIds

SHAPE = re.compile(r"^op_[0-9a-f]{12}[0-9a-f]{16}$")


def test_an_id_is_the_prefix_the_time_in_milliseconds_and_64_random_bits() -> None:
    made = new_id("op")
    assert SHAPE.match(made), made
    assert time_part(1_800_000_000.1234) == f"{1_800_000_000_123:012x}"


@pytest.mark.parametrize("make", [new_id, BulkIds(per_draw=16)], ids=["new_id", "BulkIds"])
def test_ids_made_later_sort_after_and_the_same_millisecond_still_differs(
        make: object, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([1_700_000_000.0] * 50 + [1_700_000_000.001] * 50 + [1_800_000_000.0] * 50)
    monkeypatch.setattr(ids.time, "time", lambda: next(clock))
    made = [make("ln") for _ in range(150)]  # type: ignore[operator]
    assert len(set(made)) == 150  # the random part tells apart one millisecond's ids
    batches = [made[:50], made[50:100], made[100:]]
    assert max(batches[0]) < min(batches[1]) and max(batches[1]) < min(batches[2])
    assert all(re.match(r"^ln_[0-9a-f]{28}$", i) for i in made)


def test_bulk_ids_read_a_fresh_random_part_after_each_draw() -> None:
    make = BulkIds(per_draw=4)
    made = [make("op")[-16:] for _ in range(12)]  # three draws
    assert len(set(made)) == 12
