"""`FakeDatabase().uow()`: the `UnitOfWork` port in memory, for fast unit tests of services.
It keeps the SQL adapter's promises — commit or nothing, version conflicts, duplicate keys,
scopes, exact money, JSON-shaped values — so a service that passes against the fake behaves
the same on a database (tests/integration runs the shared contract on all three)."""

from __future__ import annotations

import copy
import itertools
import threading
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from prorata.adapters.db import mapping as m
from prorata.domain.catalog import Plan
from prorata.domain.errors import Conflict, unknown_cursor
from prorata.domain.model import ChargeLine, Customer, Operation, Subscription
from prorata.ids import new_id
from prorata.services.ports import DuplicateKey, Page, Scope
from tests.fake_access import FakeAccess
from tests.fake_events import FakeEvents
from tests.fake_money import MONEY_TABLES, FakeMoney
from tests.fake_notify import FakeNotify

TABLES = ("resellers", "customers", "products", "plans", "subscriptions", "operations",
          "lines", "payments", "rates", "idempotency", "settings", "api_keys", "users",
          "sessions", "login_failures", "restrictions", "events", *MONEY_TABLES, "templates",
          "endpoints", "deliveries")


class FakeDatabase:
    """The committed state, shared by every unit of work it hands out."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tables: dict[str, dict[Any, Any]] = {t: {} for t in TABLES}
        self.seq = itertools.count(1)  # like a database sequence: never reused, never rolled back

    def uow(self, *, read_only: bool = False) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)


class _Row(dict[str, Any]):
    """A stored row: the domain object under "obj" plus the columns the adapter adds."""


class FakeUnitOfWork(FakeAccess, FakeEvents, FakeMoney, FakeNotify):
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db
        self._pending: dict[str, dict[Any, Any]] | None = None
        self._based_on: dict[str, int] = {}  # sub id -> committed version our update assumed
        self._new_ops: set[str] = set()

    def __enter__(self) -> FakeUnitOfWork:
        if self._pending is not None:
            raise RuntimeError("this unit of work is already open")
        self._pending = {t: {} for t in TABLES}
        return self

    def __exit__(self, *exc: object) -> None:
        self._pending = None
        self._based_on, self._new_ops = {}, set()

    def commit(self) -> None:
        """Where the database would have made a concurrent writer wait and then fail, the
        fake fails the later commit: a version bumped meanwhile, a dedup key taken meanwhile."""
        pending = self._open()
        with self._db.lock:
            store = self._db.tables
            if any(sid in store["subscriptions"] and store["subscriptions"][sid]["obj"].version
                   != version for sid, version in self._based_on.items()):
                raise Conflict("conflict", "the subscription was changed by another request; retry")
            keys = {o["obj"].dedup_key for o in store["operations"].values()} - {None}
            if any(k in store["operations"] or pending["operations"][k]["obj"].dedup_key in keys
                   for k in self._new_ops):
                raise DuplicateKey("operation (id or dedup_key) already exists")
            self._check_references({t: {**store[t], **pending[t]} for t in TABLES})
            for t in TABLES:
                store[t].update(pending[t])
        self._pending = {t: {} for t in TABLES}
        self._based_on, self._new_ops = {}, set()

    # --- plumbing --------------------------------------------------------------------------

    def _open(self) -> dict[str, dict[Any, Any]]:
        if self._pending is None:
            raise RuntimeError("use the unit of work inside `with`")
        return self._pending

    def _items(self, table: str) -> dict[Any, Any]:
        """Committed rows overlaid with this unit of work's own writes (read committed)."""
        with self._db.lock:
            return copy.deepcopy({**self._db.tables[table], **self._open()[table]})

    def _get(self, table: str, key: Any) -> Any:
        row = self._open()[table].get(key)
        if row is None:
            with self._db.lock:
                row = self._db.tables[table].get(key)
        return copy.deepcopy(row)

    def _rows(self, table: str) -> list[Any]:
        return list(self._items(table).values())

    def _put(self, table: str, key: Any, row: Any) -> None:
        self._open()[table][key] = copy.deepcopy(row)

    def _insert(self, table: str, key: Any, row: Any, what: str) -> None:
        if self._get(table, key) is not None:
            raise DuplicateKey(f"{what} already exists")
        self._put(table, key, row)

    @staticmethod
    def _check_references(t: dict[str, dict[Any, Any]]) -> None:
        """The ledger's references, checked at commit: the databases have no foreign keys
        there since 0018, and the end-to-end tests check them afterwards (`ledger_breaks`);
        here every service test checks them."""
        for row in t["operations"].values():
            if row["obj"].subscription not in t["subscriptions"]:
                raise LookupError("a written row refers to a row that does not exist")
        for row in t["lines"].values():
            line = row["obj"]
            if (line.subscription is not None and line.subscription not in t["subscriptions"]) \
                    or (line.operation is not None and line.operation not in t["operations"]):
                raise LookupError("a written row refers to a row that does not exist")

    def _path_of(self, reseller_id: str) -> str | None:
        return (self._get("resellers", reseller_id) or {}).get("path")

    def _sees_path(self, scope: Scope, path: str | None) -> bool:
        if scope.kind == "operator":
            return True
        own = self._path_of(scope.party) if scope.kind == "reseller" else None
        return own is not None and path is not None and path.startswith(own)

    # --- parties ---------------------------------------------------------------------------

    def get_reseller(self, scope: Scope, reseller_id: str) -> dict[str, Any] | None:
        row = self._get("resellers", reseller_id)
        return row if row is not None and self._sees_path(scope, row["path"]) else None

    def add_reseller(self, reseller_id: str, name: str, parent: str | None,
                     inn: str | None = None, email: str | None = None) -> None:
        base = "/" if parent is None else self._path_of(parent)
        if base is None:
            raise LookupError(f"no reseller {parent!r}")
        row: dict[str, Any] = {"id": reseller_id, "name": name, "parent": parent, "inn": inn,
                               "settings": {}, "email": email,
                               "path": f"{base}{quote(reseller_id, safe='')}/"}
        self._insert("resellers", reseller_id, row, f"reseller {reseller_id!r}")

    def reseller_chain(self, reseller_id: str) -> list[dict[str, Any]]:
        path = self._path_of(reseller_id)
        if path is None:
            return []
        return sorted((r for r in self._rows("resellers") if path.startswith(r["path"])),
                      key=lambda r: len(r["path"]))

    def update_reseller(self, reseller_id: str, changes: dict[str, Any]) -> None:
        row = self._get("resellers", reseller_id)
        if row is not None:
            row.update({k: m.jsonable(v) for k, v in changes.items()
                        if k in ("name", "inn", "settings", "email")})
            self._put("resellers", reseller_id, row)

    def update_customer(self, customer: Customer) -> None:
        old: Customer | None = self._get("customers", customer.id)
        if old is not None:
            m.customer_values(customer)
            self._put("customers", customer.id,
                      replace(customer, reseller=old.reseller, currency=old.currency))

    def get_customer(self, scope: Scope, customer_id: str) -> Customer | None:
        c: Customer | None = self._get("customers", customer_id)
        if c is None or not (scope.party == customer_id if scope.kind == "customer" else
                             self._sees_path(scope, c.reseller and self._path_of(c.reseller))):
            return None
        return c

    def add_customer(self, customer: Customer) -> None:
        m.customer_values(customer)  # the adapter's checks (exact credit limit)
        if customer.reseller is not None and self._path_of(customer.reseller) is None:
            raise LookupError("customer refers to a row that does not exist")
        self._insert("customers", customer.id, customer, f"customer {customer.id!r}")

    def balance(self, customer_id: str) -> Decimal:
        paid = sum((p["amount"] for p in self._rows("payments")
                    if p["customer"] == customer_id), Decimal(0))
        charged = sum((r["obj"].amount for r in self._rows("lines")
                       if r["obj"].customer == customer_id), Decimal(0))
        return paid - charged

    # --- catalog ---------------------------------------------------------------------------

    def get_product(self, product_id: str) -> dict[str, Any] | None:
        return self._get("products", product_id)

    def add_product(self, product: dict[str, Any]) -> None:
        row = {"id": product["id"], "name": product["name"], "vendor": product.get("vendor"),
               "vendor_settings": m.jsonable(product.get("vendor_settings") or {}),
               "attributes": m.jsonable(product.get("attributes") or [])}
        self._insert("products", product["id"], row, f"product {product['id']!r}")

    def get_plan(self, plan_id: str) -> Plan | None:
        data = self._get("plans", plan_id)
        return None if data is None else m.plan_from_json(data)

    def add_plan(self, plan: Plan) -> None:
        if self._get("products", plan.product) is None:
            raise LookupError("plan refers to a row that does not exist")
        self._insert("plans", plan.id, m.jsonable(m.plan_to_json(plan)), f"plan {plan.id!r}")

    def update_plan(self, plan: Plan) -> None:
        if self._get("plans", plan.id) is None:
            raise LookupError(f"no plan {plan.id!r}")
        self._put("plans", plan.id, m.jsonable(m.plan_to_json(plan)))

    # --- subscriptions ---------------------------------------------------------------------

    def get_subscription(self, scope: Scope, sub_id: str) -> Subscription | None:
        row = self._get("subscriptions", sub_id)
        if row is None or not (row["obj"].customer == scope.party if scope.kind == "customer"
                               else self._sees_path(scope, row["reseller_path"])):
            return None
        sub: Subscription = row["obj"]
        return sub

    def add_subscription(self, sub: Subscription) -> None:
        customer = self._get("customers", sub.customer)
        if customer is None:
            raise LookupError(f"no customer {sub.customer!r}")
        if self._get("plans", sub.plan) is None:
            raise LookupError("subscription refers to a row that does not exist")
        path = (customer.reseller and self._path_of(customer.reseller)) or "/"
        self._insert("subscriptions", sub.id, _sub_row(sub, path, 0), f"subscription {sub.id!r}")

    def update_subscription(self, sub: Subscription) -> None:
        row = self._get("subscriptions", sub.id)
        if row is None or row["obj"].version != sub.version:
            raise Conflict("conflict", "the subscription was changed by another request; retry")
        self._based_on.setdefault(sub.id, sub.version)
        self._put("subscriptions", sub.id, _sub_row(sub, row["reseller_path"], 1))
        sub.version += 1

    # --- operations ------------------------------------------------------------------------

    def add_operation(self, op: Operation) -> None:
        self.add_operations([op])

    def add_operations(self, ops: list[Operation], *,
                       skip_duplicates: bool = False) -> list[Operation]:
        written: list[tuple[Operation, _Row]] = []
        for op in ops:
            op.id = op.id or new_id("op")
            m.operation_values(op)
            taken = op.dedup_key is not None and any(
                r["obj"].dedup_key == op.dedup_key
                for r in self._rows("operations") + [row for _, row in written])
            if self._get("operations", op.id) is not None or taken:
                if skip_duplicates and taken:
                    continue
                raise DuplicateKey("operation (id or dedup_key) already exists")
            stored = copy.deepcopy(op)
            stored.params = m.jsonable(op.params)
            written.append((op, _Row(obj=stored, seq=next(self._db.seq))))
        for op, row in written:  # all or nothing, like the adapter's single statement
            self._put("operations", op.id, row)
            self._new_ops.add(op.id)
        return [op for op, _ in written]

    def update_operation(self, op: Operation) -> None:
        row = self._get("operations", op.id)
        if row is None:
            raise LookupError(f"no operation {op.id!r}")
        m.operation_values(op)
        stored = row["obj"]
        for name in ("status", "effective_on", "amount", "currency", "error_code",
                     "error_message"):
            setattr(stored, name, getattr(op, name))
        stored.params = m.jsonable(op.params)
        self._put("operations", op.id, row)

    def get_operation(self, op_id: str) -> Operation | None:
        row = self._get("operations", op_id)
        return None if row is None else row["obj"]

    def list_operations(self, sub_id: str, limit: int, starting_after: str | None,
                        hide_restricted: bool = False) -> Page:
        rows = [r for r in self._rows("operations") if r["obj"].subscription == sub_id
                and not (hide_restricted and r["obj"].error_code == "restricted_party")]
        return _page(rows, limit, starting_after, newest_first=True)

    # --- money -----------------------------------------------------------------------------

    def add_lines(self, lines: list[ChargeLine]) -> None:
        rows = []
        for line in lines:
            m.line_values(line)
            customer = line.customer
            if customer is None and line.subscription is not None:
                sub = self._get("subscriptions", line.subscription)
                customer = None if sub is None else sub["obj"].customer
            if customer is None:
                raise ValueError(f"charge line {line.description!r} has no customer")
            if line.created_on is None:
                raise ValueError(f"charge line {line.description!r} has no created_on")
            stored = replace(line, id=line.id or new_id("ln"), customer=customer)
            if self._get("lines", stored.id) is not None:
                raise DuplicateKey("charge line already exists")
            rows.append(_Row(obj=stored, seq=next(self._db.seq)))
        for row in rows:
            self._put("lines", row["obj"].id, row)

    def list_lines(self, customer_id: str, limit: int, starting_after: str | None) -> Page:
        rows = [r for r in self._rows("lines") if r["obj"].customer == customer_id]
        return _page(rows, limit, starting_after, newest_first=False)

    def lines_for_operation(self, op_id: str) -> list[ChargeLine]:
        rows = sorted((r for r in self._rows("lines") if r["obj"].operation == op_id),
                      key=lambda r: (r["seq"], r["obj"].id))
        return [r["obj"] for r in rows]

    def lines_for_operations(self, op_ids: list[str]) -> dict[str, list[ChargeLine]]:
        return {op_id: self.lines_for_operation(op_id) for op_id in op_ids}

    def net_charged(self, sub_id: str, since: date | None) -> Decimal:
        return sum((r["obj"].amount for r in self._rows("lines")
                    if r["obj"].subscription == sub_id and (since is None or (
                        r["obj"].period_start is not None and r["obj"].period_start >= since))),
                   Decimal(0))

    def add_rate(self, src: str, dst: str, rate: Decimal, effective_from: date) -> None:
        if not isinstance(rate, Decimal) or not rate.is_finite() or rate <= 0:
            raise ValueError(f"an exchange rate must be a positive Decimal, got {rate!r}")
        self._insert("rates", (src, dst, effective_from), rate,
                     f"rate {src}->{dst} from {effective_from.isoformat()}")

    def rates(self, src: str, dst: str) -> list[tuple[date, Decimal]]:
        return sorted((k[2], v) for k, v in self._items("rates").items() if k[:2] == (src, dst))

    def latest_rates(self, limit: int) -> list[tuple[str, str, date, Decimal]]:
        rows = sorted(((k[0], k[1], k[2], v) for k, v in self._items("rates").items()),
                      key=lambda r: (-r[2].toordinal(), r[0], r[1]))
        return rows[:limit]

    # --- idempotency and settings ----------------------------------------------------------

    def get_idempotent(self, scope: Scope, key: str) -> dict[str, Any] | None:
        return self._get("idempotency", (scope.kind, scope.party, key))

    def put_idempotent(self, scope: Scope, key: str, record: dict[str, Any]) -> None:
        self._insert("idempotency", (scope.kind, scope.party, key), m.jsonable(record),
                     f"idempotency key {key!r}")

    def get_setting(self, key: str) -> Any:
        return self._get("settings", key)

    def put_setting(self, key: str, value: Any) -> None:
        self._put("settings", key, m.jsonable(value))


def _sub_row(sub: Subscription, reseller_path: str, bump: int) -> _Row:
    m.subscription_values(sub)  # the adapter's checks
    stored = copy.deepcopy(sub)
    stored.attributes = m.jsonable(sub.attributes)
    stored.version += bump
    return _Row(obj=stored, reseller_path=reseller_path)


def _page(rows: list[Any], limit: int, starting_after: str | None, newest_first: bool) -> Page:
    if limit < 1:
        raise ValueError("limit must be at least 1")
    rows.sort(key=lambda r: (r["seq"], r["obj"].id), reverse=newest_first)
    if starting_after is not None:
        index = next((i for i, r in enumerate(rows) if r["obj"].id == starting_after), None)
        if index is None:
            raise unknown_cursor(starting_after)
        rows = rows[index + 1:]
    return Page([r["obj"] for r in rows[:limit]], len(rows) > limit)
