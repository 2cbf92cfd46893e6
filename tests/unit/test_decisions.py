"""Decisions recorded in docs/DESIGN.md where the SPEC is silent."""

from datetime import date, timedelta

from prorata.domain.model import OpStatus, Status
from tests.unit.builders import Sim, make_plan

BOUGHT = date(2024, 8, 20)


def test_stopped_commitment_is_not_charged_on_the_day_retention_deletes_it():
    # SPEC S9 / C5: a stopped monthly_commitment keeps being charged, but not for a month it
    # will not have: deletion on the retention day comes before that day's prolongation.
    plan = make_plan("monthly_commitment", periods=["P1Y"],
                     settings={"stopped_retention_days": 12})
    sim = Sim(plan, BOUGHT, {"resources": {"seats": 2}})
    sim.do(date(2024, 8, 20), {"type": "stop"})
    sim.advance(date(2024, 9, 1))  # 20 Aug + 12 days = 1 Sep, a billing day
    assert sim.sub.status is Status.DELETED
    assert sim.ops_of("prolong") == []


def test_stopped_commitment_is_charged_monthly_until_deleted():
    # SPEC C5: monthly_commitment stop → "monthly charges continue to term end".
    plan = make_plan("monthly_commitment", periods=["P1Y"],
                     settings={"stopped_retention_days": 90})
    sim = Sim(plan, BOUGHT, {"resources": {"seats": 2}})
    sim.do(date(2024, 8, 25), {"type": "stop"})
    sim.advance(date(2024, 10, 1))
    assert [op.effective_on for op in sim.ops_of("prolong")] == [date(2024, 9, 1),
                                                                 date(2024, 10, 1)]


def test_change_resources_supersedes_a_manual_prolong():
    # SPEC S4 / S7: the customer's latest intent wins over amounts recorded for next month.
    sim = Sim(make_plan("monthly", periods=["P1Y"]), BOUGHT, {"resources": {"seats": 5}})
    prolong = sim.do(date(2024, 8, 22), {"type": "prolong", "resources": {"seats": 12}})
    sim.do(date(2024, 8, 25), {"type": "change_resources", "resources": {"seats": 15}})
    assert sim.sub.next_resources is None
    sim.advance(date(2024, 9, 1))
    assert sim.sub.resources == {"seats": 15}
    [manual] = [op for op in sim.ops_of("prolong") if op.id == prolong.operation.id]
    assert manual.status is OpStatus.CANCELLED
    assert sim.sub.charged_until == date(2024, 9, 1) + timedelta(days=30)
