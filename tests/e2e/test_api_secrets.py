"""Secrets are shown once (SPEC P2, S12): an idempotency record keeps the answer of a write,
so it must not keep a secret in it. A replay answers the stored answer with every secret
field `null` (and `Idempotent-Replayed: true`): the caller who lost the first answer revokes
the key and makes another; the database holds nothing that signs in."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from prorata.adapters.db.schema import idempotency_keys
from tests.e2e.lifecycle import ok


def _stored_records(api: TestClient) -> str:
    engine = api.app.state.database.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return repr(conn.execute(select(idempotency_keys)).all())


def test_api_key_secret_is_not_replayed_nor_stored(api: TestClient) -> None:
    # SPEC P2: the key's secret is in the first answer only
    headers = {"Idempotency-Key": "key-1"}
    first = ok(api.post("/v1/api-keys", json={}, headers=headers))
    assert first["secret"].startswith("prk_")
    again = api.post("/v1/api-keys", json={}, headers=headers)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == {**first, "secret": None}
    assert first["secret"] not in _stored_records(api)
    # the first answer's secret works; nothing in the record would
    assert api.post("/v1/api-keys", json={},
                    headers={"Authorization": f"Bearer {first['secret']}"}).status_code == 200


def test_webhook_secret_is_not_replayed_nor_stored(api: TestClient) -> None:
    # API.md: whsec_… shown once
    headers = {"Idempotency-Key": "wh-1"}
    body = {"url": "http://127.0.0.1:9/hook"}
    first = ok(api.post("/v1/webhook-endpoints", json=body, headers=headers))
    again = ok(api.post("/v1/webhook-endpoints", json=body, headers=headers))
    assert first["secret"].startswith("whsec_") and again["secret"] is None
    assert first["secret"] not in _stored_records(api)


def test_user_password_is_not_stored_in_the_record(api: TestClient) -> None:
    # SPEC P2: a password never lands in an idempotency record
    headers = {"Idempotency-Key": "usr-1"}
    body = {"email": "ann@example.com", "password": "correct horse battery"}
    first = ok(api.post("/v1/users", json=body, headers=headers))
    assert ok(api.post("/v1/users", json=body, headers=headers)) == first
    assert "correct horse" not in _stored_records(api)
