"""Hypothesis: through the service layer, a preview answers exactly what the commit then does,
and stores nothing (SPEC S2, API.md `preview`)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from prorata.domain.errors import DomainError
from prorata.domain.model import Customer
from prorata.domain.plans import build_plan
from prorata.services.ports import OPERATOR
from prorata.services.subscriptions import create_subscription, run_operation
from tests.fakes import FakeDatabase

START = date(2024, 8, 20)
TYPES = ["monthly", "monthly_commitment", "long_term", "reservation"]


def _database(billing_type: str, billing_day: int) -> FakeDatabase:
    db = FakeDatabase()
    seats = {"id": "seats", "name": "Licenses", "min": 1, "max": 50, "price": "7.3333",
             "setup_price": "1.10"}
    plans = [
        build_plan({"name": "Small", "billing_type": billing_type, "currency": "USD",
                    "periods": ["P1Y"], "resources": [seats],
                    "switch_to": [{"plan": "big", "kind": "upgrade"}],
                    "settings": {"upgrade_fee": "2.50"}}, "p", "small"),
        build_plan({"name": "Big", "billing_type": billing_type, "currency": "USD",
                    "periods": ["P1Y"], "resources": [{**seats, "price": "11.05"}],
                    "switch_to": [{"plan": "small", "kind": "downgrade"}]}, "p", "big"),
    ]
    with db.uow() as uow:
        uow.add_product({"id": "p", "name": "P", "vendor": "instant", "attributes": []})
        for plan in plans:
            uow.add_plan(plan)
        uow.add_customer(Customer("c", "C", billing_day=billing_day))
        create_subscription(uow, OPERATOR, {"id": "s", "customer": "c", "plan": "small",
                                            "resources": {"seats": 5}}, START)
        uow.commit()
    return db


operations = st.one_of(
    st.builds(lambda n: {"type": "change_resources", "resources": {"seats": n}},
              st.integers(1, 50)),
    st.just({"type": "stop"}), st.just({"type": "activate"}), st.just({"type": "delete"}),
    st.just({"type": "renew"}), st.just({"type": "change_renewal_options"}),
    st.builds(lambda plan: {"type": "switch_plan", "plan": plan, "timing": "now"},
              st.sampled_from(["small", "big"])),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(billing_type=st.sampled_from(TYPES), billing_day=st.integers(1, 28),
       steps=st.lists(st.tuples(st.integers(0, 200), operations), min_size=1, max_size=6))
def test_preview_equals_commit(billing_type, billing_day, steps):
    db = _database(billing_type, billing_day)
    day = START
    for gap, body in steps:
        day += timedelta(days=gap)
        with db.uow() as uow:
            try:
                preview = run_operation(uow, OPERATOR, "s", {**body, "preview": True}, day)
            except DomainError as refused:
                preview = refused
        with db.uow() as uow:
            try:
                done = run_operation(uow, OPERATOR, "s", body, day)
                uow.commit()
            except DomainError as refused:
                assert isinstance(preview, DomainError) and preview.code == refused.code
                continue
        assert not isinstance(preview, DomainError), preview
        event(f"committed {body['type']}")
        strip = ("id", "operation", "subscription", "customer", "created_on")
        # S11: a preview is the quote (status `preview`); the commit's amount is what it
        # wrote, and a quote charged later is shown apart (`quote`, `quote_lines`)
        assert preview["status"] == "preview" != done["status"]
        assert preview["quote"] == done["quote"]
        assert preview["effective_on"] == done["effective_on"]
        quoted = done.get("quote_lines", done["lines"])
        assert [{k: v for k, v in ln.items() if k not in strip} for ln in preview["lines"]] == \
            [{k: v for k, v in ln.items() if k not in strip} for ln in quoted]
        if "quote_lines" not in done:
            assert preview["amount"] == done["amount"]
