"""Server-assigned ids for rows that clients never name (charge lines, operations)."""

from prorata.ids import new_id

__all__ = ["new_id"]
