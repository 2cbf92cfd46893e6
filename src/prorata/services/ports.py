"""What the services need from storage. The SQL adapter implements it; tests use a fake.

Every method that lists takes the caller's `Scope`, so no query can forget whose data it is
(SPEC P2): the operator sees everything, a reseller its subtree, a customer itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from prorata.domain.catalog import Plan
from prorata.domain.model import ChargeLine, Customer, Event, Operation, Subscription
from prorata.domain.parties import Restriction
from prorata.services.list_port import ListStore
from prorata.services.money_port import MoneyStore


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


class UnitOfWork(MoneyStore, ListStore, Protocol):
    """One transaction. `commit()` makes every write visible at once; leaving the `with`
    block without committing rolls everything back."""

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(self, *exc: object) -> None: ...
    def commit(self) -> None: ...

    # parties
    def get_reseller(self, scope: Scope, reseller_id: str) -> dict[str, Any] | None:
        """{id, name, parent, path, inn, settings, email} if the reseller is in `scope`."""
    def add_reseller(self, reseller_id: str, name: str, parent: str | None,
                     inn: str | None = None, email: str | None = None) -> None: ...
    def reseller_chain(self, reseller_id: str) -> list[dict[str, Any]]:
        """The reseller and its ancestors, top first, unscoped (for P3/P6 rules only)."""
    def update_reseller(self, reseller_id: str, changes: dict[str, Any]) -> None:
        """Changes name, inn, settings and/or email."""
    def get_customer(self, scope: Scope, customer_id: str) -> Customer | None: ...
    def add_customer(self, customer: Customer) -> None: ...
    def update_customer(self, customer: Customer) -> None:
        """Writes the editable fields (not id, reseller, currency)."""
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
    def list_operations(self, sub_id: str, limit: int, starting_after: str | None,
                        hide_restricted: bool = False) -> Page: ...

    # money
    def add_lines(self, lines: list[ChargeLine]) -> None: ...
    def list_lines(self, customer_id: str, limit: int, starting_after: str | None) -> Page: ...
    def lines_for_operation(self, op_id: str) -> list[ChargeLine]: ...
    def net_charged(self, sub_id: str, since: date | None) -> Decimal:
        """Sum of the subscription's lines whose service period starts on/after `since`."""
    def add_rate(self, src: str, dst: str, rate: Decimal, effective_from: date) -> None: ...

    # events (R2, R3): the outbox, written with the change that causes them
    def add_events(self, events: list[Event]) -> int:
        """Stores them (ids set on the objects); an event whose `dedup_key` is taken is
        skipped. Answers how many were written."""
    def rates(self, src: str, dst: str) -> list[tuple[date, Decimal]]:
        """Every rate of the pair, oldest first."""
    def latest_rates(self, limit: int) -> list[tuple[str, str, date, Decimal]]:
        """(from, to, effective_from, rate), the latest effective first, at most `limit`."""

    # vendors (V1, V5): the durable call the worker makes and polls
    def add_vendor_call(self, *, operation_id: str, before: Subscription, connector: str,
                        settings: dict[str, Any], request: dict[str, Any], target_status: str,
                        now: datetime, deadline: datetime) -> str: ...

    # access (P2): keys and sessions are stored as hashes only
    def add_api_key(self, key_id: str, party_kind: str, party_id: str,
                    secret_hash: str) -> None: ...
    def get_api_key(self, key_id: str) -> dict[str, Any] | None:
        """{id, party_kind, party_id, revoked}."""
    def find_api_key(self, secret_hash: str) -> dict[str, Any] | None:
        """The live (not revoked) key with this hash."""
    def revoke_api_key(self, key_id: str) -> None: ...
    def add_user(self, user_id: str, email: str, password_hash: str, party_kind: str,
                 party_id: str) -> None:
        """Raises `DuplicateKey` when the party has an account with this e-mail already
        (accounts are unique per e-mail and party), or the id is taken."""
    def find_users(self, email: str) -> list[dict[str, Any]]:
        """Every account of this e-mail, one per party, ordered by party kind and id."""
    def add_session(self, session_id: str, user_id: str, token_hash: str,
                    expires_at: datetime) -> None: ...
    def find_session(self, token_hash: str, now: datetime) -> dict[str, Any] | None:
        """{party_kind, party_id} of an unexpired session's user."""
    def delete_session(self, token_hash: str) -> None: ...
    def find_caller(self, secret_hash: str, now: datetime) -> dict[str, Any] | None:
        """{party_kind, party_id} of a live key or an unexpired session with this hash whose
        party still exists (the operator always does); else None."""

    # login throttling (issue 6): failed sign-ins, shared by every process
    def add_login_failure(self, failure_id: str, email: str, client: str,
                          at: datetime) -> None: ...
    def login_failures_since(self, email: str | None, client: str | None, since: datetime,
                             newest: int) -> tuple[int, list[datetime]]:
        """(count of failures matching the e-mail and/or client since `since`, the times of
        the `newest` latest, newest first)."""

    # restriction lists (P6)
    def add_restriction(self, restriction: Restriction) -> None: ...
    def get_restriction(self, restriction_id: str) -> Restriction | None: ...
    def delete_restriction(self, restriction_id: str) -> None: ...
    def list_restrictions(self, limit: int, starting_after: str | None) -> Page: ...
    def restrictions_for(self, inns: list[str]) -> list[Restriction]: ...

    # idempotency (S12) and settings
    def get_idempotent(self, scope: Scope, key: str) -> dict[str, Any] | None: ...
    def put_idempotent(self, scope: Scope, key: str, record: dict[str, Any]) -> None: ...
    def get_setting(self, key: str) -> Any: ...
    def put_setting(self, key: str, value: Any) -> None: ...

    # notifications (R2, R3): the event list, templates, webhook endpoints
    def list_events(self, scope: Scope, limit: int, starting_after: str | None, *,
                    event_type: str | None = None, customer: str | None = None,
                    subscription: str | None = None) -> Page:
        """Newest first; items are {event: Event, created_at}."""
    def get_event(self, scope: Scope, event_id: str) -> dict[str, Any] | None:
        """{event: Event, created_at} if the event is in `scope`."""
    def get_templates(self, owners: list[str],
                      event_type: str | None = None) -> dict[tuple[str, str], tuple[str, str]]:
        """{(event type, owner): (subject, body)}; owner "*" is the operator's."""
    def put_template(self, event_type: str, owner: str, reseller_id: str | None, subject: str,
                     body: str) -> None:
        """Creates or replaces the owner's template of that type."""
    def delete_template(self, event_type: str, owner: str) -> bool: ...
    def add_endpoint(self, endpoint: dict[str, Any]) -> None:
        """{id, reseller, url, events, description, secret}; enabled, no failures."""
    def get_endpoint(self, scope: Scope, endpoint_id: str) -> dict[str, Any] | None:
        """A live (not deleted) endpoint the scope sees: the operator all, a reseller those
        of its subtree, a customer none."""
    def update_endpoint(self, endpoint_id: str, changes: dict[str, Any]) -> None:
        """Among url, events, description, enabled, disabled_reason, failures, failing_since,
        deleted_at.
        Deleting (deleted_at) cancels the endpoint's pending deliveries."""
    def list_endpoints(self, scope: Scope, limit: int, starting_after: str | None) -> Page: ...
    def list_deliveries(self, endpoint_id: str, limit: int, starting_after: str | None) -> Page:
        """Newest first, each with its attempts under "log"."""
