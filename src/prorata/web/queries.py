"""The lists the panel needs and the services do not offer yet: minimal, scoped (SPEC P2)
queries. Interim by design: the list services of issue 7 replace them at merge. Every list is
narrowed to the caller's scope in SQL, exactly as the unit of work scopes single reads; the
rows are then loaded through the services, which scope them again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, select, true

from prorata.adapters.db.schema import customers, plans, resellers, subscriptions
from prorata.services.inputs import ID_PATTERN
from prorata.services.ports import Scope, UnitOfWork

LIMIT = 100


def _subtree_path(uow: UnitOfWork, scope: Scope) -> str | None:
    found = uow.get_reseller(scope, scope.party)
    return None if found is None else str(found["path"])


def _sub_scope(uow: UnitOfWork, scope: Scope) -> ColumnElement[bool]:
    if scope.kind == "operator":
        return true()
    if scope.kind == "customer":
        return subscriptions.c.customer_id == scope.party
    if scope.kind == "reseller":
        path = _subtree_path(uow, scope)
        if path is not None:
            return subscriptions.c.reseller_path.startswith(path, autoescape=True)
    return false()


def subscription_ids(uow: UnitOfWork, scope: Scope, *, status: str = "", customer: str = "",
                     plan: str = "", stop_requested: bool = False) -> list[str]:
    """Newest first. A filter value no id can have (a NUL byte, say) matches nothing: it must
    not reach PostgreSQL, which refuses it with an error."""
    if any(v and not ID_PATTERN.match(v) for v in (status, customer, plan)):
        return []
    query = select(subscriptions.c.id).where(_sub_scope(uow, scope))
    if status:
        query = query.where(subscriptions.c.status == status)
    if customer:
        query = query.where(subscriptions.c.customer_id == customer)
    if plan:
        query = query.where(subscriptions.c.plan_id == plan)
    if stop_requested:
        query = query.where(subscriptions.c.stop_request.is_not(None))
    query = query.order_by(subscriptions.c.created_at.desc(), subscriptions.c.id).limit(LIMIT)
    return [row.id for row in uow.connection.execute(query)]  # type: ignore[attr-defined]


def customer_rows(uow: UnitOfWork, scope: Scope) -> list[dict[str, Any]]:
    query = select(customers.c.id, customers.c.name, customers.c.reseller_id,
                   customers.c.currency, customers.c.billing_day)
    if scope.kind == "reseller":
        path = _subtree_path(uow, scope)
        if path is None:
            return []
        query = query.join(resellers, resellers.c.id == customers.c.reseller_id).where(
            resellers.c.path.startswith(path, autoescape=True))
    elif scope.kind == "customer":
        query = query.where(customers.c.id == scope.party)
    elif scope.kind != "operator":
        return []
    rows = uow.connection.execute(query.order_by(customers.c.name).limit(LIMIT))  # type: ignore[attr-defined]
    return [dict(row._mapping) for row in rows]


def reseller_rows(uow: UnitOfWork, scope: Scope) -> list[dict[str, Any]]:
    """Sub-resellers: the operator sees all, a reseller its subtree below itself."""
    query = select(resellers.c.id, resellers.c.name, resellers.c.parent_id)
    if scope.kind == "reseller":
        path = _subtree_path(uow, scope)
        if path is None:
            return []
        query = query.where(resellers.c.path.startswith(path, autoescape=True),
                            resellers.c.id != scope.party)
    elif scope.kind != "operator":
        return []
    rows = uow.connection.execute(query.order_by(resellers.c.path).limit(LIMIT))  # type: ignore[attr-defined]
    return [dict(row._mapping) for row in rows]


def plan_rows(uow: UnitOfWork) -> list[dict[str, Any]]:
    """The catalog is public to every signed-in party (GET /v1/plans/{id} is not scoped)."""
    query = select(plans.c.id, plans.c.name, plans.c.product_id, plans.c.billing_type,
                   plans.c.currency).order_by(plans.c.product_id, plans.c.name).limit(LIMIT)
    return [dict(row._mapping) for row in uow.connection.execute(query)]  # type: ignore[attr-defined]
