"""The client address of login throttling behind a reverse proxy (issue 6, docs/design/
security.md "Client address"): X-Forwarded-For is believed only from peers in
PRORATA_TRUSTED_PROXIES; then the address is the right-most entry that is not a trusted proxy.
From any other peer the header is ignored, so spoofing it never escapes the throttle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from prorata.adapters.db.schema import login_failures
from prorata.api.client_address import parse_trusted
from prorata.services.throttle import PAIR_LIMIT
from tests.e2e.conftest import ClientFactory, error_of
from tests.e2e.lifecycle import ok

EMAIL = "ann@example.com"
WRONG = {"email": EMAIL, "password": "wrong password"}


def _peer(client_factory: ClientFactory, db_kind: str, peer: str,
          trusted: str = "") -> TestClient:
    """A client whose socket address is `peer`, on an app trusting `trusted`."""
    api = client_factory(db_kind)
    api.app.state.trusted_proxies = parse_trusted(trusted)  # type: ignore[attr-defined]
    return TestClient(api.app, client=(peer, 40000), raise_server_exceptions=False)


def _clients(client: TestClient) -> list[str]:
    engine = client.app.state.database.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return list(conn.execute(select(login_failures.c.client)
                                 .order_by(login_failures.c.created_at)).scalars())


@pytest.mark.parametrize("peer, trusted", [("203.0.113.7", "10.0.0.0/8"),
                                           ("127.0.0.1", "")])  # uvicorn's default trusts it
def test_a_spoofed_header_from_an_untrusted_peer_is_ignored(
        client_factory: ClientFactory, db_kind: str, peer: str, trusted: str) -> None:
    # issue 6: a new X-Forwarded-For each attempt still counts against the peer
    client = _peer(client_factory, db_kind, peer, trusted)
    for n in range(PAIR_LIMIT):
        spoofed = {"X-Forwarded-For": f"198.51.100.{n}, 10.0.0.{n}"}
        assert client.post("/v1/login", json=WRONG, headers=spoofed).status_code == 401
    assert _clients(client) == [peer] * PAIR_LIMIT
    refused = client.post("/v1/login", json=WRONG, headers={"X-Forwarded-For": "192.0.2.99"})
    assert error_of(refused)["code"] == "too_many_attempts"


def test_a_trusted_proxy_chain_names_the_client(client_factory: ClientFactory,
                                                db_kind: str) -> None:
    # issue 6: client → 192.168.1.5 (trusted) → 10.0.0.1 (trusted, the peer); the left-most
    # entry was written by the client itself and is not believed
    client = _peer(client_factory, db_kind, "10.0.0.1", "10.0.0.0/8, 192.168.1.5")
    chain = {"X-Forwarded-For": "6.6.6.6, 198.51.100.4, 192.168.1.5"}
    for _ in range(PAIR_LIMIT):
        assert client.post("/v1/login", json=WRONG, headers=chain).status_code == 401
    assert _clients(client) == ["198.51.100.4"] * PAIR_LIMIT
    assert client.post("/v1/login", json=WRONG, headers=chain).status_code == 429
    # another client behind the same proxy is not locked by this one's failures
    other = {"X-Forwarded-For": "6.6.6.6, 198.51.100.5, 192.168.1.5"}
    assert client.post("/v1/login", json=WRONG, headers=other).status_code == 401
    # several headers are one list; every hop trusted: the client is the left-most
    both = [("X-Forwarded-For", "198.51.100.6"), ("X-Forwarded-For", "192.168.1.5")]
    assert client.post("/v1/login", json=WRONG, headers=both).status_code == 401
    inside = {"X-Forwarded-For": "10.9.9.9, 192.168.1.5"}
    assert client.post("/v1/login", json=WRONG, headers=inside).status_code == 401
    assert _clients(client)[PAIR_LIMIT:] == ["198.51.100.5", "198.51.100.6", "10.9.9.9"]


def test_a_trusted_proxy_without_a_usable_header_leaves_the_peer(
        client_factory: ClientFactory, db_kind: str) -> None:
    # issue 6: no header, or free text where an address belongs → the proxy's own address
    client = _peer(client_factory, db_kind, "::ffff:10.0.0.1", "10.0.0.0/8")
    assert client.post("/v1/login", json=WRONG).status_code == 401
    assert client.post("/v1/login", json=WRONG,
                       headers={"X-Forwarded-For": "1.2.3.4, not-an-address"}).status_code == 401
    assert _clients(client) == ["::ffff:10.0.0.1"] * 2
    ok(client.get("/healthz"))


def test_the_setting_is_parsed_and_serve_turns_uvicorn_proxy_headers_off(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # issue 6: addresses and CIDRs, comma-separated; a bad one stops the start
    assert [str(n) for n in parse_trusted(" 10.0.0.1, 10.1.0.0/16,,fd00::/8 ")] == [
        "10.0.0.1/32", "10.1.0.0/16", "fd00::/8"]
    with pytest.raises(ValueError, match="proxy.example"):
        parse_trusted("10.0.0.1, proxy.example")
    import uvicorn
    from typer.testing import CliRunner

    from prorata import cli

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    monkeypatch.setenv("PRORATA_DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    monkeypatch.setenv("PRORATA_OPERATOR_KEY", "k" * 20)
    monkeypatch.setenv("PRORATA_TRUSTED_PROXIES", "10.0.0.0/8")
    result = CliRunner().invoke(cli.app, ["serve"])
    assert result.exit_code == 0, result.output
    assert seen["proxy_headers"] is False
    assert [str(n) for n in seen["app"].state.trusted_proxies] == ["10.0.0.0/8"]
    monkeypatch.setenv("PRORATA_TRUSTED_PROXIES", "nonsense")
    assert CliRunner().invoke(cli.app, ["serve"]).exit_code != 0
