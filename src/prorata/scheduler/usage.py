"""The daily run's consumption step (SPEC B4): usage charged in arrears on billing days. Its
own module so the runner only calls it (services/usage_rating.py holds the rules)."""

from __future__ import annotations

from datetime import date
from typing import Any

from prorata.services import usage_rating


def charge_usage(database: Any, day: date) -> dict[str, int]:
    """Before the day's invoices: lines written today go on tomorrow's documents (B5)."""
    return usage_rating.rate_day(database, day)
