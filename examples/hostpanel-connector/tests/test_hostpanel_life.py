"""The HostPanel example connector, proven from outside the core package (SPEC V1): a local
HostPanel server, Prorata's real API on a test clock and its worker, one whole life."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prorata_hostpanel import HostPanel

from prorata.adapters.db import Database
from prorata.api import create_app
from prorata.domain.clock import TestClock
from prorata.vendors.registry import list_connectors

KEY = "hostpanel-test-key"


class Panel:
    """HostPanel's state: accounts and jobs. A job finishes on its `polls`-th look."""

    def __init__(self, polls: int) -> None:
        self.polls, self.jobs, self.accounts = polls, {}, {}
        self.by_key: dict[str, str] = {}
        self.lock = threading.Lock()
        self.outage = False

    def start(self, body: dict[str, Any], key: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            if key in self.by_key:  # the same operation again: the same job
                return 200, self.jobs[self.by_key[key]]["view"]
            if body["action"] == "purchase" and \
                    body["attributes"].get("domain", "").endswith(".taken"):
                return 422, {"error": "domain already hosted here"}
            job_id = f"job{len(self.jobs) + 1}"
            self.jobs[job_id] = {"body": body, "looks": 0,
                                 "view": {"id": job_id, "status": "running"}}
            self.by_key[key] = job_id
            return 200, self._look(job_id)

    def get(self, job_id: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            if job_id not in self.jobs:
                return 404, {"error": "no such job"}
            return 200, self._look(job_id)

    def _look(self, job_id: str) -> dict[str, Any]:
        job = self.jobs[job_id]
        job["looks"] += 1
        if job["view"]["status"] == "running" and job["looks"] >= self.polls:
            body = job["body"]
            account = self.accounts.setdefault(body["account"], {})
            account.update(status={"stop": "suspended", "delete": "removed"}.get(
                body["action"], "live"), plan=body["plan"], resources=body["resources"])
            job["view"] = {"id": job_id, "status": "done"}
        return job["view"]


@pytest.fixture
def panel() -> Iterator[tuple[Panel, str]]:
    state = Panel(polls=2)

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, code: int, data: dict[str, Any]) -> None:
            raw = json.dumps(data).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self) -> None:  # noqa: N802
            if state.outage:
                return self._reply(503, {"error": "maintenance"})
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            self._reply(*state.start(body, self.headers["Idempotency-Key"]))

        def do_GET(self) -> None:  # noqa: N802
            if state.outage:
                return self._reply(503, {"error": "maintenance"})
            self._reply(*state.get(self.path.rsplit("/", 1)[-1]))

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def api(tmp_path: Path, panel: tuple[Panel, str]) -> Iterator[TestClient]:
    database = Database(f"sqlite:///{tmp_path / 'prorata.db'}")
    database.migrate()
    app = create_app(database, TestClock(date(2024, 8, 20)), KEY, True)
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {KEY}"
        plan = {"id": "web", "product": "hosting", "name": "Web", "billing_type": "monthly",
                "currency": "USD", "periods": ["P1Y"],
                "resources": [{"id": "disk", "name": "Disk", "primary": True, "min": 1,
                               "max": 100, "price": "2.00"}]}
        product = {"id": "hosting", "name": "Hosting",
                   "attributes": [{"id": "domain", "audience": "both", "required": True}],
                   "vendor": {"connector": "hostpanel", "settings": {"url": panel[1]}}}
        for path, body in (("/v1/products", product), ("/v1/plans", plan),
                           ("/v1/customers", {"id": "acme", "name": "Acme Ltd"})):
            assert client.post(path, json=body).status_code == 200
        database.dispose()
        yield client


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _round(api: TestClient) -> int:
    return _ok(api.post("/v1/test/worker", json={}))["processed"]  # type: ignore[no-any-return]


def _status(api: TestClient, sub: str = "web1") -> str:
    return _ok(api.get(f"/v1/subscriptions/{sub}"))["status"]  # type: ignore[no-any-return]


def _op(api: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    return _ok(api.post("/v1/subscriptions/web1/operations", json=body))


def test_the_connector_is_found_through_its_entry_point():
    assert "hostpanel" in [c["name"] for c in list_connectors()]


def test_a_whole_life_through_hostpanel(api, panel):
    state, _ = panel
    _ok(api.post("/v1/subscriptions", json={"id": "web1", "customer": "acme", "plan": "web",
                                            "resources": {"disk": 5},
                                            "attributes": {"domain": "acme.example"}}))
    assert _status(api) == "activating"
    assert _round(api) == 0 and _round(api) == 1  # HostPanel finishes on the second look
    assert _status(api) == "active"
    assert state.accounts["web1"] == {"status": "live", "plan": "web", "resources": {"disk": 5}}

    _op(api, {"type": "change_resources", "resources": {"disk": 9}})
    assert _status(api) == "updating"
    state.outage = True  # 503: tried again later, not failed
    assert _round(api) == 0
    state.outage = False
    _round(api)
    _round(api)
    assert _status(api) == "active"
    assert state.accounts["web1"]["resources"] == {"disk": 9}

    _op(api, {"type": "stop"})
    _round(api)
    _round(api)
    assert _status(api) == "stopped" and state.accounts["web1"]["status"] == "suspended"
    _op(api, {"type": "activate"})
    _round(api)
    _round(api)
    assert _status(api) == "active" and state.accounts["web1"]["status"] == "live"
    _op(api, {"type": "delete"})
    _round(api)
    _round(api)
    assert _status(api) == "deleted" and state.accounts["web1"]["status"] == "removed"
    history = _ok(api.get("/v1/subscriptions/web1/operations", params={"limit": 100}))["data"]
    assert [o["status"] for o in history] == ["completed"] * 5


def test_a_refused_purchase_fails_with_the_vendors_message(api, panel):
    _ok(api.post("/v1/subscriptions", json={"id": "web1", "customer": "acme", "plan": "web",
                                            "resources": {"disk": 1},
                                            "attributes": {"domain": "old.taken"}}))
    assert _round(api) == 1
    [purchase] = _ok(api.get("/v1/subscriptions/web1/operations"))["data"]
    assert purchase["error"] == {"code": "vendor_failed", "message": "domain already hosted here"}
    assert _status(api) == "deleted"


@pytest.mark.parametrize("settings", [{}, {"url": "ftp://x"}, {"url": "http://x", "k": 1},
                                      {"url": "http://x", "timeout_seconds": 0}])
def test_bad_settings_are_refused(api, settings):
    response = api.post("/v1/products", json={"name": "H", "vendor": {
        "connector": "hostpanel", "settings": settings}})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_connector_settings"
    HostPanel({"url": "http://x"})  # a good one is accepted
