"""A Prorata vendor connector for HostPanel, a (fictional) hosting control panel with a small
JSON API. Written against the public SDK only (`prorata.vendors.sdk`), as a vendor would.

HostPanel's API:
- `POST {url}/jobs` with `{"operation_id", "action", "account", "plan", "resources",
  "attributes", "customer"}` and the header `Idempotency-Key: <operation_id>` starts a job
  (the same key answers the same job) and answers `{"id", "status": "running"|"done"|"failed",
  "error"?}`.
- `GET {url}/jobs/{id}` answers the job as above.
- 4xx: the job is refused (`{"error": "..."}`); 5xx or no answer: try again later.
"""

from __future__ import annotations

from typing import Any

import httpx

from prorata.vendors.sdk import Connector, Outcome, SettingsError, TemporaryError, VendorRequest

__all__ = ["HostPanel"]


class HostPanel(Connector):
    description = "HostPanel hosting accounts over its JSON API (example connector)"

    def __init__(self, settings: dict[str, Any]) -> None:
        super().__init__(settings)
        unknown = set(settings) - {"url", "token", "timeout_seconds"}
        if unknown:
            raise SettingsError(f"unknown hostpanel settings: {', '.join(sorted(unknown))}")
        url = settings.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise SettingsError("url must be the HostPanel API's http(s) address")
        token = settings.get("token", "")
        if not isinstance(token, str):
            raise SettingsError("token must be a text")
        timeout = settings.get("timeout_seconds", 10)
        if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= 120:
            raise SettingsError("timeout_seconds must be a whole number from 1 to 120")
        self.url, self.token, self.timeout = url.rstrip("/"), token, timeout

    # Every verb is one job at HostPanel; the base class would complete them silently.
    def call(self, request: VendorRequest) -> Outcome:
        body = {"operation_id": request.operation_id, "action": request.verb,
                "account": request.subscription["id"], "plan": request.plan["id"],
                "resources": request.subscription.get("resources", {}),
                "attributes": request.attributes, "customer": request.customer["id"]}
        return self._answer(self._send("POST", "/jobs", body, request.operation_id))

    def poll(self, reference: str, request: VendorRequest, attempt: int) -> Outcome:
        return self._answer(self._send("GET", f"/jobs/{reference}", None, None))

    def _send(self, method: str, path: str, body: Any, key: str | None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if key is not None:
            headers["Idempotency-Key"] = key
        try:
            response = httpx.request(method, self.url + path, json=body, headers=headers,
                                     timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise TemporaryError(f"HostPanel unreachable: {exc}") from exc
        if response.status_code >= 500:
            raise TemporaryError(f"HostPanel answered {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if response.status_code >= 400:
            return {"status": "failed", "error": str(data.get("error") or
                                                     f"HTTP {response.status_code}")}
        return data

    @staticmethod
    def _answer(job: dict[str, Any]) -> Outcome:
        status = job.get("status")
        if status == "done":
            return Outcome.completed()
        if status == "failed":
            return Outcome.failed(str(job.get("error") or "HostPanel refused the job"))
        if status == "running" and isinstance(job.get("id"), str):
            return Outcome.pending(job["id"])
        return Outcome.failed(f"HostPanel answered something unexpected: {job!r:.200}")
