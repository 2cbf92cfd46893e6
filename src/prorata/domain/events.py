"""The kinds of event (SPEC R2) and who is told of each by e-mail.

An event is a fact, stored once (domain.model.Event) and delivered later (prorata.notify). The
lifecycle engine emits the subscription_* ones (engine/notices.py); invoices, payments, usage
and vendor connectors emit theirs in their own use cases. A type must be listed here to be
filtered on, templated or subscribed to: an unknown name is refused with
`unknown_event_type`, never silently matched against nothing."""

from __future__ import annotations

from prorata.domain.errors import InvalidInput

SUBSCRIPTION_EXPIRING = "subscription_expiring"
RENEWAL_ORDER_CREATED = "renewal_order_created"
SUBSCRIPTION_RENEWED = "subscription_renewed"
SUBSCRIPTION_EXPIRED = "subscription_expired"
SUBSCRIPTION_STOPPED = "subscription_stopped"
SUBSCRIPTION_DELETED = "subscription_deleted"

CUSTOMER, MANAGER = "customer", "manager"

# type -> whose e-mail address receives it: the customer's own, or its managers' (the nearest
# reseller above the customer that has an address; seed 003: managers are told when
# consumption is processed, so they can start on invoices).
EVENT_TYPES: dict[str, str] = {
    SUBSCRIPTION_EXPIRING: CUSTOMER,
    RENEWAL_ORDER_CREATED: CUSTOMER,
    SUBSCRIPTION_RENEWED: CUSTOMER,
    SUBSCRIPTION_EXPIRED: CUSTOMER,
    SUBSCRIPTION_STOPPED: CUSTOMER,
    SUBSCRIPTION_DELETED: CUSTOMER,
    "invoice_issued": CUSTOMER,
    "payment_succeeded": CUSTOMER,
    "payment_failed": CUSTOMER,
    "consumption_processed": MANAGER,
    "vendor_operation_failed": MANAGER,
}

UNKNOWN_EVENT_TYPE = "unknown_event_type"


def check_event_type(value: object, param: str = "type") -> str:
    if not isinstance(value, str) or value not in EVENT_TYPES:
        raise InvalidInput(UNKNOWN_EVENT_TYPE,
                           f"unknown event type {str(value)[:64]!r}; one of "
                           f"{', '.join(sorted(EVENT_TYPES))}", param)
    return value


def check_event_types(values: object, param: str = "events") -> list[str]:
    """A filter list: each type known, duplicates dropped, order kept."""
    if not isinstance(values, list):
        raise InvalidInput("invalid_field", f"{param} must be a list of event types", param)
    return list(dict.fromkeys(check_event_type(v, f"{param}[{i}]")
                              for i, v in enumerate(values)))
