"""Catalog (SPEC C1-C8): plans, their resources and settings, validated once when defined."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any

from prorata.domain.errors import AMOUNT_OUT_OF_RANGE, PERIOD_NOT_OFFERED, InvalidInput
from prorata.domain.money import ZERO, format_price, parse_decimal


class BillingType(StrEnum):
    MONTHLY = "monthly"
    MONTHLY_COMMITMENT = "monthly_commitment"
    LONG_TERM = "long_term"
    RESERVATION = "reservation"
    NON_RECURRING = "non_recurring"
    PAYG = "payg"
    TRIAL = "trial"


MONTHLY_TYPES = frozenset({BillingType.MONTHLY, BillingType.MONTHLY_COMMITMENT})
WHOLE_PERIOD_TYPES = frozenset(
    {BillingType.LONG_TERM, BillingType.RESERVATION, BillingType.NON_RECURRING, BillingType.TRIAL}
)
# C5: never renews (a non-recurring purchase; a trial only switches to a paid plan).
NEVER_RENEWS = frozenset({BillingType.NON_RECURRING, BillingType.TRIAL})
# C5: where a decrease or a downgrade mid-term is refused.
NO_DECREASE_TYPES = frozenset(
    {BillingType.MONTHLY_COMMITMENT, BillingType.RESERVATION, BillingType.NON_RECURRING}
)


@dataclass(frozen=True, slots=True)
class Resource:
    id: str
    name: str
    unit: str = "unit"
    primary: bool = False
    priority: int = 0
    included: int = 0
    min: int = 0
    max: int | None = None
    price: Decimal | dict[str, Decimal] = ZERO
    setup_price: Decimal = ZERO
    erp_price: Decimal | None = None

    def price_for(self, period: str | None) -> Decimal:
        if isinstance(self.price, dict):
            if period is not None and period in self.price:
                return self.price[period]
            raise InvalidInput(PERIOD_NOT_OFFERED, f"resource {self.id} has no price for {period}",
                               "period")
        return self.price

    @property
    def range_text(self) -> str:
        return f"{self.min}..{'unlimited' if self.max is None else self.max}"

    def fits(self, amount: int) -> bool:
        return amount >= self.min and (self.max is None or amount <= self.max)

    def check_amount(self, amount: int) -> None:
        """C3: amounts outside [min, max] are refused, naming the resource and the range."""
        if not self.fits(amount):
            raise InvalidInput(
                AMOUNT_OUT_OF_RANGE,
                f"{self.name} ({self.id}): {amount} is outside the range {self.range_text}",
                f"resources[{self.id}]",
            )

    def chargeable(self, amount: int) -> int:
        """C3: only the amount above `included` costs money."""
        return max(amount - self.included, 0)


class RenewalMode(StrEnum):
    CONSTANT = "constant"
    SHIFTED = "shifted"


@dataclass(frozen=True, slots=True)
class PlanSettings:
    """C7, with its defaults. `refund_on_stop` None means "as the billing type says" (C5)."""

    manual_renewal_point: int = 30
    auto_renewal_point: int = 0
    delayed_switch_point: int | None = 30
    expired_renewal_mode: RenewalMode = RenewalMode.CONSTANT
    expired_renewal_days: int = 30
    deletion_window_hours: int = 168
    stopped_retention_days: int = 90
    stop_requires_approval: bool = False
    grace_period_days: int = 0
    price_lock: bool = True
    upgrade_fee: Decimal = ZERO
    downgrade_fee: Decimal = ZERO
    plan_change_timing: str = "immediate"
    unused_funds: str = "credit"
    refund_on_stop: bool | None = None
    markup_percent: Decimal = ZERO
    payg_rating: str = "internal"  # B4: meter price of the plan, or vendor cost x (1 + markup)
    expiry_notice_days: int = 14  # R4: subscription_expiring this many days before expires_on


_INT_SETTINGS = {"manual_renewal_point", "auto_renewal_point", "expired_renewal_days",
                 "deletion_window_hours", "stopped_retention_days", "grace_period_days",
                 "expiry_notice_days"}
_BOOL_SETTINGS = {"stop_requires_approval", "price_lock"}
_MONEY_SETTINGS = {"upgrade_fee", "downgrade_fee", "markup_percent"}
_CHOICES = {"plan_change_timing": ("immediate", "end_of_cycle"),
            "unused_funds": ("credit", "forfeit"),
            "payg_rating": ("internal", "external"),
            "expired_renewal_mode": tuple(m.value for m in RenewalMode)}
SETTING_NAMES = tuple(f.name for f in fields(PlanSettings))
SETTING_KINDS = ("whole", "optional_whole", "flag", "optional_flag", "money", "choice")


def setting_kind(name: str) -> str:
    """The kind of value a plan setting (C7) takes, so a form or a client can offer the right
    control without copying the rule book: "whole" (a whole number >= 0), "optional_whole"
    (the same or none), "flag" (true or false), "optional_flag" (the same or none), "money"
    (a decimal string) or "choice" (one of `setting_choices(name)`). `build_settings` stays
    the one judge of a value; this only says what it expects. An unknown name is refused."""
    if name not in SETTING_NAMES:
        raise InvalidInput("unknown_setting", f"unknown plan setting {name!r}", name)
    if name in _INT_SETTINGS:
        return "whole"
    if name == "delayed_switch_point":
        return "optional_whole"
    if name in _BOOL_SETTINGS:
        return "flag"
    if name == "refund_on_stop":
        return "optional_flag"
    if name in _MONEY_SETTINGS:
        return "money"
    return "choice"


def setting_choices(name: str) -> tuple[str, ...]:
    """The values a "choice" setting accepts, in the order a form lists them; () otherwise."""
    return _CHOICES.get(name, ())


def _int_setting(name: str, raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise InvalidInput("invalid_setting", f"{name} must be a whole number >= 0",
                           f"settings.{name}")
    return raw


def build_settings(raw: Any, base: PlanSettings | None = None) -> PlanSettings:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InvalidInput("invalid_setting", "settings must be an object", "settings")
    values: dict[str, Any] = {}
    for name, value in raw.items():
        param = f"settings.{name}"
        if name not in SETTING_NAMES:
            raise InvalidInput("unknown_setting", f"unknown plan setting {name!r}", param)
        if name in _INT_SETTINGS:
            values[name] = _int_setting(name, value)
        elif name == "delayed_switch_point":
            values[name] = None if value is None else _int_setting(name, value)
        elif name in _BOOL_SETTINGS or name == "refund_on_stop":
            if not isinstance(value, bool) and not (name == "refund_on_stop" and value is None):
                raise InvalidInput("invalid_setting", f"{name} must be true or false", param)
            values[name] = value
        elif name in _MONEY_SETTINGS:
            values[name] = parse_decimal(value, param)
        elif name in _CHOICES:
            if value not in _CHOICES[name]:
                raise InvalidInput("invalid_setting",
                                   f"{name} must be one of {', '.join(_CHOICES[name])}", param)
            values[name] = RenewalMode(value) if name == "expired_renewal_mode" else value
    settings = replace(base or PlanSettings(), **values)
    if settings.auto_renewal_point > settings.manual_renewal_point:
        raise InvalidInput("invalid_renewal_points",
                           "auto_renewal_point must not be greater than manual_renewal_point",
                           "settings.auto_renewal_point")
    return settings


@dataclass(frozen=True, slots=True)
class SwitchTarget:
    plan: str
    kind: str  # "upgrade" | "downgrade"


@dataclass(frozen=True, slots=True)
class Plan:
    id: str
    product: str
    name: str
    billing_type: BillingType
    currency: str
    periods: tuple[str, ...] = ()
    resources: tuple[Resource, ...] = ()
    switch_to: tuple[SwitchTarget, ...] = ()
    settings: PlanSettings = field(default_factory=PlanSettings)

    @property
    def endless(self) -> bool:
        return not self.periods

    def resource(self, resource_id: str) -> Resource | None:
        for res in self.resources:
            if res.id == resource_id:
                return res
        return None

    def switch_target(self, plan_id: str) -> SwitchTarget | None:
        for target in self.switch_to:
            if target.plan == plan_id:
                return target
        return None

    @property
    def refund_on_stop(self) -> bool:
        """C5: only monthly and long_term refund on stop; long_term may turn it off."""
        if self.billing_type is BillingType.MONTHLY:
            return True
        if self.billing_type is BillingType.LONG_TERM:
            return True if self.settings.refund_on_stop is None else self.settings.refund_on_stop
        return False

    def check_period(self, period: str | None) -> str | None:
        if self.endless:
            if period is not None:
                raise InvalidInput(PERIOD_NOT_OFFERED, f"plan {self.id} is endless", "period")
            return None
        if period is None:
            return self.periods[0]
        if period not in self.periods:
            raise InvalidInput(PERIOD_NOT_OFFERED,
                               f"plan {self.id} offers {', '.join(self.periods)}, not {period}",
                               "period")
        return period


def _name_key(name: str) -> tuple[tuple[int, str], ...]:
    """C4: digits, then Latin A-Z, then Cyrillic, then the rest; case-insensitive."""
    key = []
    for ch in unicodedata.normalize("NFC", name).casefold():
        if ch.isdigit():
            group = 0
        elif "a" <= ch <= "z":
            group = 1
        elif "\u0400" <= ch <= "\u04ff":
            group = 2
        else:
            group = 3
        key.append((group, "е" if ch == "ё" else ch))
    return tuple(key)


def display_order(resources: tuple[Resource, ...] | list[Resource]) -> list[Resource]:
    """C4: the primary resource first, then by priority, then by name."""
    return sorted(resources, key=lambda r: (not r.primary, r.priority, _name_key(r.name)))


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan with every setting resolved to its value, as GET /v1/plans/{id} shows it."""

    def price(value: Decimal | dict[str, Decimal]) -> Any:
        if isinstance(value, dict):
            return {k: format_price(v) for k, v in value.items()}
        return format_price(value)

    settings: dict[str, Any] = {}
    for f in fields(PlanSettings):
        value = getattr(plan.settings, f.name)
        if isinstance(value, Decimal):
            value = format_price(value)
        elif isinstance(value, RenewalMode):
            value = value.value
        settings[f.name] = value
    settings["refund_on_stop"] = plan.refund_on_stop
    return {
        "id": plan.id, "product": plan.product, "name": plan.name,
        "billing_type": plan.billing_type.value, "currency": plan.currency,
        "periods": list(plan.periods),
        "resources": [
            {"id": r.id, "name": r.name, "unit": r.unit, "primary": r.primary,
             "priority": r.priority, "included": r.included, "min": r.min, "max": r.max,
             "price": price(r.price), "setup_price": format_price(r.setup_price),
             "erp_price": None if r.erp_price is None else format_price(r.erp_price)}
            for r in display_order(plan.resources)
        ],
        "switch_to": [{"plan": t.plan, "kind": t.kind} for t in plan.switch_to],
        "settings": settings,
    }
