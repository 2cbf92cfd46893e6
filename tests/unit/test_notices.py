"""The subscription events of the engine (SPEC R2, R4): each emitted by the decision that
causes it, on the request path and in the daily run, once (dedup keys), with its data."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from prorata.domain.engine import Decision, due_on
from prorata.domain.model import Event, Status
from tests.unit.builders import CUSTOMER, Sim, customer, make_plan

BOUGHT = date(2024, 8, 20)          # P1Y: period_end 2025-08-20, expires_on 2025-08-19
EXPIRES = date(2025, 8, 19)


class EventSim(Sim):
    """A Sim that keeps every event the decisions carry, and checks their dedup keys are
    unique as the events table would (S12)."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        self.events: list[tuple[date, Event]] = []
        self._today = kw.pop("today", BOUGHT)
        super().__init__(*args, **kw)

    def run(self, day: date) -> list[Decision]:
        self._today = day
        return super().run(day)

    def do(self, day: date, body: dict[str, Any], actor: Any = None) -> Decision:
        self.advance(day)
        self._today = day
        return super().do(day, body) if actor is None else super().do(day, body, actor)

    def _store(self, decision: Decision, day: date) -> None:
        super()._store(decision, day)
        for event in decision.events:
            keys = {e.dedup_key for _, e in self.events}
            assert event.dedup_key not in keys, f"{event.dedup_key} emitted twice"
            self.events.append((self._today, event))

    def ctx(self, day: date, actor: Any = None) -> Any:
        ctx = super().ctx(day) if actor is None else super().ctx(day, actor)
        ctx.balance = -sum((ln.amount for ln in self.lines), Decimal(0))  # nothing paid
        return ctx

    def of(self, kind: str) -> list[tuple[date, Event]]:
        return [(d, e) for d, e in self.events if e.type == kind]


def yearly(settings: dict[str, Any] | None = None, **kw: Any) -> EventSim:
    plan = make_plan("monthly", settings=settings or {}, **kw)
    return EventSim(plan, BOUGHT, {"resources": {"seats": 5}})


# --- R4 subscription_expiring -----------------------------------------------------------------

def test_expiring_is_emitted_expiry_notice_days_before_expires_on():
    # SPEC R4: default 14 days before expires_on, with whether auto-renew is on; the daily
    # run is woken that day (Sim.run checks due_on).
    sim = yearly()
    notice = EXPIRES - timedelta(days=14)
    assert due_on(sim.sub, sim.plan) < notice  # prolongations come first
    sim.advance(notice - timedelta(days=1))
    assert sim.of("subscription_expiring") == []
    sim.advance(notice)
    [(day, event)] = sim.of("subscription_expiring")
    assert day == notice and event.subscription == "s1" and event.customer == "c1"
    assert event.data == {"plan": "basic", "period": "P1Y", "status": "active",
                          "expires_on": "2025-08-19", "days_left": 14, "auto_renew": True,
                          "renewal_order": None}
    assert event.dedup_key == "subscription_expiring:s1:2025-08-20"
    assert sim.sub.expiry_noticed == date(2025, 8, 20)


def test_expiring_once_per_period_through_renewals():
    # SPEC R4: once per subscription and period — the renewed period is announced again.
    sim = yearly({"expiry_notice_days": 30})
    sim.advance(date(2026, 8, 30))
    days = [d for d, _ in sim.of("subscription_expiring")]
    assert days == [EXPIRES - timedelta(days=30), date(2026, 8, 19) - timedelta(days=30)]


def test_expiring_says_when_auto_renew_is_off_and_when_an_order_waits():
    # SPEC R4: the data says whether auto-renew is on; a renewal order already placed (an
    # automatic point earlier than the notice) is named.
    sim = yearly()
    sim.do(date(2024, 9, 1), {"type": "change_resources", "resources": {"seats": 6}})
    sim.sub.auto_renew = False
    sim.sub.due_on = due_on(sim.sub, sim.plan)
    sim.advance(EXPIRES)
    [(_, event)] = sim.of("subscription_expiring")
    assert event.data["auto_renew"] is False and event.data["renewal_order"] is None
    early = yearly({"auto_renewal_point": 20})
    early.advance(EXPIRES - timedelta(days=14))
    [(_, event)] = early.of("subscription_expiring")
    assert event.data["renewal_order"] == early.sub.renewal_order.operation_id


def test_a_period_shorter_than_the_notice_is_announced_on_its_first_run():
    # SPEC R4 where it is silent: a notice day before the period start moves to the start.
    plan = make_plan("monthly", periods=["P1M"], settings={"expiry_notice_days": 45})
    sim = EventSim(plan, BOUGHT, {"resources": {"seats": 1}})
    sim.advance(BOUGHT + timedelta(days=1))
    [(day, event)] = sim.of("subscription_expiring")
    assert day == BOUGHT + timedelta(days=1) and event.data["days_left"] == 29


def test_endless_subscriptions_never_expire_so_are_never_announced():
    # SPEC R4: only subscriptions that have an expiration date.
    plan = make_plan("monthly", periods=[])
    sim = EventSim(plan, BOUGHT, {"resources": {"seats": 1}})
    sim.advance(date(2026, 1, 1))
    assert sim.of("subscription_expiring") == []


# --- renewal_order_created, subscription_renewed ----------------------------------------------

