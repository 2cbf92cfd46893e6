"""Server-assigned ids: one generator for every layer."""

from __future__ import annotations

import secrets


def new_id(prefix: str) -> str:
    """Random rather than sequential, so ids leak no volume and need no round trip to the
    database; 64 bits make a collision within one installation practically impossible."""
    return f"{prefix}_{secrets.token_hex(8)}"
