"""How notifications are delivered. Read from the environment by `NotifyConfig.from_env()`
when the worker job is called without one (the job's signature is the worker's, shared by
every background job, so it cannot take this as a positional argument).

- `PRORATA_SMTP_URL`: `smtp://[user:password@]host:port` (`smtps://` for TLS from the
  start, `?starttls=1` to upgrade); unset: no e-mail.
- `PRORATA_MAIL_FROM`: the sender of notification e-mails
  (default `Prorata <notifications@localhost>`).
- `PRORATA_WEBHOOK_TIMEOUT`: seconds a receiver has to answer (default 10).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class NotifyConfig:
    smtp_url: str | None = None
    mail_from: str = "Prorata <notifications@localhost>"
    http_timeout: float = 10.0
    batch: int = 200                 # deliveries claimed at once
    senders: int = 8                 # webhooks sent at the same time
    max_attempts: int = 10           # then the delivery is given up (status failed)
    first_delay: float = 30.0        # seconds before the 2nd attempt; ×3 each time after
    max_delay: float = 12 * 3600.0
    disable_after: int = 50          # failed attempts in a row, the first one ...
    disable_after_hours: float = 24  # ... at least this long ago: the endpoint is disabled
    lease_seconds: float = 300.0     # a claim a worker that died held expires after this

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> NotifyConfig:
        env = os.environ if env is None else env
        timeout = env.get("PRORATA_WEBHOOK_TIMEOUT")
        return cls(smtp_url=env.get("PRORATA_SMTP_URL") or None,
                   mail_from=env.get("PRORATA_MAIL_FROM") or cls.mail_from,
                   http_timeout=float(timeout) if timeout else cls.http_timeout)

    def delay(self, attempt: int) -> timedelta:
        """Exponential back-off: 30 s, 1.5 min, 4.5 min, … up to 12 h (about 2 days for
        ten attempts)."""
        return timedelta(seconds=min(self.first_delay * 3 ** max(attempt - 1, 0),
                                     self.max_delay))
