"""Sending one webhook per the Standard Webhooks specification (API.md): JSON body
`{type, timestamp, data}`, headers `webhook-id` (the delivery's id, the same on every
retry), `webhook-timestamp` (this attempt's, in seconds) and `webhook-signature`
(`v1,` + base64 HMAC-SHA256 of "id.timestamp.body", signed by the `standardwebhooks`
package with the endpoint's `whsec_` secret). Any 2xx answer is a success; anything else, a
redirect included, or no answer in time, is a failure to retry."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import urllib3
from standardwebhooks.webhooks import Webhook
from urllib3.exceptions import HTTPError, NewConnectionError, TimeoutError

from prorata.domain.model import Event
from prorata.services.events import event_to_dict, rfc3339

USER_AGENT = "Prorata-Webhooks/1.0"
MAX_ERROR = 500


def body(event: Event, created_at: datetime) -> str:
    """The payload: `data` is the event as `GET /v1/events` shows it."""
    return json.dumps({"type": event.type, "timestamp": rfc3339(created_at),
                       "data": event_to_dict(event, created_at)},
                      separators=(",", ":"), ensure_ascii=False)


def headers(msg_id: str, secret: str, payload: str, now: datetime | None = None) -> dict[str, str]:
    sent = now or datetime.now(UTC)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(sent.timestamp())),
            "webhook-signature": Webhook(secret).sign(msg_id, sent, payload),
            "content-type": "application/json", "user-agent": USER_AGENT}


def client(timeout: float, connections: int) -> urllib3.PoolManager:
    """Keep-alive connections shared by the sending threads (urllib3 is thread-safe); no
    retries or redirects of its own: a retry is a new attempt in the log."""
    return urllib3.PoolManager(num_pools=64, maxsize=connections, block=False,
                               retries=False, timeout=urllib3.Timeout(total=timeout))


def send(pool: urllib3.PoolManager, url: str, msg_id: str, secret: str,
         payload: str) -> dict[str, Any]:
    """One attempt: {ok, status_code, error, duration_ms}."""
    started = time.perf_counter()
    try:
        response = pool.request("POST", url, body=payload.encode(), redirect=False,
                                headers=headers(msg_id, secret, payload))
    except NewConnectionError as exc:  # a subclass of TimeoutError in urllib3 2
        return _result(False, None, f"cannot connect: {exc}"[:MAX_ERROR], started)
    except TimeoutError:
        return _result(False, None, "timed out", started)
    except (HTTPError, OSError, ValueError) as exc:
        return _result(False, None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR], started)
    ok = 200 <= response.status < 300
    error = None if ok else \
        f"HTTP {response.status}: {response.data[:200].decode('utf-8', 'replace')}"
    return _result(ok, response.status, error, started)


def _result(ok: bool, status: int | None, error: str | None, started: float) -> dict[str, Any]:
    return {"ok": ok, "status_code": status, "error": error,
            "duration_ms": int((time.perf_counter() - started) * 1000)}
