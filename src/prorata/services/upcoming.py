"""Upcoming charges (issue 7): the lines the daily runs will write for a customer up to a
date — prolongations, renewal orders, scheduled switches — so a customer or reseller sees
next month's bill today. Nothing here prices anything: each subscription is run through the
engine's own `run_day`, day after due day, on copies, and nothing is stored. What it shows is
therefore what the scheduler will do if nothing changes meanwhile (no purchase, no price
change, no new rate)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

from prorata.domain.engine import SYSTEM, due_on, run_day
from prorata.domain.errors import DomainError, InvalidInput
from prorata.domain.model import Status
from prorata.domain.money import format_amount, format_price
from prorata.services.list_port import PageRequest
from prorata.services.ports import Scope, UnitOfWork
from prorata.services.subscriptions import context_and_rules, customer_in_scope

MAX_DAYS = 400  # a little over a year ahead: enough for any annual renewal
ONE_DAY = timedelta(days=1)


def _until(raw: str | None, today: date) -> date:
    if raw is None:
        raise InvalidInput("invalid_parameter", "until is required (YYYY-MM-DD)", "until")
    try:
        until = date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput("invalid_parameter", "until must be a date YYYY-MM-DD",
                           "until") from None
    if not today < until <= today + timedelta(days=MAX_DAYS):
        raise InvalidInput("invalid_parameter", f"until must be after today and at most "
                                                f"{MAX_DAYS} days ahead", "until")
    return until


def _subscriptions(uow: UnitOfWork, scope: Scope, customer_id: str) -> list[Any]:
    out: list[Any] = []
    after = None
    while True:
        page = uow.list_objects("subscriptions", scope, {"customer": customer_id},
                                PageRequest(100, after))
        out += [s for s in page.items if s.status is not Status.DELETED]
        if not page.has_more:
            return out
        after = page.items[-1].id


def upcoming(uow: UnitOfWork, scope: Scope, customer_id: str, params: dict[str, str],
             today: date) -> dict[str, Any]:
    unknown = set(params) - {"until"}
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidInput("unknown_parameter", f"unknown query parameter {name!r}", name)
    until = _until(params.get("until"), today)
    customer = customer_in_scope(uow, scope, customer_id)
    balance = uow.balance(customer.id)
    ids = count()
    rows: list[dict[str, Any]] = []
    for sub in _subscriptions(uow, scope, customer.id):
        ctx, _ = context_and_rules(uow, scope, sub, today)
        ctx.actor, ctx.new_id = SYSTEM, lambda prefix: f"upcoming_{prefix}_{next(ids)}"
        day = max(sub.due_on or today + ONE_DAY, today + ONE_DAY)
        while day <= until:
            ctx.today, ctx.balance = day, balance
            try:
                decisions = run_day(ctx)
            except DomainError:  # e.g. a rate missing that day: the run would stop there too
                break
            for decision in decisions:
                op_type = decision.operation.type if decision.operation else None
                for line in decision.lines:
                    balance -= line.amount
                    rows.append(_line(day, sub.id, op_type, line))
            nxt = due_on(ctx.subscription, ctx.plan)
            if nxt is None:
                break
            day = max(nxt, day + ONE_DAY)
    rows.sort(key=lambda r: (r["date"], r["subscription"]))
    total = sum((Decimal(r["amount"]) for r in rows), Decimal(0))
    return {"object": "list", "data": rows, "has_more": False, "until": until.isoformat(),
            "total": format_amount(total, customer.currency), "currency": customer.currency}


def _line(day: date, sub_id: str, op_type: str | None, line: Any) -> dict[str, Any]:
    return {
        "date": day.isoformat(), "subscription": sub_id, "operation_type": op_type,
        "kind": line.kind.value, "description": line.description, "resource": line.resource,
        "period_start": None if line.period_start is None else line.period_start.isoformat(),
        "period_end": None if line.period_end is None else line.period_end.isoformat(),
        "quantity": line.quantity, "unit_price": format_price(line.unit_price),
        "amount": format_amount(line.amount, line.currency), "currency": line.currency,
    }
