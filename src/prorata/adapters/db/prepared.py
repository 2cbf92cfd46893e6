"""The statements of the hottest reads, built once per process with bind parameters (issue 13).

Building a SQLAlchemy statement and computing its cache key costs more CPU than running it:
about 2 ms for the caller's look-up (a union and two joins) against 0.4 ms to execute a
prebuilt one, on this machine under load. The statements a GET runs on every request are
therefore built here once and executed with their parameters; SQLAlchemy then finds the
compiled form in its cache by a key it computed once. Each is the same SQL the code built
before, parameters in place of values."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import String, and_, bindparam, case, literal, null, select, union_all, update

from prorata.adapters.db.schema import (
    api_keys,
    customers,
    plans,
    products,
    resellers,
    subscriptions,
    user_sessions,
    users,
)


def _caller() -> Any:
    keys = select(api_keys.c.party_kind, api_keys.c.party_id).where(
        api_keys.c.secret_hash == bindparam("hash"), api_keys.c.revoked_at.is_(None))
    sessions = (select(users.c.party_kind, users.c.party_id)
                .select_from(user_sessions.join(users, users.c.id == user_sessions.c.user_id))
                .where(user_sessions.c.token_hash == bindparam("hash"),
                       user_sessions.c.expires_at > bindparam("now", type_=user_sessions.c
                                                              .expires_at.type)))
    found = union_all(keys, sessions).subquery()
    return (select(found.c.party_kind, found.c.party_id, resellers.c.path,
                   customers.c.id.label("customer"))
            .select_from(found
                         .outerjoin(resellers, and_(found.c.party_kind == literal("reseller"),
                                                    resellers.c.id == found.c.party_id))
                         .outerjoin(customers, and_(found.c.party_kind == literal("customer"),
                                                    customers.c.id == found.c.party_id)))
            .limit(1))


CALLER = _caller()
"""A live key or an unexpired session by hash, with its party's existence and path."""

PLAN = (select(plans.c.version,
               case((plans.c.version == bindparam("held"), null()), else_=plans.c.data)
               .label("data"))
        .where(plans.c.id == bindparam("id")))
"""A plan's version, and its data unless the version is the one held (plan_cache.py)."""

RESELLER_PATH = select(resellers.c.path).where(resellers.c.id == bindparam("id"))

RESELLER_CHAIN = select(resellers).where(
    resellers.c.path.in_(bindparam("paths", expanding=True)))


def in_subtree(dialect: str, column: Any) -> Any:
    """adapters/db/subtree.py's range test with parameters `lo` and `hi` (the path and
    `subtree_upper(path)`)."""
    lo, hi = bindparam("lo", type_=String), bindparam("hi", type_=String)
    if dialect == "postgresql":
        return and_(column.op("~>=~", is_comparison=True)(lo),
                    column.op("~<~", is_comparison=True)(hi))
    return and_(column >= lo, column < hi)


_CUSTOMER = select(customers).where(customers.c.id == bindparam("id"))


CUSTOMER_LABEL = "customer__"
"""The prefix of the customer's columns read along with a subscription."""

PRODUCT_LABEL = "product__"
"""The prefix of its plan's product's columns, read along likewise."""

RESELLER_LABEL = "reseller__"
"""The prefix of the customer's reseller's columns (all NULL when sold by the operator)."""

_SUB = (select(subscriptions, *(c.label(CUSTOMER_LABEL + c.name) for c in customers.c),
               plans.c.version.label("plan_version"),
               *(c.label(PRODUCT_LABEL + c.name) for c in products.c),
               *(c.label(RESELLER_LABEL + c.name) for c in resellers.c))
        .join(customers, customers.c.id == subscriptions.c.customer_id)
        .join(plans, plans.c.id == subscriptions.c.plan_id)
        .join(products, products.c.id == plans.c.product_id)
        .outerjoin(resellers, resellers.c.id == customers.c.reseller_id)
        .where(subscriptions.c.id == bindparam("id")))


@cache
def subscription(kind: str, dialect: str) -> Any:
    """A subscription by id as an operator, a customer (`party`) or a reseller (`lo`, `hi`),
    with its customer's columns (`CUSTOMER_LABEL` + name), its plan's version
    (`plan_version`), its product's (`PRODUCT_LABEL`) and its customer's reseller's
    (`RESELLER_LABEL`): whoever sees a subscription sees its customer (P2), and almost every
    use of a subscription needs them."""
    if kind == "customer":
        return _SUB.where(subscriptions.c.customer_id == bindparam("party"))
    if kind == "reseller":
        return _SUB.where(in_subtree(dialect, subscriptions.c.reseller_path))
    return _SUB


@cache
def customer(kind: str, dialect: str) -> Any:
    """A customer by id as an operator, a customer (`party`) or a reseller (`lo`, `hi`)."""
    if kind == "customer":
        return _CUSTOMER.where(customers.c.id == bindparam("party"))
    if kind == "reseller":
        return (_CUSTOMER.join(resellers, resellers.c.id == customers.c.reseller_id)
                .where(in_subtree(dialect, resellers.c.path)))
    return _CUSTOMER


# --- the statements of every write operation (issue 13) ---------------------------------------

PRODUCT = select(products).where(products.c.id == bindparam("id"))



@cache
def subscription_update(columns: tuple[str, ...]) -> Any:
    """UPDATE of `columns` (parameters `v_<column>`) that bumps the version where id (`sid`)
    and version (`held`) still match: the optimistic lock of SqlUnitOfWork.update_subscription."""
    values: dict[str, Any] = {c: bindparam(f"v_{c}", type_=subscriptions.c[c].type)
                              for c in columns}
    values["version"] = subscriptions.c.version + 1
    return (update(subscriptions)
            .where(subscriptions.c.id == bindparam("sid"),
                   subscriptions.c.version == bindparam("held"))
            .values(values))
