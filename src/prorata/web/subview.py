"""What the subscription page of seed 004 shows, computed from the services' answers.

Nothing here decides what a subscription may do: the offered operations are the service's
`available_operations`, and an unavailable one is explained by the message the engine itself
refuses it with (a preview of that operation, which stores nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from prorata.domain.catalog import MONTHLY_TYPES, Plan, Resource, display_order
from prorata.domain.engine import operations_for
from prorata.domain.errors import NOT_SUPPORTED, SUBSCRIPTION_BUSY, DomainError
from prorata.domain.model import TRANSITIONAL
from prorata.domain.money import format_amount, round_money

# The operations a customer works with, in the order seed 004 presents them. Manager-only
# ones (approve, reject) and the ones tied to a pending order are offered only when available.
LABELS = {
    "change_resources": "Change resources", "renew": "Renew", "prolong": "Prolong",
    "switch_plan": "Switch plan", "stop": "Stop", "activate": "Activate",
    "delete": "Delete subscription", "change_renewal_options": "Change renewal options",
    "cancel_switch": "Cancel plan switch", "approve": "Approve stop", "reject": "Reject stop",
    "purchase": "Purchase", "every": "Every operation",
}
CONFIRM_ONLY = ("stop", "activate", "delete", "change_renewal_options", "cancel_switch",
                "approve", "reject")


@dataclass
class Row:
    resource: Resource
    amount: int
    price: Decimal
    total: Decimal
    fits: bool

    @property
    def hint(self) -> str:
        top = "unlimited" if self.resource.max is None else str(self.resource.max)
        return f"Included {self.resource.included} · From {self.resource.min} · To {top}"


@dataclass
class Table:
    primary: list[Row]
    additional: list[Row]
    currency: str
    cost: Decimal
    erp_cost: Decimal | None
    per: str
    locked: bool

    def money(self, value: Decimal) -> str:
        return f"{format_amount(value, self.currency)} {self.currency}"


def unit_price(res: Resource, period: str | None, captured: dict[str, Any]) -> Decimal:
    if res.id in captured:
        return Decimal(str(captured[res.id]))
    try:
        return res.price_for(period)
    except DomainError:
        return Decimal(0)


def table(plan: Plan, period: str | None, amounts: dict[str, int],
          captured: dict[str, Any] | None = None) -> Table:
    """C4 order: the primary resource alone on top, the rest as Additional resources. One
    rounding per line (T5); costs in the plan currency (seed 004: prices in plan currency)."""
    captured = captured or {}
    rows, erp, has_erp = [], Decimal(0), False
    for res in display_order(plan.resources):
        amount = amounts.get(res.id, res.min)
        price = unit_price(res, period, captured)
        rows.append(Row(res, amount, price,
                        round_money(price * res.chargeable(amount), plan.currency),
                        res.fits(amount)))
        if res.erp_price is not None:
            has_erp = True
            erp += round_money(res.erp_price * res.chargeable(amount), plan.currency)
    primary = [r for r in rows if r.resource.primary][:1]
    return Table(primary=primary, additional=[r for r in rows if r not in primary],
                 currency=plan.currency, cost=sum((r.total for r in rows), Decimal(0)),
                 erp_cost=erp if has_erp else None,
                 per="month" if plan.billing_type in MONTHLY_TYPES else "period",
                 locked=plan.settings.price_lock)


def when(refusal: dict[str, Any]) -> str:
    """S2: "opens on 5 Aug 2025" for a window not yet open, "closed on ..." for a past one."""
    for key, verb in (("opens_on", "opens"), ("closes_on", "closed")):
        if refusal.get(key):
            day = date.fromisoformat(refusal[key])
            return f"{verb} on {day.day} {day:%b %Y}"
    return ""


def explanations(sub: dict[str, Any], is_manager: bool) -> list[tuple[str, str, str, str]]:
    """(operation, code, message, when) for each operation the view says is unavailable, as
    the engine refuses it: the view's own map (S2), no second explanation table, no preview.
    Only the operations this party could ever have (`operations_for`): a customer is not told
    every day why it cannot approve its own stop. Nor is anyone told what the plan's billing
    type never allows (`not_supported_for_billing_type`: a pay-as-you-go subscription has no
    amounts to change or prolong): that is no news about today."""
    possible = operations_for(is_manager)
    shown = [(op, r["code"], r["message"], when(r))
             for op, r in sub["unavailable_operations"].items()
             if op in possible and r["code"] != NOT_SUPPORTED]
    if len(shown) > 1 and all(code == SUBSCRIPTION_BUSY for _, code, _, _ in shown):
        # While the vendor works every operation is refused for the same reason: one line
        # says it, not eleven identical ones.
        return [("every", SUBSCRIPTION_BUSY, shown[0][2], "")]
    return shown


def transitional(sub: dict[str, Any]) -> bool:
    return any(sub["status"] == s.value for s in TRANSITIONAL)


def carried_over(target: Plan, current: dict[str, int]) -> dict[str, int]:
    """Seed 004: a current amount is kept on the new plan where it fits its range."""
    out = {}
    for res in target.resources:
        have = current.get(res.id)
        out[res.id] = have if have is not None and res.fits(have) else res.min
    return out


def amounts_from(form_values: dict[str, str]) -> dict[str, Any]:
    """`res_<id>` fields → amounts. A value that is not a whole number is passed on as text,
    so the engine refuses it with its own message and code."""
    out: dict[str, Any] = {}
    for rid, raw in form_values.items():
        text = raw.strip()
        out[rid] = int(text) if text.lstrip("-").isdigit() and len(text) < 12 else text
    return out
