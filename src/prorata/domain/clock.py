"""The clock is passed in; the domain never asks the system for today."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol


class Clock(Protocol):
    def today(self) -> date: ...

    def now(self) -> datetime: ...


class SystemClock:
    """Real time in the platform zone (UTC unless configured, T1)."""

    def today(self) -> date:
        return datetime.now(UTC).date()

    def now(self) -> datetime:
        return datetime.now(UTC)


class TestClock:
    """A date that only moves forward when told to: POST /v1/test/clock."""

    __test__ = False  # not a pytest class

    def __init__(self, start: date) -> None:
        self._today = start

    def today(self) -> date:
        return self._today

    def now(self) -> datetime:
        return datetime.combine(self._today, datetime.min.time(), UTC)

    def set(self, day: date) -> None:
        self._today = day
