"""The gateway SDK and the built-in gateways (SPEC B3, B6), and the services that drive them,
on the in-memory fake."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from prorata.adapters.payments import (
    CallbackRequest,
    Gateway,
    GatewayError,
    InvalidSignature,
    MalformedCallback,
    Payment,
)
from prorata.adapters.payments.registry import Gateways
from prorata.adapters.payments.testing import TEST_MODE_KEY, TestGateway, sign
from prorata.domain.errors import DomainError
from prorata.domain.model import Customer
from prorata.domain.payments import RefundStatus, SessionStatus
from prorata.services import checkout, refunds
from prorata.services.ports import OPERATOR
from tests.fakes import FakeDatabase

TODAY = date(2024, 8, 20)


def _request(body: dict[str, Any], secret: str = "test-gateway-secret",
             signature: str | None = None) -> CallbackRequest:
    raw = json.dumps(body).encode()
    return CallbackRequest(raw, {"test-signature": sign(raw, secret) if signature is None
                                 else signature})


def test_the_built_ins_are_found_through_their_entry_points():
    # SPEC B3: plugins of the entry-point group; manual and test built in
    gateways = Gateways.load({TEST_MODE_KEY: "1"})
    names = [name for name, _ in gateways]
    assert {"manual", "test"} <= set(names)
    assert all(isinstance(g, Gateway) for _, g in gateways)


def test_the_test_gateway_checks_the_signature_over_the_exact_bytes():
    # API.md: Test-Signature = hex HMAC-SHA256 of the raw body
    gateway = TestGateway({TEST_MODE_KEY: "1"})
    outcome = gateway.verify(_request({"session": "ps_1", "outcome": "succeeded"}))
    assert (outcome.session, outcome.status, outcome.reference) == \
        ("ps_1", "succeeded", "test_ps_1")
    with pytest.raises(InvalidSignature):
        gateway.verify(_request({"session": "ps_1", "outcome": "succeeded"}, secret="x"))
    raw = b'{"session": "ps_1", "outcome": "succeeded"}'
    with pytest.raises(InvalidSignature):  # one byte more, same signature
        gateway.verify(CallbackRequest(raw + b" ", {"test-signature": sign(raw)}))
    with pytest.raises(InvalidSignature):
        gateway.verify(CallbackRequest(raw, {}))
    with pytest.raises(MalformedCallback):
        gateway.verify(_request({"session": "ps_1", "outcome": "later"}))


def test_a_configured_secret_replaces_the_default():
    gateway = TestGateway({"PRORATA_TEST_GATEWAY_SECRET": "s3cret"})
    assert gateway.enabled
    assert gateway.verify(_request({"session": "ps_1", "outcome": "failed"}, secret="s3cret"))
    with pytest.raises(InvalidSignature):
        gateway.verify(_request({"session": "ps_1", "outcome": "failed"}))


def test_the_test_gateway_is_off_on_a_real_server_without_a_secret():
    # Its default secret is public: open by default, anyone could mark sessions paid.
    gateway = TestGateway({})
    assert not gateway.enabled
    with pytest.raises(InvalidSignature):
        gateway.verify(_request({"session": "ps_1", "outcome": "succeeded"}))


class Flaky(Gateway):
    """Refuses refunds with a message, or fails unexpectedly, as told."""

    title = "Flaky"

    def __init__(self, config: Mapping[str, str]) -> None:
        super().__init__(config)
        self.calls: list[str] = []
        self.mode = "ok"

    def start(self, session: Any) -> str:
        return f"https://flaky.example/{session.id}"

    def refund(self, payment: Payment, amount: Decimal, refund_id: str) -> str | None:
        self.calls.append(refund_id)
        if self.mode == "refuse":
            raise GatewayError("card expired")
        if self.mode == "crash":
            raise ConnectionError("gateway unreachable")
        return f"flaky_{refund_id}"


@pytest.fixture
def world() -> tuple[FakeDatabase, Gateways, Flaky]:
    db = FakeDatabase()
    flaky = Flaky({})
    with db.uow() as uow:
        uow.add_customer(Customer("acme", "Acme"))
        uow.add_payment("acme", Decimal("30.00"), "USD", TODAY, method="flaky",
                        payment_id="pay_1")
        uow.commit()
    return db, Gateways({"flaky": flaky, "test": TestGateway({TEST_MODE_KEY: "1"})}), flaky


def _refund(db: FakeDatabase, gateways: Gateways, amount: str) -> Any:
    with db.uow() as uow:
        answer = refunds.request_refund(uow, OPERATOR, "pay_1", {"amount": amount}, TODAY,
                                        gateways)
        uow.commit()
    return refunds.complete_refund(db, answer["id"], gateways, TODAY)


def test_a_refused_refund_changes_nothing_and_frees_its_part(world):
    # SPEC B3: the gateway refuses → the refund fails, the balance is unchanged
    db, gateways, flaky = world
    flaky.mode = "refuse"
    failed = _refund(db, gateways, "30.00")
    assert (failed.status, failed.error_message) == (RefundStatus.FAILED, "card expired")
    with pytest.raises(DomainError) as caught:
        refunds.answer(failed)
    assert (caught.value.status, caught.value.code) == (402, "refund_failed")
    flaky.mode = "ok"
    assert _refund(db, gateways, "30.00").status is RefundStatus.SUCCEEDED
    with db.uow() as uow:
        assert uow.balance("acme") == 0


def test_a_refund_interrupted_is_completed_once_by_the_worker_job(world):
    # B3 + V5-style recovery: pending holds its part; the job retries with the same id.
    db, gateways, flaky = world
    flaky.mode = "crash"
    assert _refund(db, gateways, "20.00").status is RefundStatus.PENDING  # answered, not a 500
    with db.uow() as uow:
        assert uow.balance("acme") == Decimal("30.00")
        assert uow.get_payment("pay_1").refunded == Decimal("20.00")  # held while pending
        with pytest.raises(DomainError):  # so 20 + 11 > 30 is refused meanwhile
            refunds.request_refund(uow, OPERATOR, "pay_1", {"amount": "11.00"}, TODAY,
                                   gateways)
    flaky.mode = "ok"
    job = refunds.refund_job(gateways)
    now = datetime.now(UTC)
    assert job(db, now) == 0  # a minute old at most: a request's own, still in flight
    assert job(db, now + timedelta(minutes=2)) == 1
    assert job(db, now + timedelta(minutes=3), force=True) == 0
    assert flaky.calls[0] == flaky.calls[1]  # the same idempotency key both times
    with db.uow() as uow:
        assert uow.balance("acme") == Decimal("10.00")


def test_a_callback_is_applied_once(world):
    # SPEC B3: a repeated callback changes nothing
    db, gateways, _ = world
    with db.uow() as uow:
        session = checkout.create_session(uow, OPERATOR, "acme",
                                          {"gateway": "test", "amount": "12.00"}, TODAY,
                                          gateways, "http://x")
        uow.commit()
    body = {"session": session["id"], "outcome": "succeeded"}
    for _ in range(3):
        outcome = checkout.verify(gateways, "test", _request(body).body,
                                  _request(body).headers)
        with db.uow() as uow:
            checkout.apply_callback(uow, "test", outcome, TODAY)
            uow.commit()
    with db.uow() as uow:
        assert uow.balance("acme") == Decimal("42.00")
        assert uow.get_payment_session(session["id"]).status is SessionStatus.SUCCEEDED
        events = [r["obj"].type for r in uow._rows("events")]
        assert events == ["payment_succeeded"]


def test_a_callback_for_another_gateways_session_is_unknown(world):
    db, gateways, _ = world
    with db.uow() as uow:
        session = checkout.create_session(uow, OPERATOR, "acme",
                                          {"gateway": "flaky", "amount": "1.00"}, TODAY,
                                          gateways, "http://x")
        uow.commit()
    outcome = checkout.verify(gateways, "test", _request(
        {"session": session["id"], "outcome": "succeeded"}).body,
        _request({"session": session["id"], "outcome": "succeeded"}).headers)
    with db.uow() as uow, pytest.raises(DomainError) as caught:
        checkout.apply_callback(uow, "test", outcome, TODAY)
    assert caught.value.status == 404
