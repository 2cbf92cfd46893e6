"""Invoices, payments, sessions and refunds against every kind of caller (SPEC P2): the
operator sees all, a reseller its subtree, a customer itself; everything else is 404 with the
very body of an id that does not exist. Refunds are the managers'; the gateway's callback
needs no key, only its signature."""

from __future__ import annotations

import json
from typing import Any

import pytest

from prorata.adapters.payments.testing import sign
from tests.e2e.access_world import CUSTOMERS, PARTIES, SEES, World, build
from tests.e2e.conftest import ClientFactory, error_of
from tests.e2e.lifecycle import ok

READS = ["/v1/customers/{customer}/invoices", "/v1/invoices/{invoice}",
         "/v1/invoices/{invoice}/pdf", "/v1/customers/{customer}/payments",
         "/v1/payments/{payment}", "/v1/payment-sessions/{session}"]


@pytest.fixture
def money_world(client_factory: ClientFactory, db_kind: str) -> tuple[World, dict[str, Any]]:
    """Each customer with an invoice (its purchase, issued the next day), a manual payment and
    a pending payment session."""
    world = build(client_factory, db_kind)
    operator = world.operator
    ok(operator.post("/v1/test/clock", json={"date": "2024-08-21"}))
    ids: dict[str, Any] = {}
    for cid in CUSTOMERS:
        [invoice] = ok(operator.get(f"/v1/customers/{cid}/invoices"))["data"]
        payment = ok(operator.post(f"/v1/customers/{cid}/payments", json={"amount": "9.00"}))
        session = ok(operator.post(f"/v1/customers/{cid}/payment-sessions",
                                   json={"gateway": "test", "amount": "1.00"}))
        ids[cid] = {"customer": cid, "invoice": invoice["id"], "payment": payment["id"],
                    "session": session["id"]}
    return world, ids


def _ghost(template: str) -> str:
    return template.format(customer="ghost", invoice="ghost", payment="ghost", session="ghost")


@pytest.mark.parametrize("party", PARTIES)
def test_reads(money_world: tuple[World, dict[str, Any]], party: str) -> None:
    # SPEC P2: who sees which customer's money; 404 like a nonexistent id for the rest
    world, ids = money_world
    client = world.clients[party]
    for template in READS:
        for cid in CUSTOMERS:
            response = client.get(template.format(**ids[cid]))
            if party not in SEES:
                assert response.status_code == 401, (party, template)
                continue
            if cid in SEES[party]:
                assert response.status_code == 200, (party, template, cid, response.text)
                continue
            assert response.status_code == 404, (party, template, cid)
            ghost = world.operator.get(_ghost(template))
            record = template.split("{")[1].split("}")[0]
            assert response.content.replace(ids[cid][record].encode(), b"ID") == \
                ghost.content.replace(b"ghost", b"ID"), (party, template, cid)


@pytest.mark.parametrize("party", ["operator", "reseller", "downstream", "customer"])
def test_who_refunds_and_who_pays(money_world: tuple[World, dict[str, Any]], party: str) -> None:
    # SPEC P2 + B3: managers refund payments of their scope; a customer refunds nothing
    # (404, even its own), and pays only for itself.
    world, ids = money_world
    client = world.clients[party]
    for cid in CUSTOMERS:
        in_scope = cid in SEES[party]
        refund = client.post(f"/v1/payments/{ids[cid]['payment']}/refunds",
                             json={"amount": "1.00"})
        manager = party != "customer"
        assert refund.status_code == (200 if in_scope and manager else 404), (cid, refund.text)
        session = client.post(f"/v1/customers/{cid}/payment-sessions",
                              json={"gateway": "test", "amount": "2.00"})
        assert session.status_code == (200 if in_scope else 404), (cid, session.text)


@pytest.mark.parametrize("party", ["reseller", "downstream", "customer"])
def test_invoice_settings_are_the_operators(money_world: tuple[World, dict[str, Any]],
                                            party: str) -> None:
    world, _ = money_world
    unknown = world.clients[party].get("/v1/no-such-route")
    for response in (world.clients[party].get("/v1/settings/invoices"),
                     world.clients[party].put("/v1/settings/invoices",
                                              json={"invoice_prefix": "X-"})):
        assert response.status_code == 404 and response.json() == unknown.json()
    assert ok(world.operator.get("/v1/settings/invoices"))["invoice_prefix"] == "INV-"


def test_the_callback_needs_a_signature_not_a_key(money_world: tuple[World, dict[str, Any]]
                                                  ) -> None:
    world, ids = money_world
    anonymous = world.clients["none"]
    raw = json.dumps({"session": ids["c-east"]["session"], "outcome": "succeeded"}).encode()
    forged = anonymous.post("/v1/payment-gateways/test/callback", content=raw,
                            headers={"Test-Signature": "00" * 32})
    assert error_of(forged)["code"] == "invalid_signature"
    signed = anonymous.post("/v1/payment-gateways/test/callback", content=raw,
                            headers={"Test-Signature": sign(raw)})
    assert signed.status_code == 200 and signed.json()["status"] == "succeeded"
    unknown = anonymous.post("/v1/payment-gateways/stripe/callback", content=raw,
                             headers={"Test-Signature": sign(raw)})
    assert unknown.status_code == 404
