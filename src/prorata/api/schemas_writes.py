"""Response models of the writes and settings that answered FastAPI's untyped 200 (issue 7's
last gap). Each mirrors the dict its service function builds (named beside the model), so
schemathesis' response-conformance check covers these endpoints too. Enums come from the
code; fields that hold a secret are nullable because an idempotent replay answers them null
(api.deps.redact)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, JsonValue

from prorata.api.schemas_out import Day, ListOf, Money, Out
from prorata.domain.events import EVENT_TYPES
from prorata.domain.payments import RefundStatus, SessionStatus

EVENT_TYPE_ENUM: dict[str, JsonValue] = {"type": "string", "enum": list(EVENT_TYPES)}


class _Owned(Out):
    """services.access._owner_json: exactly one of the two is set."""

    reseller: str | None
    customer: str | None


class ApiKeyCreated(_Owned):
    """services.access.create_api_key."""

    id: str
    object: Literal["api_key"]
    secret: str | None = Field(description="shown once; null when an idempotent repeat "
                                           "answers")


class ApiKeyRevoked(_Owned):
    """services.access.revoke_api_key."""

    id: str
    object: Literal["api_key"]
    revoked: Literal[True]


class User(_Owned):
    """services.access.create_user."""

    id: str
    object: Literal["user"]
    email: str


class Session(_Owned):
    """services.access.login."""

    object: Literal["session"]
    token: str
    expires_at: str = Field(description="RFC 3339")
    user: str


class SessionDeleted(Out):
    """services.access.logout."""

    object: Literal["session"]
    deleted: Literal[True]


class EffectiveSetting(BaseModel):
    value: Any
    source: str | None
    read_only: bool


class ResellerSettings(Out):
    """services.delegation._settings_view (SPEC P3)."""

    object: Literal["reseller_settings"]
    reseller: str
    own: dict[str, Any]
    effective: dict[str, EffectiveSetting]


class ExchangeRate(Out):
    """services.rates.add_exchange_rate."""

    model_config = Out.model_config | {"populate_by_name": True}
    object: Literal["exchange_rate"]
    from_: str = Field(alias="from")
    to: str
    rate: str = Field(examples=["0.92"])
    effective_from: Day


class Payment(Out):
    """services.payments.payment_to_dict."""

    id: str
    object: Literal["payment"]
    customer: str
    amount: Money
    currency: str
    method: str
    gateway: str
    reference: str | None
    session: str | None
    created_on: Day
    refunded: Money


class PaymentRecorded(Payment):
    """services.payments.record_payment: the customer's balance after it."""

    balance: Money


class GatewayError(BaseModel):
    code: str
    message: str


class Refund(Out):
    """services.payments.refund_to_dict, through services.refunds.answer (failed is 402)."""

    id: str
    object: Literal["refund"]
    payment: str
    customer: str
    gateway: str
    amount: Money
    currency: str
    status: RefundStatus
    reference: str | None
    created_on: Day
    error: GatewayError | None


class PaymentWithRefunds(Payment):
    """services.payments.get_payment."""

    refunds: list[Refund]


class PaymentSession(Out):
    """services.checkout.session_to_dict."""

    id: str
    object: Literal["payment_session"]
    customer: str
    gateway: str
    status: SessionStatus
    amount: Money
    currency: str
    redirect_url: str | None
    payment: str | None
    error: GatewayError | None
    created_on: Day


class PaymentCallback(Out):
    """services.checkout.apply_callback."""

    object: Literal["payment_session_callback"]
    session: str
    status: SessionStatus
    payment: str | None


class InvoiceSettings(Out):
    """services.invoicing.put_settings."""

    object: Literal["invoice_settings"]
    invoice_prefix: str
    seller: dict[str, Any]


class CompanyNameRules(Out):
    """services.parties.put_company_name_rules (SPEC P5)."""

    object: Literal["company_name_rules"]
    forbidden_characters: list[str]
    forbidden_abbreviations: list[str]
    forbidden_tlds: list[str]


class Restriction(Out):
    """services.restrictions._json (SPEC P6); products empty = every product."""

    id: str
    object: Literal["restriction"]
    inn: str
    products: list[str]


class RestrictionDeleted(Restriction):
    deleted: Literal[True]


