"""What the reseller tree and the restriction lists decide for the daily run (SPEC P3, P6),
loaded once per day so that the per-subscription cost is a dictionary lookup.

- `for_day(conn)` → `is_restricted(customer, plan)`: automatic renewal of a listed party is
  skipped and recorded as `skipped` / `restricted_party` by the engine.
- `plans_for_day(conn, plans)` → `plan_for(plan_id, customer)`: the plan with the grace
  period a reseller set for its subtree, where one did (unpaid prolongations, S7)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, select

from prorata.adapters.db.schema import resellers, restrictions
from prorata.domain.catalog import Plan
from prorata.domain.model import Customer
from prorata.domain.parties import Restriction, effective_settings, is_restricted, normalise_inn


def _tree(conn: Connection) -> dict[str, list[Any]]:
    """reseller id → its chain of rows, top first."""
    rows = conn.execute(select(resellers.c.id, resellers.c.path, resellers.c.inn,
                               resellers.c.settings)).all()
    by_path = {r.path: r for r in rows}
    chains = {}
    for r in rows:
        prefixes = [r.path[:i + 1] for i, ch in enumerate(r.path) if ch == "/" and i > 0]
        chains[r.id] = [by_path[p] for p in prefixes if p in by_path]
    return chains


def for_day(conn: Connection) -> Callable[[Customer, Plan], bool]:
    listed = [Restriction(r.id, r.inn, tuple(r.products or ()))
              for r in conn.execute(select(restrictions))]
    if not listed:
        return lambda customer, plan: False
    inns_of = {rid: [normalise_inn(r.inn) for r in chain]
               for rid, chain in _tree(conn).items()}

    def restricted(customer: Customer, plan: Plan) -> bool:
        inns = [normalise_inn(customer.inn), *inns_of.get(customer.reseller or "", [])]
        return is_restricted(inns, plan.product, listed)

    return restricted


def plans_for_day(conn: Connection,
                  plans: dict[str, Plan]) -> Callable[[str, Customer], Plan]:
    grace: dict[str, int] = {}
    for rid, chain in _tree(conn).items():
        value = effective_settings([(r.id, r.settings) for r in chain]).get("grace_period_days")
        if value is not None:
            grace[rid] = value
    cache: dict[tuple[str, int], Plan] = {}

    def plan_for(plan_id: str, customer: Customer) -> Plan:
        plan = plans[plan_id]
        days = grace.get(customer.reseller or "")
        if days is None or days == plan.settings.grace_period_days:
            return plan
        if (plan_id, days) not in cache:
            from dataclasses import replace
            cache[(plan_id, days)] = replace(
                plan, settings=replace(plan.settings, grace_period_days=days))
        return cache[(plan_id, days)]

    return plan_for
