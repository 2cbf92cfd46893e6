"""CPU time of processes on this machine, read from /proc (Linux): the benchmarks' servers
(`prorata serve` and its workers, PostgreSQL's backends) run beside them."""

from __future__ import annotations

import os
from pathlib import Path


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of `pid` so far; OSError once it has exited."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def family(pid: int) -> set[int]:
    """`pid` and every process descending from it (e.g. the workers of `serve --workers N`)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # exited while listed
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, grew = {pid}, True
    while grew:
        children = {child for child, parent in parents.items() if parent in found}
        grew = not children <= found
        found |= children
    return found


def family_cpu_seconds(pid: int) -> float:
    """CPU seconds of `pid` and its descendants that are still running."""
    total = 0.0
    for member in family(pid):
        try:
            total += cpu_seconds(member)
        except OSError:
            pass  # exited since it was listed
    return total
