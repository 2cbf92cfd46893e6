"""The records the engine reads and writes. Plain dataclasses: the database adapter maps them
to rows, the engine returns new versions of them, nothing here knows about storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from prorata.domain.calendar import expires_on
from prorata.domain.catalog import BillingType


class Status(StrEnum):
    ACTIVE = "active"
    STOPPED = "stopped"
    EXPIRED = "expired"
    DELETED = "deleted"
    ACTIVATING = "activating"
    UPDATING = "updating"
    RENEWING = "renewing"
    SWITCHING = "switching"
    STOPPING = "stopping"
    DELETING = "deleting"


TRANSITIONAL = frozenset({Status.ACTIVATING, Status.UPDATING, Status.RENEWING, Status.SWITCHING,
                          Status.STOPPING, Status.DELETING})


class OpStatus(StrEnum):
    SCHEDULED = "scheduled"
    WAITING_FOR_APPROVAL = "waiting_for_approval"
    WAITING_FOR_PROVISIONING = "waiting_for_provisioning"
    PROVISIONING = "provisioning"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


class LineKind(StrEnum):
    CHARGE = "charge"
    REFUND = "refund"
    CREDIT = "credit"
    FEE = "fee"
    USAGE = "usage"


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    name: str
    reseller: str | None = None
    billing_day: int = 1
    currency: str = "USD"
    inn: str | None = None
    group: str | None = None
    credit_limit: Decimal | None = None
    email: str | None = None  # R2: where its notifications are mailed


@dataclass(frozen=True, slots=True)
class UnitPrice:
    """Prices captured on the subscription (C8): kept until renewal under price lock."""

    price: Decimal
    setup_price: Decimal


@dataclass(frozen=True, slots=True)
class PendingOrder:
    """A renewal order (S5) or a scheduled plan switch (S8.3) waiting for its day.

    `charged_until` is where the order's own charge ends, so that the monthly run continues
    from there once the order takes effect."""

    operation_id: str
    kind: str  # "renewal" | "switch"
    plan: str
    period: str | None
    resources: dict[str, int]
    effective_on: date
    charged_until: date | None = None
    period_end: date | None = None
    prices: dict[str, UnitPrice] = field(default_factory=dict)


@dataclass(slots=True)
class Subscription:
    id: str
    customer: str
    plan: str
    period: str | None
    billing_type: BillingType
    status: Status
    start_date: date            # purchase date
    period_start: date          # start of the current period (purchase or last renewal)
    period_end: date | None     # exclusive; None = endless
    anchor_day: int             # T2: the day of month later periods return to
    charged_until: date | None  # service is paid for up to here (exclusive)
    auto_renew: bool
    resources: dict[str, int]
    prices: dict[str, UnitPrice]
    high_water: dict[str, int]  # C2: setup is charged only above the highest amount held
    renewal_order: PendingOrder | None = None
    scheduled_switch: PendingOrder | None = None
    next_resources: dict[str, int] | None = None  # S7: manual prolong for the next month
    prolong_operation: str | None = None
    stop_request: str | None = None               # S9: operation waiting for approval
    stopped_on: date | None = None
    expired_on: date | None = None
    unpaid_since: date | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    due_on: date | None = None  # the next day the daily run has work for it (engine.schedule)
    expiry_noticed: date | None = None  # R4: the period end whose expiring notice was emitted
    # S6 shifted: this period started on the renewal date; its last payment is one line that
    # runs from the last billing day to the period end (the stub included)
    shifted: bool = False

    @property
    def expires_on(self) -> date | None:
        return expires_on(self.period_end)

    @property
    def locked(self) -> bool:
        """S5.4: a waiting renewal order locks the subscription."""
        return self.renewal_order is not None


@dataclass(frozen=True, slots=True)
class ChargeLine:
    """B1: one money movement in the customer's currency, rounded once (T5)."""

    kind: LineKind
    description: str
    period_start: date | None
    period_end: date | None
    quantity: int
    unit_price: Decimal
    amount: Decimal
    currency: str
    resource: str | None = None
    id: str | None = None
    customer: str | None = None
    subscription: str | None = None
    operation: str | None = None
    created_on: date | None = None


@dataclass(slots=True)
class Operation:
    """S11: one entry of the change history."""

    id: str
    subscription: str
    type: str
    status: OpStatus
    actor: str
    params: dict[str, Any]
    effective_on: date | None
    created_on: date
    amount: Decimal = Decimal("0")
    currency: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    dedup_key: str | None = None


@dataclass(slots=True)
class Event:
    """R2/R3: something happened that people may be told about. Written in the same transaction
    as the change that causes it (an outbox), delivered later by the worker. `dedup_key`
    (unique in the database) makes an event that the daily run emits happen once per
    subscription and day, however often the run repeats (S12)."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)
    customer: str | None = None
    subscription: str | None = None
    dedup_key: str | None = None
    id: str | None = None
    created_on: date | None = None
