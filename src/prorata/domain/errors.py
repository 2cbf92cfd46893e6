"""Typed refusals. Every refusal carries a stable, machine-readable code (SPEC S2)."""

from __future__ import annotations


class DomainError(Exception):
    """A request the rules refuse. `status` is the HTTP status the API answers with;
    `details`, when set, are more fields of the error object (e.g. `choices`)."""

    status = 422
    type = "invalid_request_error"
    details: dict[str, object] | None = None

    def __init__(self, code: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param


class InvalidInput(DomainError):
    status = 400


class PartyRequired(InvalidInput):
    """Sign-in: the password is right for accounts of several parties; `choices` name them,
    and the caller picks one with `party` (docs/design/security.md, "E-mail per party")."""

    def __init__(self, choices: list[dict[str, object]]) -> None:
        super().__init__("party_required",
                         "This e-mail and password sign in to several organisations; "
                         "choose one with party", "party")
        self.details = {"choices": choices}


def unknown_cursor(cursor: str, param: str = "starting_after") -> InvalidInput:
    """A cursor that is not in the list (unknown, or another owner's) is the caller's mistake:
    an empty page would look like the end of the list and hide it."""
    return InvalidInput("invalid_cursor", f"{cursor!r} is not in this list", param)


class OperationRefused(DomainError):
    """The operation is not available for this subscription today (SPEC S2)."""

    status = 409
    type = "operation_refused"


class NotFound(DomainError):
    status = 404
    type = "not_found"

    def __init__(self, what: str, ident: str) -> None:
        super().__init__("resource_missing", f"No such {what}: {ident!r}", what)


class Conflict(DomainError):
    """Another writer changed the same object first; the client may retry."""

    status = 409
    type = "conflict"


class Unauthenticated(DomainError):
    status = 401
    type = "authentication_error"


class TooManyRequests(DomainError):
    """Throttled (login): answered 429 with `Retry-After: retry_after` seconds."""

    status = 429
    type = "rate_limit_error"

    def __init__(self, code: str, message: str, retry_after: int) -> None:
        super().__init__(code, message, None)
        self.retry_after = retry_after


# Stable refusal codes, named once so tests and docs can refer to them.
SUBSCRIPTION_BUSY = "subscription_busy"
SUBSCRIPTION_LOCKED = "subscription_locked"
SUBSCRIPTION_DELETED = "subscription_deleted"
SUBSCRIPTION_NOT_ACTIVE = "subscription_not_active"
SUBSCRIPTION_NOT_STOPPED = "subscription_not_stopped"
NOT_IN_RENEWAL_WINDOW = "not_in_renewal_window"
RENEWAL_WINDOW_CLOSED = "renewal_window_closed"
NOT_IN_SWITCH_WINDOW = "not_in_switch_window"
SWITCH_ON_RENEWAL_DISABLED = "switch_on_renewal_disabled"
COMMITMENT = "commitment"
OUTSIDE_DELETION_WINDOW = "outside_deletion_window"
NOT_SUPPORTED = "not_supported_for_billing_type"
NOT_RENEWABLE = "not_renewable"
ENDLESS = "endless_subscription"
TRIAL_ONLY_SWITCH = "trial_requires_switch"
NOTHING_TO_PROLONG = "nothing_to_prolong"
NO_SWITCH_TARGETS = "no_switch_targets"
NOT_A_SWITCH_TARGET = "not_a_switch_target"
SWITCH_TIMING_NOT_ALLOWED = "switch_timing_not_allowed"
NO_RENEWAL_ORDER = "no_renewal_order"
NO_SCHEDULED_SWITCH = "no_scheduled_switch"
SWITCH_ALREADY_SCHEDULED = "switch_already_scheduled"
STOP_PENDING_APPROVAL = "stop_pending_approval"
NOTHING_TO_APPROVE = "nothing_to_approve"
MANAGERS_ONLY = "managers_only"
RESTRICTED_PARTY = "restricted_party"
AMOUNT_OUT_OF_RANGE = "amount_out_of_range"
UNKNOWN_RESOURCE = "unknown_resource"
RESOURCES_REQUIRED = "resources_required"
PERIOD_NOT_OFFERED = "period_not_offered"
EXCHANGE_RATE_MISSING = "exchange_rate_missing"
CURRENCY_MISMATCH = "currency_mismatch"
NO_CHANGE = "no_change"
