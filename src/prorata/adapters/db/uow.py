"""`SqlUnitOfWork`: the services' `UnitOfWork` port on SQLAlchemy Core, one transaction each."""

from __future__ import annotations

import copy
import functools
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

from sqlalchemy import ColumnElement, Engine, and_, false, func, or_, select, update

from prorata.adapters.db import line_reads
from prorata.adapters.db import mapping as m
from prorata.adapters.db import prepared as q
from prorata.adapters.db.access import Access
from prorata.adapters.db.invoices import InvoiceStore
from prorata.adapters.db.lists import ListQueries
from prorata.adapters.db.notify import NotifyRecords
from prorata.adapters.db.payments import PaymentStore
from prorata.adapters.db.plan_cache import PlanCache
from prorata.adapters.db.schema import (
    customers,
    operations,
    payments,
    plans,
    products,
    resellers,
    subscriptions,
)
from prorata.adapters.db.session import utcnow
from prorata.adapters.db.subtree import in_subtree, subtree_upper
from prorata.adapters.db.throttle import LoginFailures
from prorata.adapters.db.usage import UsageStore
from prorata.adapters.db.vendor_calls import VendorCallStore
from prorata.domain.catalog import Plan
from prorata.domain.errors import RESTRICTED_PARTY, Conflict
from prorata.domain.model import Customer, Operation, Subscription
from prorata.ids import new_id
from prorata.services.ports import Page, Scope

ROOT_PATH = "/"  # the reseller path of customers sold by the operator directly


def _reseller(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "parent": row.parent_id, "path": row.path,
            "inn": row.inn, "settings": dict(row.settings or {}), "email": row.email}


