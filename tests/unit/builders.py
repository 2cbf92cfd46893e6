"""Small helpers for the domain unit tests: plans, customers, and a `Sim` that drives one
subscription day by day through the engine the way the services and the scheduler do
(it keeps the ledger, the change history and the refund cap)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import count
from typing import Any

from prorata.domain.catalog import Plan
from prorata.domain.engine import (
    SYSTEM,
    Context,
    Decision,
    RateTable,
    availability,
    decide,
    due_on,
    purchase,
    run_day,
)
from prorata.domain.errors import DomainError
from prorata.domain.model import ChargeLine, Customer, LineKind, Operation, Subscription
from prorata.domain.plans import build_plan

D = Decimal
ONE_DAY = timedelta(days=1)


def cents(value: Fraction | Decimal | int, places: int = 2) -> Decimal:
    """Hand rounding for expected figures: half-up (away from zero) to `places` decimals."""
    exact = Fraction(value)
    q = Decimal(1).scaleb(-places)
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(q, ROUND_HALF_UP)


def resource(rid: str = "seats", price: Any = "6.00", **kw: Any) -> dict[str, Any]:
    raw = {"id": rid, "name": kw.pop("name", rid.capitalize()), "price": price, "min": 1,
           "max": 300}
    raw.update(kw)
    return raw


def make_plan(billing_type: str = "monthly", *, plan_id: str = "basic",
              periods: Iterable[str] | None = ("P1Y",), price: Any = "6.00",
              resources: list[dict[str, Any]] | None = None,
              settings: dict[str, Any] | None = None,
              switch_to: list[dict[str, str]] | None = None, currency: str = "USD",
              name: str | None = None, product: str = "m365") -> Plan:
    raw: dict[str, Any] = {
        "name": name or plan_id.capitalize(), "billing_type": billing_type,
        "currency": currency, "periods": list(periods or []),
        "resources": resources if resources is not None
        else [resource("seats", price, primary=True, name="Licenses")],
        "settings": settings or {},
        "switch_to": switch_to or [],
    }
    return build_plan(raw, product, plan_id)


def customer(billing_day: int = 1, currency: str = "USD", **kw: Any) -> Customer:
    return Customer("c1", "Acme", billing_day=billing_day, currency=currency, **kw)


def total(lines: Iterable[ChargeLine]) -> Decimal:
    return sum((ln.amount for ln in lines), D(0))


def of_kind(lines: Iterable[ChargeLine], *kinds: LineKind) -> list[ChargeLine]:
    return [ln for ln in lines if ln.kind in kinds]


class CustomerActor:
    """A customer acting for itself (not a manager)."""

    kind = "customer"
    party = "c1"
    is_manager = False


CUSTOMER = CustomerActor()


class Sim:
    """One subscription, its ledger and its history, driven day by day.

    `do(day, body)` first runs the daily run for every day not yet run up to `day` (the
    scheduler runs at the start of the day), then decides the operation and stores it."""

    def __init__(self, plan: Plan, day: date, body: dict[str, Any] | None = None, *,
                 cust: Customer | None = None, plans: Iterable[Plan] = (),
                 rates: RateTable | None = None, sub_id: str = "s1") -> None:
        self._ids = count()
        self.customer = cust or customer()
        self.plans: dict[str, Plan] = {plan.id: plan}
        for p in plans:
            self.plans[p.id] = p
        self.rates = rates or RateTable()
        self.lines: list[ChargeLine] = []
        self.ops: dict[str, Operation] = {}
        self.op_lines: dict[str, list[ChargeLine]] = {}
        self.restricted = False
        self.stop_needs_approval = False
        first = purchase(self.customer, plan, body if body is not None else {"resources":
                         {"seats": 5}}, day, SYSTEM, self.rates, self.new_id, sub_id)
        self.first = first
        self.sub: Subscription = first.subscription
        self.sub.due_on = due_on(self.sub, plan)
        self._store(first, day)
        self.last_run = day  # the purchase day's run is behind us

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids)}"

    @property
    def plan(self) -> Plan:
        return self.plans[self.sub.plan]

    def ctx(self, day: date, actor: Any = SYSTEM) -> Context:
        sub = self.sub
        ctx = Context(day, sub, self.plan, self.customer, actor, self.new_id, self.plans,
                      self.rates, restricted=self.restricted,
                      stop_needs_approval=self.stop_needs_approval)
        ctx.refundable = self.net_charged(sub.period_start)
        if sub.renewal_order is not None:
            ctx.order_lines = list(self.op_lines.get(sub.renewal_order.operation_id, []))
        return ctx

    def net_charged(self, since: date) -> Decimal:
        """What the ledger adapter answers: lines whose service period starts on/after."""
        return total(ln for ln in self.lines
                     if ln.period_start is not None and ln.period_start >= since)

    def _store(self, decision: Decision, day: date) -> None:
        self.sub = decision.subscription
        op = decision.operation
        if op is not None:
            if op.dedup_key is not None:
                assert all(o.dedup_key != op.dedup_key for o in self.ops.values()), \
                    f"{op.dedup_key} happened twice"
            self.ops[op.id] = op
            self.op_lines[op.id] = list(decision.lines)
        self.lines.extend(decision.lines)
        for update in decision.op_updates:
            if update.operation_id in self.ops:
                self.ops[update.operation_id].status = update.status
                self.ops[update.operation_id].error_code = update.error_code

    def run(self, day: date) -> list[Decision]:
        """The daily run for exactly one day. Checks that the scheduler, which selects its
        work by `due_on`, would have picked the subscription (S12)."""
        expected = self.sub.due_on
        ctx = self.ctx(day)
        decisions = run_day(ctx)
        if decisions:
            assert expected is not None and expected <= day, \
                f"work on {day} but due_on was {expected}"
        for decision in decisions:
            self._store(decision, day)
        self.last_run = max(self.last_run, day)
        return decisions

    def advance(self, day: date) -> list[Decision]:
        """Run every day after the last run up to and including `day`."""
        out: list[Decision] = []
        cursor = self.last_run + ONE_DAY
        while cursor <= day:
            out += self.run(cursor)
            cursor += ONE_DAY
        return out

    def do(self, day: date, body: dict[str, Any], actor: Any = SYSTEM) -> Decision:
        self.advance(day)
        decision = decide(self.ctx(day, actor), body)
        self._store(decision, day)
        return decision

    def quote(self, day: date, body: dict[str, Any], actor: Any = SYSTEM) -> Decision:
        """Decide without storing anything (a preview)."""
        self.advance(day)
        return decide(self.ctx(day, actor), body)

    def refusal(self, day: date, body: dict[str, Any] | str, actor: Any = SYSTEM) -> str:
        """The code `decide` refuses with; fails the test if it is accepted."""
        if isinstance(body, str):
            body = {"type": body}
        try:
            self.quote(day, body, actor)
        except DomainError as exc:
            return exc.code
        raise AssertionError(f"{body} was accepted on {day}")

    def available(self, day: date, actor: Any = SYSTEM) -> dict[str, str | None]:
        self.advance(day)
        return availability(self.ctx(day, actor))

    def ops_of(self, op_type: str) -> list[Operation]:
        return [op for op in self.ops.values() if op.type == op_type]

    @property
    def charged(self) -> Decimal:
        return total(ln for ln in self.lines if ln.amount > 0)

    @property
    def given_back(self) -> Decimal:
        return -total(ln for ln in self.lines if ln.amount < 0)
