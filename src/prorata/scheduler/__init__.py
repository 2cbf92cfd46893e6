"""The daily run: set-oriented, exactly once per subscription and day (SPEC S12)."""

from prorata.scheduler.runner import run_day, run_through

__all__ = ["run_day", "run_through"]
