"""Request bodies as the OpenAPI document shows them.

The schemas check shape: types (strict, so `"5"` is not a number and `6.5` is not money),
lengths and numeric bounds that keep every value inside what the database columns hold.
Business rules (ranges of a plan, known currencies, decimals of a price) stay in the services,
which give them stable codes. Unknown fields are refused (400 `unknown_parameter`, naming the
field): a typo such as `"previw": true` must not silently run the operation for real."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# No control characters anywhere: PostgreSQL refuses NUL in text, and none belongs in a name.
_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
Text = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_PRINTABLE)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_PRINTABLE)]
Ident = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_PRINTABLE),
                  Field(examples=["acme"])]
Money = Annotated[str, StringConstraints(max_length=32), Field(examples=["19.35"])]
# ISO-8601 durations with small numbers: a period of 10^15 years would overflow the calendar.
Period = Annotated[str, StringConstraints(max_length=16, pattern=r"^P([0-9]{1,3}[YMWD])+$"),
                   Field(examples=["P1Y"])]
Day = Annotated[str, StringConstraints(max_length=10), Field(examples=["2024-08-20"])]
Count = Annotated[int, Field(ge=0, le=1_000_000_000)]
Priority = Annotated[int, Field(ge=-1_000_000, le=1_000_000)]
Days = Annotated[int, Field(ge=0, le=100_000)]
Email = Annotated[str, StringConstraints(min_length=3, max_length=320, pattern=_PRINTABLE)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ResellerIn(Body):
    id: Ident | None = None
    name: Text
    parent: Ident | None = None
    inn: Code | None = Field(default=None, description="registration number (SPEC P6)")
    email: Email | None = Field(default=None, description="where managers' notices go (R2)")


class ResellerPatchIn(Body):
    name: Text | None = None
    inn: Code | None = None
    email: Email | None = None


class ResellerSettingsIn(Body):
    """SPEC P3: applies to the reseller's whole subtree; read-only below it."""

    stop_requires_approval_groups: list[Code] | None = Field(default=None, max_length=100)
    grace_period_days: Days | None = None
    recommendation_priorities: dict[Ident, Priority] | None = Field(default=None,
                                                                    max_length=100)


class CustomerIn(Body):
    id: Ident | None = None
    name: Text
    reseller: Ident | None = None
    billing_day: Annotated[int, Field(ge=1, le=28)] | None = Field(default=None,
                                                                   description="default 1")
    currency: Code | None = Field(default=None, description="ISO 4217; default USD")
    inn: Code | None = None
    group: Code | None = None
    credit_limit: Money | None = None
    email: Email | None = Field(default=None, description="where notifications go (R2)")


class CustomerPatchIn(Body):
    """The reseller, currency and billing day are fixed once charges exist against them."""

    name: Text | None = None
    inn: Code | None = None
    group: Code | None = None
    credit_limit: Money | None = None
    email: Email | None = None


class PaymentIn(Body):
    amount: Money
    currency: Annotated[str, StringConstraints(min_length=3, max_length=3)] | None = None
    reference: Text | None = None


class ApiKeyIn(Body):
    id: Ident | None = None
    reseller: Ident | None = None
    customer: Ident | None = None


class UserIn(Body):
    id: Ident | None = None
    email: Email
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    reseller: Ident | None = None
    customer: Ident | None = None


class LoginIn(Body):
    email: Email
    password: Annotated[str, StringConstraints(max_length=1024)]
    party: Annotated[str, StringConstraints(min_length=1, max_length=80,
                                            pattern=_PRINTABLE)] | None = Field(
        default=None, examples=["customer:acme"],
        description="when the e-mail has accounts in several parties: `operator`, "
                    "`reseller:<id>` or `customer:<id>` (one of the `choices` of a 400 "
                    "`party_required`)")


class CompanyNamesIn(Body):
    """SPEC P5. forbidden_characters may be a list of characters or one string of them."""

    forbidden_characters: list[Code] | Code = Field(default_factory=list)
    forbidden_abbreviations: list[Code] = Field(default_factory=list, max_length=200)
    forbidden_tlds: list[Code] = Field(default_factory=list, max_length=200)


class RestrictionIn(Body):
    id: Ident | None = None
    inn: Code
    products: list[Ident] = Field(default_factory=list, max_length=100,
                                  description="empty: every product")


class AttributeIn(Body):
    id: Ident
    name: Text | None = None
    audience: Code = "both"
    required: bool = False


class VendorIn(Body):
    """V1: a connector and its settings (checked by the connector itself)."""

    connector: Ident
    settings: dict[str, Any] = Field(default_factory=dict)


