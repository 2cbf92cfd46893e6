"""Helpers for the notification scenarios: a worker round (what `POST /v1/test/worker` runs
once the worker lands: `deliver_due` with force), and reading every event."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from prorata.notify.config import NotifyConfig
from prorata.notify.delivery import deliver_due
from tests.e2e.lifecycle import ok
from tests.receivers import Received


def worker_round(api: TestClient, *, force: bool = True, **config: Any) -> int:
    return deliver_due(api.app.state.database, datetime.now(UTC),  # type: ignore[attr-defined]
                       force=force, config=NotifyConfig(**config))


def all_events(api: TestClient, **filters: Any) -> list[dict[str, Any]]:
    out, after = [], None
    while True:
        params = {"limit": 100, **filters, **({"starting_after": after} if after else {})}
        page = ok(api.get("/v1/events", params=params))
        out += page["data"]
        if not page["has_more"]:
            return out
        after = page["data"][-1]["id"]


def signature_ok(request: Received, secret: str) -> bool:
    """The Standard Webhooks check, written out from the specification (not the package the
    sender uses): HMAC-SHA256 over "id.timestamp.body" keyed with the base64-decoded part
    of the secret after "whsec_", base64 encoded, after "v1,"."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = b".".join([request.headers["webhook-id"].encode(),
                        request.headers["webhook-timestamp"].encode(), request.body])
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(sig.split(",", 1) == ["v1", expected]
               for sig in request.headers["webhook-signature"].split(" "))
