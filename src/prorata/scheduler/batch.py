"""Writing one batch of the daily run's decisions with a handful of bulk statements."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import bindparam, update

from prorata.adapters.db import mapping as m
from prorata.adapters.db.schema import operations, subscriptions
from prorata.adapters.db.session import utcnow
from prorata.domain.engine import Decision
from prorata.domain.model import ChargeLine, Operation, Subscription
from prorata.services.subscriptions import new_id


class LostRace(Exception):
    """Another run wrote some of this batch first; the batch is rolled back and retried."""


def _sub_update_stmt() -> Any:
    """UPDATE … WHERE id = ? AND version = ?, sent once with every row of the batch."""
    cols = {name: bindparam(f"v_{name}") for name in _columns()}
    return (update(subscriptions)
            .where(subscriptions.c.id == bindparam("b_id"),
                   subscriptions.c.version == bindparam("b_version"))
            .values(**cols, version=subscriptions.c.version + 1))


_COLUMNS: list[str] = []


def _columns() -> list[str]:
    """The columns `mapping.subscription_values` writes, learnt once from a probe record."""
    if not _COLUMNS:
        probe = _probe_subscription()
        _COLUMNS.extend(m.subscription_values(probe).keys())
    return _COLUMNS


def _probe_subscription() -> Subscription:
    from prorata.domain.catalog import BillingType
    from prorata.domain.model import Status

    day = date(2000, 1, 1)
    return Subscription(id="probe", customer="probe", plan="probe", period=None,
                        billing_type=BillingType.MONTHLY, status=Status.ACTIVE, start_date=day,
                        period_start=day, period_end=None, anchor_day=1, charged_until=None,
                        auto_renew=False, resources={}, prices={}, high_water={})


def write_batch(uow: Any, results: list[tuple[Subscription, list[Decision]]],
                today: date) -> dict[str, int]:
    """Store every decision of the batch: new operations (their dedup keys make each action
    happen once), their lines, operation status changes, and the subscriptions' new state
    (guarded by their version). Anything written first by another run raises `LostRace`."""
    ops: list[Operation] = []
    lines: list[ChargeLine] = []
    op_updates: list[dict[str, Any]] = []
    subs: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    now = utcnow()
    for original, decisions in results:
        for decision in decisions:
            op = decision.operation
            if op is not None:
                ops.append(op)
                counts[op.type] = counts.get(op.type, 0) + 1
            for line in decision.lines:
                lines.append(replace(line, id=new_id("ln"), customer=original.customer,
                                     subscription=original.id,
                                     operation=op.id if op else None, created_on=today))
            for upd in decision.op_updates:
                op_updates.append({"b_id": upd.operation_id, "v_status": upd.status.value,
                                   "v_error_code": upd.error_code,
                                   "v_error_message": upd.error_message, "v_updated_at": now})
        final = decisions[-1].subscription
        row = {f"v_{k}": v for k, v in m.subscription_values(final).items()}
        row.update(b_id=original.id, b_version=original.version)
        subs.append(row)
    if ops:
        written = uow.add_operations(ops, skip_duplicates=True)
        if len(written) != len(ops):
            raise LostRace(f"{len(ops) - len(written)} actions were already done")
    if lines:
        uow.add_lines(lines)
    if op_updates:
        uow.connection.execute(
            update(operations).where(operations.c.id == bindparam("b_id")).values(
                status=bindparam("v_status"), error_code=bindparam("v_error_code"),
                error_message=bindparam("v_error_message"),
                updated_at=bindparam("v_updated_at")), op_updates)
    if subs:
        result = uow.connection.execute(_sub_update_stmt(), subs)
        if uow.connection.dialect.supports_sane_multi_rowcount and result.rowcount != len(subs):
            raise LostRace("a subscription changed while the batch was decided")
    counts["lines"] = len(lines)
    return counts
