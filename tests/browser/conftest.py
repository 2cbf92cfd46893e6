"""A real browser on the real server: uvicorn serving the app on a test clock (SQLite), and
Debian's Chromium driven by Playwright (never a downloaded browser).

Screenshots go to a temporary folder, or to docs/screenshots/ with PRORATA_SCREENSHOTS=1."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from prorata.api import create_app
from prorata.domain.clock import TestClock
from tests.dbfixtures import truncate_all
from tests.e2e.conftest import OPERATOR_KEY, START, e2e_databases  # noqa: F401

CHROMIUM = "/usr/bin/chromium"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(e2e_databases) -> Iterator[str]:  # noqa: F811
    database = e2e_databases.get("sqlite")
    truncate_all(database.engine)
    app = create_app(database, TestClock(date.fromisoformat(START)), OPERATOR_KEY, True)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def api(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=120,
                      headers={"Authorization": f"Bearer {OPERATOR_KEY}"}) as client:
        yield client


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM,
                                     args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = DOCS if os.environ.get("PRORATA_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder
