"""How fast this shared machine runs plain Python at the moment, printed beside each result.
The same code on the same seeded database has run a 1M daily run at 20,000 and at 29,000
subscriptions/s an hour apart (3 December), and the load average, which counts only this
guest's processes, did not show why. A fixed loop shows one cause, a slower CPU share; it does
not see neighbours' disk and memory traffic, which move SQLite's figures too. Two figures are
comparable at most when their loop times are alike; interleaved pairs on one seeded database
remain the way to compare two versions (docs/design/scale.md)."""

from __future__ import annotations

import statistics
import time

LOOP = 10_000_000


def loop_seconds(repeats: int = 3) -> float:
    """Median wall time of `LOOP` additions in a plain Python loop (0.33–0.53 s on the 2-core
    machine on 3 December)."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        total = 0
        for i in range(LOOP):
            total += i
        times.append(time.perf_counter() - started)
    return statistics.median(times)
