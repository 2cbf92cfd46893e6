"""Response models of the money and usage reads (issue 7): invoices (SPEC B2), the payment
gateways (B3), upgrade recommendations (R1) and consumption (B4). Each mirrors the dict its
service builds (named beside the model), fields in the same order, so the served answer is
the service's dict unchanged. They are `response_model`s: FastAPI checks every answer
against them, and the schemathesis run checks the document against every answer."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, JsonValue

from prorata.api.schemas_out import ChargeLine, Day, ListOf, Money, Out
from prorata.domain.invoicing import InvoiceKind, InvoiceStatus
from prorata.domain.usage import CATEGORIES

CATEGORY_ENUM: dict[str, JsonValue] = {"enum": list(tuple(sorted(CATEGORIES)))}


class Invoice(Out):
    """services.invoicing.invoice_to_dict (B2, B5)."""

    id: str = Field(examples=["inv_eb10363cea94a8e7"])
    object: Literal["invoice"]
    number: str = Field(examples=["INV-000001"], description="prefix + sequence, gap-free")
    sequence: int = Field(examples=[1])
    kind: InvoiceKind = Field(description="a day whose lines sum below zero is a credit note")
    customer: str = Field(examples=["acme"])
    issued_on: Day = Field(examples=["2024-08-21"])
    service_date: Day = Field(examples=["2024-08-20"],
                              description="the day whose charge lines it carries")
    currency: str = Field(examples=["USD"])
    lines: list[ChargeLine]
    total: Money = Field(examples=["6.97"])
    status: InvoiceStatus
    seller: dict[str, Any] | None = Field(description="the operator's seller block as it was "
                                                      "when issued")
    bill_to: dict[str, Any] = Field(description="the customer's block as it was when issued")


class InvoiceList(ListOf):
    data: list[Invoice]


class PaymentGateway(Out):
    """services.checkout.list_gateways."""

    id: str = Field(examples=["test"])
    object: Literal["payment_gateway"]
    title: str = Field(examples=["Test gateway (development only)"])
    enabled: bool


class PaymentGatewayList(ListOf):
    data: list[PaymentGateway]


class Recommendation(Out):
    """services.subscriptions.recommendations (R1): an upgrade the customer may order, with
    the quote of switching now for the rest of the current period."""

    plan: str = Field(examples=["premium"])
    priority: int = Field(examples=[0], description="lowest first (P3)")
    amount: Money = Field(examples=["8.40"])
    currency: str = Field(examples=["USD"])


class RecommendationList(ListOf):
    data: list[Recommendation]


class Consumption(Out):
    """services.usage._rows (B4): one billing month, meter and category."""

    month: Day = Field(examples=["2024-08-01"], description="the billing month's first day")
    meter: str = Field(examples=["vm"])
    category: str = Field(examples=["usage"], json_schema_extra=CATEGORY_ENUM)
    quantity: str = Field(examples=["13.5"], description="a decimal string")
    cost: Money = Field(examples=["3.20"], description="the vendor cost the records carried")
    amount: Money = Field(examples=["0.17"], description="what usage lines charged so far")
    currency: str = Field(examples=["USD"])
    records: int = Field(examples=[2])


class _OfSubscription(Out):
    subscription: str = Field(examples=["az1"])


class CustomerConsumption(Consumption, _OfSubscription):
    """A customer's rows name their subscription (first, as the service puts it)."""


class ConsumptionList(ListOf):
    data: list[Consumption]


class CustomerConsumptionList(ListOf):
    data: list[CustomerConsumption]
