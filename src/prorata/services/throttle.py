"""Login throttling (issue 6): failed sign-ins are rows in the database, counted over a
sliding window, so every server process enforces the same limits.

Three limits, each over the last `WINDOW`:
- one e-mail from one client address: `PAIR_LIMIT` failures. Guessing from one place stops
  early; a real user signing in from elsewhere is not affected.
- one e-mail from anywhere: `EMAIL_LIMIT` failures, against guessing spread over addresses.
- one client address for any e-mail: `CLIENT_LIMIT` failures, against credential stuffing.

The lockout is bounded: a refused attempt is neither checked nor recorded, so it never
extends the lock, and a lock ends at most `WINDOW` after the last counted failure. An
attacker can lock an e-mail for everyone only by spending `EMAIL_LIMIT` attempts per window
(from several addresses), and for at most `WINDOW` once they stop. `Retry-After` says when
the oldest failure that keeps the limit reached leaves the window."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from prorata.domain.errors import TooManyRequests
from prorata.ids import new_id
from prorata.services.ports import UnitOfWork

WINDOW = timedelta(minutes=15)
PAIR_LIMIT = 5
EMAIL_LIMIT = 20
CLIENT_LIMIT = 50
MAX_EMAIL, MAX_CLIENT = 320, 64


def _keys(email: str, client: str) -> tuple[str, str]:
    return email.strip().lower()[:MAX_EMAIL], client[:MAX_CLIENT]


def check(uow: UnitOfWork, email: str, client: str, now: datetime) -> None:
    """Raise `TooManyRequests` when a limit is reached; answers before any password check."""
    email, client = _keys(email, client)
    since = now - WINDOW
    wait = 0.0
    for by_email, by_client, limit in ((email, client, PAIR_LIMIT), (email, None, EMAIL_LIMIT),
                                       (None, client, CLIENT_LIMIT)):
        count, newest = uow.login_failures_since(by_email, by_client, since, limit)
        if count >= limit and len(newest) >= limit:
            wait = max(wait, (newest[limit - 1] + WINDOW - now).total_seconds())
    if wait > 0:
        raise TooManyRequests("too_many_attempts",
                              "Too many failed sign-ins; try again later",
                              max(1, math.ceil(wait)))


def record_failure(uow: UnitOfWork, email: str, client: str, now: datetime) -> None:
    email, client = _keys(email, client)
    uow.add_login_failure(new_id("lf"), email, client, now)
