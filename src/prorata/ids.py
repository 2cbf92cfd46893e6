"""Server-assigned ids: one generator for every layer."""

from __future__ import annotations

import os
import time

RANDOM_BYTES = 8  # 64 random bits, 16 hex digits
TIME_DIGITS = 12  # milliseconds since 1970 in 48 bits (as UUIDv7): good until the year 10889


def time_part(now: float | None = None) -> str:
    """The leading, ordered part of an id: the creation time in milliseconds."""
    millis = int((time.time() if now is None else now) * 1000)
    return f"{millis:0{TIME_DIGITS}x}"


def new_id(prefix: str) -> str:
    """Creation time first, then 64 random bits.

    The time part keeps ids made close together close in every index keyed by them, so an
    insert lands on the index's last pages, which are in memory, instead of a random page of a
    table that grows by millions of rows a month (operations, charge lines, events): a purely
    random id made each insert a likely cache miss once the index outgrew the cache. It reveals
    when the object was made — which its own `created_at` already shows — and still nothing of
    volume; 64 random bits make two ids of the same millisecond practically never collide."""
    return f"{prefix}_{time_part()}{os.urandom(RANDOM_BYTES).hex()}"
