"""What the engine is given and what it answers. Services fill a `Context` from storage; the
engine returns a `Decision` that services store as is, in one transaction."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from prorata.domain.catalog import Plan
from prorata.domain.errors import EXCHANGE_RATE_MISSING, OperationRefused
from prorata.domain.model import (
    ChargeLine,
    Customer,
    Event,
    Operation,
    OpStatus,
    Subscription,
)


class Actor(Protocol):
    """Who acts: operator | reseller | customer, or the scheduler (system)."""

    @property
    def kind(self) -> str: ...

    @property
    def party(self) -> str: ...

    @property
    def is_manager(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class SystemActor:
    """The scheduler acting on its own."""

    kind: str = "system"
    party: str = "scheduler"

    @property
    def is_manager(self) -> bool:
        return True


SYSTEM = SystemActor()


class RateTable:
    """Exchange rates by pair, each effective from a date until the next one (T6)."""

    def __init__(self, rates: Mapping[tuple[str, str], list[tuple[date, Decimal]]] | None = None):
        self._rates = {pair: sorted(rows) for pair, rows in (rates or {}).items()}

    def rate(self, src: str, dst: str, day: date) -> Decimal:
        if src == dst:
            return Decimal(1)
        rows = self._rates.get((src, dst), [])
        idx = bisect.bisect_right([d for d, _ in rows], day)
        if idx == 0:
            raise OperationRefused(EXCHANGE_RATE_MISSING,
                                   f"no {src}->{dst} exchange rate effective on {day}", None)
        return rows[idx - 1][1]


@dataclass(slots=True)
class Context:
    today: date
    subscription: Subscription
    plan: Plan
    customer: Customer
    actor: Actor
    new_id: Callable[[str], str]
    plans: Mapping[str, Plan] = field(default_factory=dict)
    rates: RateTable = field(default_factory=RateTable)
    restricted: bool = False
    stop_needs_approval: bool = False  # the customer's group asks for it (S9, P3)
    refundable: Decimal | None = None  # net charged for the current period (refund cap)
    order_lines: list[ChargeLine] = field(default_factory=list)  # lines of a pending order
    balance: Decimal | None = None  # the customer's balance, for the grace period (S7)


@dataclass(frozen=True, slots=True)
class OpUpdate:
    """A change to an operation already in the history (an order completed or cancelled)."""

    operation_id: str
    status: OpStatus
    error_code: str | None = None
    error_message: str | None = None


@dataclass(slots=True)
class Decision:
    subscription: Subscription
    operation: Operation | None
    lines: list[ChargeLine] = field(default_factory=list)   # stored now
    quote: list[ChargeLine] | None = None                  # shown; defaults to `lines`
    op_updates: list[OpUpdate] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)  # stored with the decision (outbox)
    routed: Any = None  # services.vendors.Routed: the daily run's vendor call to write

    @property
    def shown(self) -> list[ChargeLine]:
        return self.lines if self.quote is None else self.quote