def test_automatic_renewal_order_then_renewed():
    # SPEC R2 with S5.2/S5.3: the order on the automatic point, the renewal the day after
    # expires_on, each once.
    sim = yearly({"auto_renewal_point": 7})
    sim.advance(EXPIRES + timedelta(days=1))
    [(day, order)] = sim.of("renewal_order_created")
    assert day == EXPIRES - timedelta(days=7)
    assert order.data["automatic"] is True and order.data["plan"] == "basic"
    assert order.data["effective_on"] == "2025-08-20" and order.data["expires_on"] == "2026-08-19"
    # the first charging span of the new period: 12/31 of a month of 5 × 6.00
    assert order.data["amount"] == "11.61" and order.data["currency"] == "USD"
    [(day, renewed)] = sim.of("subscription_renewed")
    assert day == date(2025, 8, 20)
    assert renewed.data["previous_expires_on"] == "2025-08-19"
    assert renewed.data["expires_on"] == "2026-08-19"
    assert renewed.dedup_key == "subscription_renewed:s1:2025-08-20"


def test_manual_renew_emits_the_order_on_the_request_path():
    # SPEC R2: the request's decision carries the event (stored in its transaction).
    sim = yearly({"manual_renewal_point": 30})
    d = sim.do(date(2025, 8, 1), {"type": "renew"}, actor=CUSTOMER)
    [order] = [e for e in d.events if e.type == "renewal_order_created"]
    assert order.data["automatic"] is False and order.data["operation"] == d.operation.id


def test_renewing_an_expired_subscription_is_a_renewal_and_a_trial_switch_is_not():
    # SPEC S6 takes effect at once: subscription_renewed; S8.1 starts a period inside the
    # trial's: no renewal.
    sim = yearly()
    sim.sub.auto_renew = False
    sim.sub.due_on = due_on(sim.sub, sim.plan)
    sim.advance(date(2025, 8, 25))
    assert [e.type for _, e in sim.events][-1] == "subscription_expired"
    d = sim.do(date(2025, 8, 25), {"type": "renew"})
    assert [e.type for e in d.events] == ["subscription_renewed"]
    paid = make_plan("monthly", plan_id="paid")
    trial = make_plan("trial", plan_id="trial", periods=["P30D"], price="0",
                      switch_to=[{"plan": "paid", "kind": "upgrade"}])
    tsim = EventSim(trial, BOUGHT, {"resources": {"seats": 1}}, plans=[paid])
    d = tsim.do(BOUGHT + timedelta(days=3), {"type": "switch_plan", "plan": "paid"})
    assert d.events == []


# --- subscription_expired, _stopped, _deleted -------------------------------------------------

def test_expired_then_deleted_by_the_daily_run():
    # SPEC S6 + R2: expired the day after expires_on, deleted after expired_renewal_days.
    sim = yearly({"expired_renewal_days": 10})
    sim.sub.auto_renew = False
    sim.sub.due_on = due_on(sim.sub, sim.plan)
    sim.advance(date(2025, 9, 5))
    [(day, expired)] = sim.of("subscription_expired")
    assert day == date(2025, 8, 20)
    assert expired.data == {"plan": "basic", "expired_on": "2025-08-19",
                            "renewable_until": "2025-08-29", "auto_renew": False}
    [(day, deleted)] = sim.of("subscription_deleted")
    assert day == date(2025, 8, 30) and deleted.data["reason"] == "expired"
    assert sim.sub.status is Status.DELETED


def test_stop_approve_and_delete_on_request():
    # SPEC S9/S10 + R2: a stop waiting for approval is not yet a stop; approval is.
    sim = yearly({"stop_requires_approval": True})
    d = sim.do(date(2024, 8, 25), {"type": "stop"}, actor=CUSTOMER)
    assert d.events == []
    a = sim.do(date(2024, 8, 26), {"type": "approve"})
    [stopped] = a.events
    assert stopped.type == "subscription_stopped"
    assert stopped.data["reason"] == "requested" and stopped.data["stopped_on"] == "2024-08-26"
    other = yearly()
    d = other.do(date(2024, 8, 21), {"type": "delete"})
    assert [e.type for e in d.events] == ["subscription_deleted"]
    assert d.events[0].data["operation"] == d.operation.id


def test_stopped_for_non_payment_says_why():
    # SPEC S7 + R2: the daily run stops an unpaid subscription; the event names the reason.
    plan = make_plan("monthly", settings={"grace_period_days": 0})
    sim = EventSim(plan, BOUGHT, {"resources": {"seats": 5}},
                   cust=customer(credit_limit=Decimal("10")))
    sim.advance(date(2024, 9, 1))
    [(day, event)] = sim.of("subscription_stopped")
    assert day == date(2024, 9, 1) and event.data["reason"] == "non_payment"


def test_a_whole_life_emits_each_event_once():
    # SPEC R3/S12: over two renewals and an expiry, no dedup key repeats (EventSim checks).
    sim = yearly({"auto_renewal_point": 3})
    sim.advance(date(2026, 9, 1))
    sim.sub.auto_renew = False
    sim.sub.due_on = due_on(sim.sub, sim.plan)
    sim.advance(date(2027, 12, 1))
    kinds = [e.type for _, e in sim.events]
    assert kinds.count("subscription_expiring") == 3
    assert kinds.count("renewal_order_created") == 2 == kinds.count("subscription_renewed")
    assert kinds.count("subscription_expired") == 1 == kinds.count("subscription_deleted")
