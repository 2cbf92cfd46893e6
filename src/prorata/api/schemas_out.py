"""Response models as the OpenAPI document shows them (issue 7): what comes back, with the
enums an integrator branches on. They describe the services' JSON; the served document
attaches them (api/openapi.py) and the schemathesis run checks every answer against them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from prorata.domain.catalog import BillingType
from prorata.domain.engine.availability import OPERATIONS
from prorata.domain.model import LineKind, OpStatus, Status

# Enums are the code's own StrEnums, so the document cannot list a value the code lacks.
SubscriptionStatus = Status
OperationStatus = OpStatus
LineKindName = LineKind
BillingTypeName = BillingType
Day = str
Money = str


class Out(BaseModel):
    model_config = ConfigDict(extra="allow")  # more fields may come; these are promised


class ErrorDetail(BaseModel):
    type: str = Field(examples=["invalid_request_error"])
    code: str = Field(examples=["not_in_renewal_window"],
                      description="stable, machine-readable (the SPEC's codes among them)")
    message: str
    param: str | None = None
    choices: list[dict[str, Any]] | None = Field(
        default=None, description="`party_required` (POST /v1/login) only: the parties the "
        "password opens, `[{party, name, reseller, customer}]`; sign in again with `party`")


class Error(BaseModel):
    error: ErrorDetail


class Reason(BaseModel):
    """SPEC S2: why an operation is not available today, and when that changes."""

    code: str = Field(examples=["not_in_renewal_window"])
    message: str = Field(examples=["renewal opens on 2025-08-05, 15 days before expiry on "
                                   "2025-08-19"])
    opens_on: Day | None = Field(default=None, examples=["2025-08-05"])
    closes_on: Day | None = None


class Reseller(Out):
    id: str
    object: Literal["reseller"]
    name: str
    parent: str | None
    inn: str | None = None
    email: str | None = None


class Customer(Out):
    id: str
    object: Literal["customer"]
    name: str
    reseller: str | None
    billing_day: int
    currency: str = Field(examples=["USD"])
    balance: Money = Field(examples=["-19.35"])
    credit_limit: Money | None = None


class Product(Out):
    id: str
    object: Literal["product"]
    name: str
    vendor: Any = None
    attributes: list[Any]


class Plan(Out):
    id: str
    object: Literal["plan"]
    product: str
    name: str
    billing_type: BillingTypeName
    currency: str
    periods: list[str]
    resources: list[dict[str, Any]]
    switch_to: list[dict[str, Any]]
    settings: dict[str, Any]


class ChargeLine(Out):
    id: str | None
    object: Literal["charge_line"]
    customer: str | None
    subscription: str | None
    operation: str | None
    kind: LineKindName
    description: str
    resource: str | None = Field(description="the plan resource charged, if any")
    period_start: Day | None
    period_end: Day | None
    quantity: int
    unit_price: Money
    amount: Money
    currency: str
    created_on: Day | None


class Operation(Out):
    id: str | None
    object: Literal["operation"]
    subscription: str
    type: str = Field(description="an operation type, or purchase, change_auto_renew and the "
                                  "daily run's own (prolong, renew, expire, …)")
    status: OperationStatus
    effective_on: Day | None
    amount: Money
    currency: str
    lines: list[ChargeLine]
    error: dict[str, Any] | None = None


class Subscription(Out):
    id: str
    object: Literal["subscription"]
    customer: str
    plan: str
    period: str | None
    billing_type: BillingTypeName
    status: SubscriptionStatus
    start_date: Day
    expires_on: Day | None
    auto_renew: bool
    locked: bool
    resources: dict[str, int]


class SubscriptionView(Subscription):
    available_operations: list[str] = Field(
        json_schema_extra={"items": {"type": "string", "enum": list(OPERATIONS)}})
    unavailable_operations: dict[str, Reason] = Field(
        description="every operation not available today, with why (SPEC S2)")


class UpcomingLine(BaseModel):
    date: Day = Field(description="the day the daily run writes it")
    subscription: str
    operation_type: str | None
    kind: LineKindName
    description: str
    resource: str | None
    period_start: Day | None
    period_end: Day | None
    quantity: int
    unit_price: Money
    amount: Money
    currency: str


class ListOf(BaseModel):
    """The one list envelope (API.md). Each list narrows `data`; it keeps its place between
    `object` and `has_more`, the order the services write them in."""

    object: Literal["list"]
    data: list[Any]
    has_more: bool


class CustomerList(ListOf):
    data: list[Customer]


class ResellerList(ListOf):
    data: list[Reseller]


class SubscriptionList(ListOf):
    data: list[Subscription]


class PlanList(ListOf):
    data: list[Plan]


class ProductList(ListOf):
    data: list[Product]


class OperationList(ListOf):
    data: list[Operation]


class ChargeLineList(ListOf):
    data: list[ChargeLine]


class OwnedList(ListOf):
    data: list[dict[str, Any]]


class Upcoming(ListOf):
    data: list[UpcomingLine]
    until: Day
    total: Money
    currency: str


# (method, path) → the model of its 200 answer.
RESPONSES: dict[tuple[str, str], type[BaseModel]] = {
    ("get", "/v1/customers"): CustomerList, ("get", "/v1/resellers"): ResellerList,
    ("get", "/v1/subscriptions"): SubscriptionList, ("get", "/v1/plans"): PlanList,
    ("get", "/v1/products"): ProductList, ("get", "/v1/operations"): OperationList,
    ("get", "/v1/charge-lines"): ChargeLineList, ("get", "/v1/api-keys"): OwnedList,
    ("get", "/v1/users"): OwnedList,
    ("get", "/v1/customers/{customer_id}/upcoming"): Upcoming,
    ("get", "/v1/customers/{customer_id}/charges"): ChargeLineList,
    ("post", "/v1/customers"): Customer, ("get", "/v1/customers/{customer_id}"): Customer,
    ("patch", "/v1/customers/{customer_id}"): Customer,
    ("post", "/v1/resellers"): Reseller, ("get", "/v1/resellers/{reseller_id}"): Reseller,
    ("patch", "/v1/resellers/{reseller_id}"): Reseller,
    ("post", "/v1/products"): Product, ("get", "/v1/products/{product_id}"): Product,
    ("post", "/v1/plans"): Plan, ("get", "/v1/plans/{plan_id}"): Plan,
    ("patch", "/v1/plans/{plan_id}"): Plan,
    ("post", "/v1/subscriptions"): SubscriptionView,
    ("get", "/v1/subscriptions/{sub_id}"): SubscriptionView,
    ("patch", "/v1/subscriptions/{sub_id}"): SubscriptionView,
    ("post", "/v1/subscriptions/{sub_id}/operations"): Operation,
    ("get", "/v1/subscriptions/{sub_id}/operations"): OperationList,
}