class Template(Out):
    """services.templates._view: the template that applies after the write, and its source."""

    object: Literal["template"]
    event_type: str = Field(json_schema_extra=EVENT_TYPE_ENUM)
    reseller: str | None
    subject: str
    body: str
    source: Literal["default", "operator", "reseller"]
    source_reseller: str | None
    read_only: bool


class WebhookEndpoint(Out):
    """services.webhooks.endpoint_to_dict."""

    id: str
    object: Literal["webhook_endpoint"]
    url: str
    events: list[str] = Field(description="empty = every event type",
                              json_schema_extra={"items": EVENT_TYPE_ENUM})
    reseller: str | None
    description: str | None
    enabled: bool
    disabled_reason: str | None
    created_at: str | None


class WebhookEndpointList(ListOf):
    data: list[WebhookEndpoint]


class PaymentList(ListOf):
    data: list[Payment]


class RestrictionList(ListOf):
    data: list[Restriction]


class WebhookEndpointCreated(WebhookEndpoint):
    secret: str | None = Field(description="the signing secret, shown once; null when an "
                                           "idempotent repeat answers")


class WebhookEndpointDeleted(WebhookEndpoint):
    deleted: Literal[True]


class WebhookSettings(Out):
    """services.webhooks.get_settings."""

    object: Literal["webhook_settings"]
    block_private_networks: bool


class UsageImport(Out):
    """services.usage.import_usage."""

    id: str
    object: Literal["usage_import"]
    subscription: str
    records: int
    accepted: int
    duplicates: int


# (method, path) → the model of its 200 answer; api/openapi.py merges it with schemas_out's.
# The writes of the last gap, then the reads that answer the same objects.
RESPONSES: dict[tuple[str, str], type[BaseModel]] = {
    ("post", "/v1/api-keys"): ApiKeyCreated, ("delete", "/v1/api-keys/{key_id}"): ApiKeyRevoked,
    ("post", "/v1/users"): User, ("post", "/v1/login"): Session,
    ("post", "/v1/logout"): SessionDeleted,
    ("put", "/v1/resellers/{reseller_id}/settings"): ResellerSettings,
    ("post", "/v1/exchange-rates"): ExchangeRate,
    ("post", "/v1/customers/{customer_id}/payments"): PaymentRecorded,
    ("post", "/v1/payments/{payment_id}/refunds"): Refund,
    ("post", "/v1/customers/{customer_id}/payment-sessions"): PaymentSession,
    ("post", "/v1/payment-gateways/{gateway}/callback"): PaymentCallback,
    ("put", "/v1/settings/invoices"): InvoiceSettings,
    ("put", "/v1/settings/company-names"): CompanyNameRules,
    ("post", "/v1/restrictions"): Restriction,
    ("delete", "/v1/restrictions/{restriction_id}"): RestrictionDeleted,
    ("put", "/v1/templates/{event_type}"): Template,
    ("delete", "/v1/templates/{event_type}"): Template,
    ("post", "/v1/webhook-endpoints"): WebhookEndpointCreated,
    ("patch", "/v1/webhook-endpoints/{endpoint_id}"): WebhookEndpoint,
    ("delete", "/v1/webhook-endpoints/{endpoint_id}"): WebhookEndpointDeleted,
    ("put", "/v1/settings/webhooks"): WebhookSettings,
    ("post", "/v1/subscriptions/{sub_id}/usage"): UsageImport,
    ("get", "/v1/resellers/{reseller_id}/settings"): ResellerSettings,
    ("get", "/v1/payments/{payment_id}"): PaymentWithRefunds,
    ("get", "/v1/customers/{customer_id}/payments"): PaymentList,
    ("get", "/v1/payment-sessions/{session_id}"): PaymentSession,
    ("get", "/v1/settings/invoices"): InvoiceSettings,
    ("get", "/v1/settings/company-names"): CompanyNameRules,
    ("get", "/v1/restrictions"): RestrictionList,
    ("get", "/v1/templates/{event_type}"): Template,
    ("get", "/v1/webhook-endpoints"): WebhookEndpointList,
    ("get", "/v1/webhook-endpoints/{endpoint_id}"): WebhookEndpoint,
    ("get", "/v1/settings/webhooks"): WebhookSettings,
}
