"""What the store shows (issue 14): the catalog rows, the order being built across the wizard's
steps, and which steps a party gets. Nothing here decides whether an order is accepted: that
is `services.subscriptions.create_subscription`, whose preview the wizard shows at each step.

The order travels in the query string from step to step (plan, customer, period, `res_<id>`,
`attr_<id>`), so every step is a plain GET page that works without JavaScript and can be
reloaded; only the final confirmation is a POST, keyed against a double submit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from prorata.domain.catalog import Plan, display_order
from prorata.domain.errors import InvalidInput
from prorata.domain.money import format_price
from prorata.web import subview

MAX_TEXT = 200  # the API's Text: an attribute value is at most 200 printable characters
STEPS = {"choose": "Plan and period", "resources": "Resources",
         "attributes": "Order attributes", "confirm": "Confirm"}


@dataclass
class Order:
    plan: str = ""
    customer: str = ""
    period: str = ""
    amounts: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)

    def body(self, *, with_attributes: bool = True) -> dict[str, Any]:
        """The very body `POST /v1/subscriptions` takes (API.md)."""
        out: dict[str, Any] = {"customer": self.customer, "plan": self.plan,
                               "resources": dict(self.amounts)}
        if self.period:
            out["period"] = self.period
        if with_attributes and self.attributes:
            out["attributes"] = dict(self.attributes)
        return out

    def query(self, step: str, *, keep_attributes: bool = True) -> str:
        pairs: dict[str, Any] = {"plan": self.plan, "customer": self.customer,
                                 "period": self.period, "step": step}
        pairs.update({f"res_{k}": v for k, v in self.amounts.items()})
        if keep_attributes:
            pairs.update({f"attr_{k}": v for k, v in self.attributes.items()})
        return urlencode({k: v for k, v in pairs.items() if v != ""})


def order_from(values: Mapping[str, str], own_customer: str | None) -> Order:
    """A customer orders for itself unless it names someone else (then the service answers
    404, as for any party out of scope: P2). Empty attribute fields are not given."""
    def one(name: str) -> str:
        return values.get(name, "").strip()[:64]
    customer = one("customer") or (own_customer or "")
    amounts = subview.amounts_from({k[4:]: v for k, v in values.items() if k.startswith("res_")})
    attributes = {}
    for key, raw in values.items():
        if not key.startswith("attr_") or not raw.strip():
            continue
        text = raw.strip()
        if len(text) > MAX_TEXT or not text.isprintable():
            raise InvalidInput("invalid_field", f"{key[5:]} must be at most {MAX_TEXT} printable "
                               "characters", f"attributes.{key[5:]}")
        attributes[key[5:64 + 5]] = text
    return Order(one("plan"), customer, one("period"), amounts, attributes)


def asked(product: Mapping[str, Any] | None, is_manager: bool) -> list[dict[str, Any]]:
    """Seed 003 / P7: the customer's attributes for everyone, the manager's only when a
    manager orders. A customer with nothing to answer never sees the step."""
    wanted = ("customer", "both", "manager") if is_manager else ("customer", "both")
    return [a for a in (product or {}).get("attributes") or []
            if a.get("audience", "both") in wanted]


def steps_for(attributes: list[dict[str, Any]]) -> list[str]:
    return [s for s in STEPS if s != "attributes" or attributes]


def start_amounts(plan: Plan, given: dict[str, Any]) -> dict[str, Any]:
    """Each resource at what was typed, else at its minimum (the smallest valid order)."""
    return {r.id: given.get(r.id, r.min) for r in plan.resources}


@dataclass
class CatalogRow:
    """One resource of a plan in the catalog: its price for each period, and for managers the
    vendor's recommended price (ERP) and the margin against it."""

    name: str
    unit: str
    hint: str
    prices: list[tuple[str, Decimal]]
    erp: Decimal | None

    def margin(self) -> list[tuple[str, Decimal, Decimal | None]]:
        """(period, price − ERP, that as a share of ERP in %, one decimal); empty without ERP."""
        if self.erp is None:
            return []
        out = []
        for label, price in self.prices:
            diff = price - self.erp
            pct = None if not self.erp else (diff * 100 / self.erp).quantize(Decimal("0.1"))
            out.append((label, diff, pct))
        return out


def catalog_rows(plan: Plan) -> list[CatalogRow]:
    rows = []
    for res in display_order(plan.resources):
        if isinstance(res.price, dict):
            prices = [(p, res.price[p]) for p in plan.periods if p in res.price]
        else:
            prices = [("", res.price)]
        top = "unlimited" if res.max is None else str(res.max)
        rows.append(CatalogRow(res.name, res.unit,
                               f"Included {res.included} · From {res.min} · To {top}",
                               prices, res.erp_price))
    return rows


def price_text(value: Decimal) -> str:
    return format_price(value)