class SqlUnitOfWork(Access, InvoiceStore, PaymentStore, NotifyRecords, LoginFailures,
                    ListQueries, VendorCallStore, UsageStore):
    """Implements `prorata.services.ports.UnitOfWork`; see there for the contract."""

    def __init__(self, engine: Engine, *, read_only: bool = False, batch: bool = False,
                 plan_cache: PlanCache | None = None, autocommits: bool = False,
                 on_loop: bool = False) -> None:
        super().__init__(engine, read_only=read_only, batch=batch, autocommits=autocommits)
        # Made on the event loop's engine (`Database.uow(on_loop=True)`): used and closed
        # only in greenlets on the loop (api/loop_writes.py).
        self.on_loop = on_loop
        # Without a cache of the process (a unit of work made directly), one of its own.
        self._plan_cache = plan_cache if plan_cache is not None else PlanCache()

    def __enter__(self) -> SqlUnitOfWork:
        super().__enter__()
        self._paths: dict[str, str] = {}
        self._plans_written = False
        return self

    # --- scope (P2) ------------------------------------------------------------------------

    def _path_of(self, reseller_id: str) -> str | None:
        # Paths never change (resellers do not move), so caching found ones is safe.
        if reseller_id not in self._paths:
            path = self.connection.execute(q.RESELLER_PATH, {"id": reseller_id}).scalar()
            if path is None:
                return None
            self._paths[reseller_id] = path
        return self._paths[reseller_id]

    def _remember_path(self, reseller_id: str, path: str) -> None:
        self._paths[reseller_id] = path

    def _in_subtree(self, scope: Scope, path_column: Any) -> ColumnElement[bool]:
        path = self._path_of(scope.party)
        if path is None:
            return false()
        return in_subtree(self.connection.dialect.name, path_column, path)

    # --- parties ---------------------------------------------------------------------------

    def get_reseller(self, scope: Scope, reseller_id: str) -> dict[str, Any] | None:
        query = select(resellers).where(resellers.c.id == reseller_id)
        if scope.kind == "reseller":
            query = query.where(self._in_subtree(scope, resellers.c.path))
        elif scope.kind != "operator":
            return None
        row = self.connection.execute(query).first()
        return None if row is None else _reseller(row)

    def reseller_chain(self, reseller_id: str) -> list[dict[str, Any]]:
        """The reseller and its ancestors, from the top of the tree down, whatever the caller's
        scope: delegated settings and restrictions (P3, P6) come from above. One query: the
        ancestors are the resellers whose path is a prefix of this one's."""
        top = self._tops_seen.get(reseller_id)
        if top is not None:  # read along with a subscription: a reseller without a parent
            return [_reseller(top)]
        path = self._path_of(reseller_id)
        if path is None:
            return []
        prefixes = [path[:i + 1] for i, ch in enumerate(path) if ch == "/" and i > 0]
        rows = self.connection.execute(q.RESELLER_CHAIN, {"paths": prefixes}).all()
        return sorted((_reseller(r) for r in rows), key=lambda r: len(r["path"]))

    def update_reseller(self, reseller_id: str, changes: dict[str, Any]) -> None:
        """`changes` among name, inn, settings, email; the tree (parent, path) never changes."""
        self._tops_seen.clear()
        allowed = {k: v for k, v in changes.items()
                   if k in ("name", "inn", "settings", "email")}
        if allowed:
            self.connection.execute(
                update(resellers).where(resellers.c.id == reseller_id).values(**allowed))

    def add_reseller(self, reseller_id: str, name: str, parent: str | None,
                     inn: str | None = None, email: str | None = None) -> None:
        base = ROOT_PATH
        if parent is not None:
            parent_path = self._path_of(parent)
            if parent_path is None:
                raise LookupError(f"no reseller {parent!r}")
            base = parent_path
        row = {"id": reseller_id, "name": name, "parent_id": parent, "inn": inn,
               "email": email, "path": f"{base}{quote(reseller_id, safe='')}/",
               "created_at": utcnow()}
        self._insert_unique(resellers, [row], f"reseller {reseller_id!r}")

    def get_customer(self, scope: Scope, customer_id: str) -> Customer | None:
        seen = self._customers_seen.get((scope, customer_id))
        if seen is not None:
            return seen
        params = self._scoped(scope, customer_id)
        if params is None:
            return None
        row = self.connection.execute(q.customer(scope.kind, self.dialect), params).first()
        return None if row is None else m.row_to_customer(row)

    def _scoped(self, scope: Scope, row_id: str) -> dict[str, str] | None:
        """The parameters of a prepared scoped read (prepared.py), or None when the scope can
        see nothing (a reseller that does not exist, an unknown kind)."""
        if scope.kind == "operator":
            return {"id": row_id}
        if scope.kind == "customer":
            return {"id": row_id, "party": scope.party}
        if scope.kind == "reseller":
            path = self._path_of(scope.party)
            if path is None:
                return None
            return {"id": row_id, "lo": path, "hi": subtree_upper(path)}
        return None

    def add_customer(self, customer: Customer) -> None:
        row = m.customer_values(customer) | {"created_at": utcnow()}
        self._insert_unique(customers, [row], f"customer {customer.id!r}")

    def update_customer(self, customer: Customer) -> None:
        """Editable fields only; the reseller (and so every subscription's path) never moves."""
        self._customers_seen.clear()
        values = m.customer_values(customer)
        for fixed in ("id", "reseller_id", "currency"):
            values.pop(fixed)
        self.connection.execute(
            update(customers).where(customers.c.id == customer.id).values(**values))

    def balance(self, customer_id: str) -> Decimal:
        """B1: payments minus lines, summed by the database on the scaled integers (exact)."""
        paid = select(func.coalesce(func.sum(payments.c.amount), 0)).where(
            payments.c.customer_id == customer_id).scalar_subquery()
        row = self.connection.execute(
            select(paid, *line_reads.charged_totals(customer_id))).one()
        return Decimal(row[0]) - Decimal(row[1]) - Decimal(row[2])

    # --- catalog ---------------------------------------------------------------------------

    def get_product(self, product_id: str) -> dict[str, Any] | None:
        seen = self._products_seen.get(product_id)
        row = seen if seen is not None else \
            self.connection.execute(q.PRODUCT, {"id": product_id}).first()
        if row is None:
            return None
        # Read along, the same row may answer again: a copy, as a statement's would be new.
        fresh = copy.deepcopy if seen is not None else _same
        return {"id": row.id, "name": row.name, "vendor": row.vendor,
                "vendor_settings": fresh(row.vendor_settings or {}),
                "attributes": fresh(row.attributes)}

    def add_product(self, product: dict[str, Any]) -> None:
        row = {"id": product["id"], "name": product["name"], "vendor": product.get("vendor"),
               "vendor_settings": m.jsonable(product.get("vendor_settings") or None),
               "attributes": m.jsonable(product.get("attributes") or [])}
        self._insert_unique(products, [row], f"product {product['id']!r}")

    def get_plan(self, plan_id: str) -> Plan | None:
        """One statement as ever; the JSON is sent and decoded only when the version differs
        from the one this process holds (adapters/db/plan_cache.py)."""
        held = self._plan_cache.held(plan_id)
        held_version = -1 if held is None else held[0]
        if held is not None and not self._plans_written and \
                self._plan_versions_seen.get(plan_id) == held_version:
            return held[1]  # the version this transaction read with a subscription
        row = self.connection.execute(q.PLAN, {"id": plan_id, "held": held_version}).first()
        if row is None:
            return None
        if held is not None and row.version == held_version:
            return held[1]
        plan = m.plan_from_json(row.data)
        if not self._plans_written:  # committed data only: this transaction wrote no plan
            self._plan_cache.put(plan_id, row.version, plan)
        return plan

    def add_plan(self, plan: Plan) -> None:
        self._plans_written = True
        self._plan_versions_seen.clear()
        row = m.plan_values(plan) | {"id": plan.id, "version": 0}
        self._insert_unique(plans, [row], f"plan {plan.id!r}")

    def update_plan(self, plan: Plan) -> None:
        self._plans_written = True
        self._plan_versions_seen.clear()
        result = self.connection.execute(
            update(plans).where(plans.c.id == plan.id)
            .values(**m.plan_values(plan), version=plans.c.version + 1))
        if result.rowcount == 0:
            raise LookupError(f"no plan {plan.id!r}")

    # --- subscriptions ---------------------------------------------------------------------

    def get_subscription(self, scope: Scope, sub_id: str) -> Subscription | None:
        params = self._scoped(scope, sub_id)
        if params is None:
            return None
        row = self.connection.execute(q.subscription(scope.kind, self.dialect), params).first()
        if row is None:
            return None
        self._owners[row.id] = row.customer_id  # what its operations and lines will need
        # Its customer, its plan's version, its product and its customer's reseller came with
        # it: `get_customer` (the same caller sees both, P2), `get_plan` (when this process
        # holds that version), `get_product` and `reseller_chain` (of a reseller at the top of
        # the tree) need no statement of their own in this unit of work (issue 13: a GET's
        # 5 -> 2, a write's 10 -> 6).
        self._plan_versions_seen[row.plan_id] = row.plan_version
        self._customers_seen[(scope, row.customer_id)] = m.row_to_customer(
            _part(row, q.CUSTOMER_LABEL))
        product = _part(row, q.PRODUCT_LABEL)
        self._products_seen[product.id] = product
        reseller = _part(row, q.RESELLER_LABEL)
        if reseller.id is not None:
            self._remember_path(reseller.id, reseller.path)
            if reseller.parent_id is None:  # its chain is itself (`reseller_chain`)
                self._tops_seen[reseller.id] = reseller
        return m.row_to_subscription(row)

    def add_subscription(self, sub: Subscription) -> None:
        found = self.connection.execute(
            select(customers.c.id, resellers.c.path)
            .select_from(customers.outerjoin(resellers, resellers.c.id == customers.c.reseller_id))
            .where(customers.c.id == sub.customer)).first()
        if found is None:
            raise LookupError(f"no customer {sub.customer!r}")
        row = m.subscription_values(sub) | {
            "id": sub.id, "customer_id": sub.customer, "reseller_path": found.path or ROOT_PATH,
            "version": sub.version, "created_at": utcnow()}
        self._insert_unique(subscriptions, [row], f"subscription {sub.id!r}")
        # Operations written before their subscription (same transaction) get their customer.
        self.connection.execute(
            update(operations).where(operations.c.subscription_id == sub.id,
                                     operations.c.customer_id.is_(None))
            .values(customer_id=sub.customer))

    def update_subscription(self, sub: Subscription) -> None:
        """Optimistic lock: two requests that loaded the same version cannot both win."""
        values = m.subscription_values(sub)
        params = {f"v_{c}": v for c, v in values.items()} | {"sid": sub.id,
                                                              "held": sub.version}
        result = self.connection.execute(q.subscription_update(tuple(values)), params)
        if result.rowcount == 0:
            raise Conflict("conflict", "the subscription was changed by another request; retry")
        sub.version += 1

    # --- operations ------------------------------------------------------------------------

    def add_operation(self, op: Operation) -> None:
        self.add_operations([op])

    def add_operations(self, ops: list[Operation], *,
                       skip_duplicates: bool = False) -> list[Operation]:
        """One executemany for the lot (the scheduler writes thousands). Operations without an
        id get one (set on the object). With `skip_duplicates`, operations whose `dedup_key`
        exists are left out instead of raising `DuplicateKey` — the scheduler's exactly-once
        (S12) — and the ones actually written are returned."""
        if not ops:
            return []
        for op in ops:
            if not op.id:
                op.id = new_id("op")
        owners = self._customers_of([op.subscription for op in ops])
        now = utcnow()
        rows = [m.operation_values(op) | {
            "id": op.id, "subscription_id": op.subscription,
            "customer_id": owners.get(op.subscription), "type": op.type, "actor": op.actor,
            "created_on": op.created_on, "dedup_key": op.dedup_key,
            "created_at": now, "updated_at": now} for op in ops]
        what = "operation (id or dedup_key)"
        if not skip_duplicates:
            self._insert_unique(operations, rows, what)
            return list(ops)
        stmt = self._upsert_insert(operations).on_conflict_do_nothing(
            index_elements=[operations.c.dedup_key])
        with self._unique(what):
            self.connection.execute(stmt, rows)
        written = self._existing(operations.c.id, [op.id for op in ops])
        return [op for op in ops if op.id in written]

    def update_operation(self, op: Operation) -> None:
        result = self.connection.execute(
            update(operations).where(operations.c.id == op.id)
            .values(**m.operation_values(op), updated_at=utcnow()))
        if result.rowcount == 0:
            raise LookupError(f"no operation {op.id!r}")

    def get_operation(self, op_id: str) -> Operation | None:
        row = self.connection.execute(
            select(operations).where(operations.c.id == op_id)).first()
        return None if row is None else m.row_to_operation(row)

    def list_operations(self, sub_id: str, limit: int, starting_after: str | None,
                        hide_restricted: bool = False) -> Page:
        """S11: newest first. `hide_restricted`: without the restriction-list skips (P6), which
        a customer does not see; filtered in the query so pages stay full and a cursor naming
        a hidden one finds nothing."""
        owner = operations.c.subscription_id == sub_id
        if hide_restricted:
            owner = and_(owner, or_(operations.c.error_code.is_(None),
                                    operations.c.error_code != RESTRICTED_PARTY))
        return self._page(select(operations).where(owner), operations, owner, starting_after,
                          limit, newest_first=True, convert=m.row_to_operation)


def _part(row: Any, prefix: str) -> SimpleNamespace:
    """The columns of one joined table in `row`, by their names without `prefix`."""
    positions, names = _columns(row._fields, prefix)
    return SimpleNamespace(**dict(zip(names, [row[i] for i in positions], strict=True)))


@functools.lru_cache(maxsize=16)
def _columns(fields: tuple[str, ...], prefix: str) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Where `prefix`'s columns are in a row of `fields`, and their names without it: found
    once per statement, not per row (every GET of a subscription splits its row in three)."""
    found = [(i, name[len(prefix):]) for i, name in enumerate(fields) if name.startswith(prefix)]
    return tuple(i for i, _ in found), tuple(name for _, name in found)


def _same(value: Any) -> Any:
    return value
