"""The store's additions to the panel world (tests/panel/world.py): a product whose vendor
works for one worker round (so a new order shows `activating`) with a customer attribute and
a manager-only one, as in seed 003 (a reseller's discount code from the vendor)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from prorata.adapters.db.schema import vendor_calls
from tests.e2e.lifecycle import ok
from tests.panel.world import plan

ATTRIBUTES = [{"id": "domain", "name": "Tenant domain", "audience": "both", "required": True},
              {"id": "deal", "name": "Vendor discount code", "audience": "manager",
               "required": True}]
_QUOTE = re.compile(r"data-quote-amount>([0-9.\-]+) ([A-Z]{3})<")
_STEPS = re.compile(r'data-steps="([a-z ]*)"')


def build_store(api: Any) -> None:
    ok(api.post("/v1/products", json={"id": "gw", "name": "Google Workspace",
                                      "vendor": {"connector": "simulated",
                                                 "settings": {"polls": 1}},
                                      "attributes": ATTRIBUTES}))
    ok(api.post("/v1/plans", json={**plan("gw-std", "12.00"), "product": "gw",
                                   "name": "Business Standard"}))


def quoted(html: str) -> str:
    found = _QUOTE.search(html)
    assert found, html[-3000:]
    return found.group(1)


def steps(html: str) -> list[str]:
    found = _STEPS.search(html)
    assert found, html[:2000]
    return found.group(1).split()


def vendor_requests(client: Any, sub_id: str) -> list[dict[str, Any]]:
    """What the connector is handed for this subscription (the durable vendor calls)."""
    with client.app.state.database.engine.connect() as conn:
        rows = conn.execute(select(vendor_calls.c.request).where(
            vendor_calls.c.subscription_id == sub_id)).all()
    return [dict(r.request) for r in rows]
