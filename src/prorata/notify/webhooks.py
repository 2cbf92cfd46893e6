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

import httpx
from standardwebhooks.webhooks import Webhook

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


def send(client: httpx.Client, url: str, msg_id: str, secret: str,
         payload: str) -> dict[str, Any]:
    """One attempt: {ok, status_code, error, duration_ms}."""
    started = time.perf_counter()
    try:
        response = client.post(url, content=payload.encode(),
                               headers=headers(msg_id, secret, payload))
    except httpx.TimeoutException:
        return _result(False, None, "timed out", started)
    except httpx.HTTPError as exc:
        return _result(False, None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR], started)
    ok = 200 <= response.status_code < 300
    error = None if ok else f"HTTP {response.status_code}: {response.text[:200]}"
    return _result(ok, response.status_code, error, started)


def _result(ok: bool, status: int | None, error: str | None, started: float) -> dict[str, Any]:
    return {"ok": ok, "status_code": status, "error": error,
            "duration_ms": int((time.perf_counter() - started) * 1000)}
