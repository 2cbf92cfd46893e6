"""Every 4xx the API really answers is in the document, with the one error model (issue 7).

Schemathesis only sees the codes its random requests happen to provoke, and it leaves login,
logout and the gateway callback out. These tests provoke the codes on purpose: 401 on every
operation (asked without a key), and 402 from a payment gateway that refuses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from prorata.adapters.payments import Gateway, GatewayError, Payment, PaymentSession
from prorata.adapters.payments.registry import Gateways
from prorata.api import create_app
from prorata.domain.clock import TestClock
from tests.dbfixtures import MigratedDatabases, truncate_all
from tests.e2e.conftest import OPERATOR_KEY, START, ClientFactory, error_of
from tests.e2e.lifecycle import ok

ERROR = {"$ref": "#/components/schemas/Error"}


def _documented(op: dict[str, Any], status: str) -> bool:
    answer = op["responses"].get(status)
    return answer is not None and answer["content"]["application/json"]["schema"] == ERROR


def test_every_operation_documents_401_exactly_when_it_answers_it(
        client_factory: ClientFactory) -> None:
    # API.md: every request carries a key; the document says which operations refuse one
    # missing (logout does: it ends the caller's session) and which never do (healthz, login,
    # the gateway's own signed callback)
    anonymous = client_factory("sqlite", key=None)
    doc = ok(anonymous.get("/openapi.json"))
    wrong = []
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            url = re.sub(r"\{[^}]+\}", "x", path)
            answered = anonymous.request(method.upper(), url, json={}).status_code == 401
            if answered != _documented(op, "401"):
                wrong.append(f"{method} {path}: answers 401 {answered}, documents it "
                             f"{not answered}")
    assert not wrong, "\n".join(wrong)


def test_every_operation_documents_400_404_409_with_the_error_model(
        client_factory: ClientFactory) -> None:
    # API.md: bad input 400, out of scope 404, refused by a rule 409; all one error shape
    doc = ok(client_factory("sqlite").get("/openapi.json"))
    missing = [f"{m} {p} {s}" for p, ops in doc["paths"].items() for m, op in ops.items()
               for s in ("400", "404", "409") if not _documented(op, s)]
    assert not missing, missing


class Refusing(Gateway):
    """A gateway that declines every payment and every refund, as a real one may."""

    title = "Refusing"

    def start(self, session: PaymentSession) -> str:
        raise GatewayError("card declined")

    def refund(self, payment: Payment, amount: Decimal, refund_id: str) -> str | None:
        raise GatewayError("card expired")


@pytest.fixture
def refusing_api(e2e_databases: MigratedDatabases, db_kind: str) -> Iterator[TestClient]:
    database = e2e_databases.get(db_kind)
    truncate_all(database.engine)
    app = create_app(database, TestClock(date.fromisoformat(START)), OPERATOR_KEY, True,
                     Gateways({"refusing": Refusing({})}), run_worker=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {OPERATOR_KEY}"
        yield client


def test_a_refusing_gateway_answers_402_as_documented(refusing_api: TestClient) -> None:
    # SPEC B3: the gateway's refusal is the manager's error (402), and the document says so
    # on exactly the two operations that call a gateway in the request
    api = refusing_api
    ok(api.post("/v1/customers", json={"id": "acme", "name": "Acme Ltd", "currency": "USD"}))
    session = api.post("/v1/customers/acme/payment-sessions",
                       json={"gateway": "refusing", "amount": "10.00"})
    assert (session.status_code, error_of(session)["code"]) == (402, "gateway_error")
    with api.app.state.database.uow() as uow:  # type: ignore[attr-defined]
        uow.add_payment("acme", Decimal("30.00"), "USD", date.fromisoformat(START),
                        method="refusing", payment_id="pay_1")
        uow.commit()
    refund = api.post("/v1/payments/pay_1/refunds", json={"amount": "5.00"})
    assert (refund.status_code, error_of(refund)["code"]) == (402, "refund_failed")
    doc = ok(api.get("/openapi.json"))
    documented = {(m, p) for p, ops in doc["paths"].items() for m, op in ops.items()
                  if _documented(op, "402")}
    assert documented == {("post", "/v1/customers/{customer_id}/payment-sessions"),
                          ("post", "/v1/payments/{payment_id}/refunds")}
