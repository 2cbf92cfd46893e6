"""V4 in the daily run: the run's operations that change the vendor's side go through the
product's connector, like the request path's operations (`vendors.route`/`store`): a renewal
order or a scheduled switch taking effect, a deletion (S6 expired past `expired_renewal_days`,
S9 stopped past `stopped_retention_days`) and a stop for non-payment (S7 grace end). Expiry
does not: V4 does not name it, the SDK has no verb for it, and the vendor was given
`expires_on` with every call (docs/design/vendors.md).

The scheduler decides thousands of subscriptions per batch, almost all prolongations that
never involve the vendor. So this only looks at a decision of one of those kinds; products
(their connector) are read once per day, and only when such a decision exists; an `instant`
connector is known to complete without building a request. A batch with nothing routed does
no extra query.

When the vendor does not complete at once, the decision becomes transitional (`renewing`,
`switching`, `deleting`, `stopping`; the operation `provisioning`), the subscription's later
steps of the day are dropped and it is not due (`due_on` None) until the worker applies the
outcome, which schedules it again. The `Routed` rides on the decision to the batch's writer,
which writes the vendor call in the batch's transaction (`vendors.store`).

Failure rule (V2), decided here: the previous stable state is the subscription *without*
the order that failed. A failed renewal drops its renewal order (the order's operation
`failed`, its charge reversed): the old period ends and the subscription expires on the next
daily run as S6 says, renewable by hand for `expired_renewal_days`. A failed scheduled switch
drops the scheduled switch and stays on its plan. Keeping the order would make the next day's
run try it again, against the dedup key of the operation that failed. A failed deletion or
non-payment stop is the opposite: nothing was ordered, the rule is still due, so the
subscription returns to its status (expired, stopped, active) and the next day's run tries
again with a new operation (their dedup keys carry the day; `vendors.apply_failure` moves
`due_on` to the next day)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from prorata.adapters.db.schema import products
from prorata.domain.catalog import Plan
from prorata.domain.engine import Decision, OpUpdate
from prorata.domain.engine.common import copy_sub
from prorata.domain.model import Customer, OpStatus, Subscription
from prorata.services import vendors
from prorata.vendors.sdk import COMPLETED

# The daily run's own operations that change the vendor's side (besides a renewal order
# taking effect): a scheduled switch, a deletion, a stop for non-payment. Expiry is not one.
ROUTED_TYPES = frozenset({"switch_plan", "delete", "stop"})


def _renewal_taking_effect(prev: Subscription, d: Decision) -> str | None:
    """The renewal order's operation id when `d` is the order taking effect (S5.3)."""
    order = prev.renewal_order
    if order is None or d.operation is not None or d.subscription.renewal_order is not None:
        return None
    done = [u for u in d.op_updates
            if u.operation_id == order.operation_id and u.status is OpStatus.COMPLETED]
    return order.operation_id if done else None


class DailyRouter:
    """One per day of the run; `products` are loaded the first time they are needed."""

    def __init__(self) -> None:
        self._products: dict[str, dict[str, Any]] | None = None

    def _product(self, conn: Any, product_id: str) -> dict[str, Any]:
        if self._products is None:
            self._products = {row.id: {"vendor": row.vendor,
                                       "vendor_settings": row.vendor_settings or {}}
                              for row in conn.execute(select(products.c.id, products.c.vendor,
                                                             products.c.vendor_settings))}
        return self._products.get(product_id) or {}

    def route(self, conn: Any, original: Subscription, decisions: list[Decision],
              plans: dict[str, Plan], customer: Customer) -> list[Decision]:
        """The decisions to store: cut after the first one the vendor has not completed."""
        prev = original
        for i, d in enumerate(decisions):
            renewal = _renewal_taking_effect(prev, d)
            op = d.operation
            if renewal is None and not (op is not None and op.type in ROUTED_TYPES
                                        and op.status is OpStatus.COMPLETED):
                prev = d.subscription
                continue
            plan = plans.get(d.subscription.plan)
            if plan is not None and self._send(conn, prev, d, renewal, plan, customer):
                return decisions[:i + 1]
            prev = d.subscription
        return decisions

    def _send(self, conn: Any, prev: Subscription, d: Decision, renewal: str | None,
              plan: Plan, customer: Customer) -> bool:
        product = self._product(conn, plan.product)
        if (product.get("vendor") or "instant") == "instant":
            return False  # completes at once, whatever it is asked
        sub = d.subscription
        if renewal is not None:
            op_id, before = renewal, copy_sub(prev, renewal_order=None)
            kind = "switch_plan" if sub.plan != prev.plan else "renew"
            params: dict[str, Any] = {"period": sub.period, "resources": dict(sub.resources)}
        elif d.operation is not None and d.operation.type == "switch_plan":
            op_id, kind, params = d.operation.id, "switch_plan", d.operation.params
            before = copy_sub(prev, scheduled_switch=None)
        else:  # a deletion (S6, S9) or a stop for non-payment (S7): back to `prev` on failure
            assert d.operation is not None
            op_id, kind, params = d.operation.id, d.operation.type, d.operation.params
            before = prev
        request = vendors.build_request(sub, plan, customer, op_id, kind, params)
        name, settings, outcome, hours = vendors.ask_now(product, request)
        if outcome is not None and outcome.state == COMPLETED:
            return False
        if renewal is not None:
            d.op_updates = [OpUpdate(u.operation_id, OpStatus.PROVISIONING)
                            if u.operation_id == renewal else u for u in d.op_updates]
        else:
            assert d.operation is not None
            d.operation.status = OpStatus.PROVISIONING
        target = sub.status
        sub.status = vendors.TRANSITIONAL_OF[kind]
        sub.due_on = None  # not due while busy: the outcome schedules it again
        d.events = [e for e in d.events if e.type not in vendors.DEFERRED_EVENTS]
        d.routed = vendors.Routed(op_id, before, name, settings, request, target, hours,
                                  None if outcome is None else outcome.message or "")
        return True