class ProductIn(Body):
    id: Ident | None = None
    name: Text
    vendor: Ident | VendorIn | None = None
    attributes: list[AttributeIn] = Field(default_factory=list, max_length=100)


class ResourceIn(Body):
    id: Ident
    name: Text | None = None
    unit: Code | None = None
    primary: bool = False
    priority: Priority = 0
    included: Count = 0
    min: Count = 0
    max: Count | None = None
    price: Money | dict[Period, Money] | None = None
    setup_price: Money | None = None
    erp_price: Money | None = None


class SwitchTargetIn(Body):
    plan: Ident
    kind: Code = Field(description="upgrade | downgrade")


class SettingsIn(Body):
    """SPEC C7. Unknown names are passed on so that the plan builder refuses them by name."""

    model_config = ConfigDict(extra="allow", strict=True)

    manual_renewal_point: Days | None = None
    auto_renewal_point: Days | None = None
    delayed_switch_point: Days | None = None
    expired_renewal_mode: Code | None = None
    expired_renewal_days: Days | None = None
    deletion_window_hours: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    stopped_retention_days: Days | None = None
    stop_requires_approval: bool | None = None
    grace_period_days: Days | None = None
    price_lock: bool | None = None
    upgrade_fee: Money | None = None
    downgrade_fee: Money | None = None
    plan_change_timing: Code | None = None
    unused_funds: Code | None = None
    refund_on_stop: bool | None = None
    markup_percent: Money | None = None
    expiry_notice_days: Days | None = None


class PlanIn(Body):
    id: Ident | None = None
    product: Ident
    name: Text
    billing_type: Code
    currency: Code = "USD"
    periods: list[Period] = Field(default_factory=list, max_length=20)
    resources: list[ResourceIn] = Field(default_factory=list, max_length=100)
    switch_to: list[SwitchTargetIn] = Field(default_factory=list, max_length=100)
    settings: SettingsIn | None = None


class ResourcePriceIn(Body):
    id: Ident
    price: Money | dict[Period, Money] | None = None
    setup_price: Money | None = None
    erp_price: Money | None = None


class PlanPatchIn(Body):
    name: Text | None = None
    resources: list[ResourcePriceIn] | None = Field(default=None, max_length=100)
    settings: SettingsIn | None = None


class ExchangeRateIn(Body):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    from_: Code = Field(alias="from", examples=["EUR"])
    to: Code = Field(examples=["USD"])
    rate: Money = Field(examples=["1.0850"], description="positive, up to 10 decimals")
    effective_from: Day


class SubscriptionIn(Body):
    id: Ident | None = None
    customer: Ident
    plan: Ident
    period: Period | None = None
    resources: dict[Ident, Count] = Field(default_factory=dict, max_length=100)
    auto_renew: bool | None = None
    attributes: dict[Ident, Text] | None = Field(default=None, max_length=100)
    preview: bool = Field(default=False, description="answer the quote, store nothing")


class SubscriptionPatchIn(Body):
    auto_renew: bool


class OperationIn(Body):
    type: Code = Field(examples=["change_resources"],
                       description="change_resources | renew | prolong | switch_plan | stop | "
                                   "activate | delete | change_renewal_options | cancel_switch "
                                   "| approve | reject")
    resources: dict[Ident, Count] | None = Field(default=None, max_length=100)
    period: Period | None = None
    plan: Ident | None = None
    timing: Code | None = Field(default=None, description="now | end_of_cycle | renewal")
    reason: Text | None = Field(default=None, description="reject: why (shown in the history)")
    preview: bool = False


class ClockIn(Body):
    date: Day


class WorkerIn(Body):
    rounds: int = Field(default=1, ge=1, le=100)


def dump(model: BaseModel) -> dict[str, Any]:
    """What the services receive: only the fields the client sent, under their public names."""
    return model.model_dump(exclude_unset=True, by_alias=True)


# --- money (SPEC B2, B3) ---------------------------------------------------------------------

Currency = Annotated[str, StringConstraints(min_length=3, max_length=3)]


class SellerIn(Body):
    """The seller block printed on documents issued from now on."""

    name: Text | None = None
    address: list[Text] | None = Field(default=None, max_length=6)
    tax_id: Text | None = None
    email: Text | None = None


class InvoiceSettingsIn(Body):
    invoice_prefix: Annotated[str, StringConstraints(max_length=20, pattern=_PRINTABLE)] | None \
        = Field(default=None, examples=["INV-"])
    seller: SellerIn | None = None


class PaymentSessionIn(Body):
    gateway: Code = Field(examples=["test"])
    amount: Money
    currency: Currency | None = None


class RefundIn(Body):
    amount: Money | None = Field(default=None, description="default: all that is left")
