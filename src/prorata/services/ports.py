"""What the services need from storage. The SQL adapter implements it; tests use a fake.

Every method that lists takes the caller's `Scope`, so no query can forget whose data it is
(SPEC P2): the operator sees everything, a reseller its subtree, a customer itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from prorata.domain.catalog import Plan
from prorata.domain.model import ChargeLine, Customer, Operation, Subscription


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose data a caller may see. `kind` is operator | reseller | customer."""

    kind: str
    party: str  # "operator", a reseller id or a customer id

    @property
    def is_manager(self) -> bool:
        return self.kind != "customer"


OPERATOR = Scope("operator", "operator")


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Any]
    has_more: bool


class DuplicateKey(Exception):
    """A unique key (operation dedup key, idempotency key, client-chosen id) already exists."""


class UnitOfWork(Protocol):
    """One transaction. `commit()` makes every write visible at once; leaving the `with`
    block without committing rolls everything back."""

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(self, *exc: object) -> None: ...
    def commit(self) -> None: ...

    # parties
    def get_reseller(self, scope: Scope, reseller_id: str) -> dict[str, Any] | None: ...
    def add_reseller(self, reseller_id: str, name: str, parent: str | None) -> None: ...
    def get_customer(self, scope: Scope, customer_id: str) -> Customer | None: ...
    def add_customer(self, customer: Customer) -> None: ...
    def balance(self, customer_id: str) -> Decimal: ...

    # catalog
    def get_product(self, product_id: str) -> dict[str, Any] | None: ...
    def add_product(self, product: dict[str, Any]) -> None: ...
    def get_plan(self, plan_id: str) -> Plan | None: ...
    def add_plan(self, plan: Plan) -> None: ...
    def update_plan(self, plan: Plan) -> None: ...

    # subscriptions and their history
    def get_subscription(self, scope: Scope, sub_id: str) -> Subscription | None: ...
    def add_subscription(self, sub: Subscription) -> None: ...
    def update_subscription(self, sub: Subscription) -> None:
        """Writes `sub` if its stored version is still `sub.version`, then bumps the version
        on `sub` too; otherwise raises `Conflict` (HTTP 409)."""
    def add_operation(self, op: Operation) -> None:
        """Raises `DuplicateKey` when `op.dedup_key` was used before."""
    def update_operation(self, op: Operation) -> None: ...
    def get_operation(self, op_id: str) -> Operation | None: ...
    def list_operations(self, sub_id: str, limit: int, starting_after: str | None) -> Page: ...

    # money
    def add_lines(self, lines: list[ChargeLine]) -> None: ...
    def list_lines(self, customer_id: str, limit: int, starting_after: str | None) -> Page: ...
    def lines_for_operation(self, op_id: str) -> list[ChargeLine]: ...
    def net_charged(self, sub_id: str, since: date | None) -> Decimal:
        """Sum of the subscription's lines whose service period starts on/after `since`."""
    def add_rate(self, src: str, dst: str, rate: Decimal, effective_from: date) -> None: ...
    def rates(self, src: str, dst: str) -> list[tuple[date, Decimal]]:
        """Every rate of the pair, oldest first."""

    # idempotency (S12) and settings
    def get_idempotent(self, scope: Scope, key: str) -> dict[str, Any] | None: ...
    def put_idempotent(self, scope: Scope, key: str, record: dict[str, Any]) -> None: ...
    def get_setting(self, key: str) -> Any: ...
    def put_setting(self, key: str, value: Any) -> None: ...
