"""Ids for the daily run, drawn in bulk.

`prorata.ids.new_id` costs a `secrets.token_hex` call (an `os.urandom` system call) per id;
the daily run makes two ids per subscription, which was ~5 µs of its ~100 µs. Here the same
format from the same source (`os.urandom`, as `secrets` uses) is read 4,096 ids at a time."""

from __future__ import annotations

import os

_BYTES = 8  # as new_id: 64 random bits, 16 hex digits


class BulkIds:
    """A `new_id` replacement for one thread (the one that decides and encodes)."""

    def __init__(self, per_draw: int = 4096) -> None:
        self._per_draw = per_draw
        self._hex = ""
        self._at = 0

    def __call__(self, prefix: str) -> str:
        at = self._at
        if at >= len(self._hex):
            self._hex = os.urandom(_BYTES * self._per_draw).hex()
            at = 0
        self._at = at + 2 * _BYTES
        return f"{prefix}_{self._hex[at:at + 2 * _BYTES]}"
