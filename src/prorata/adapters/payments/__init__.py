"""The payment gateway SDK (SPEC B3, B6). A gateway is a plugin: a class registered under the
entry-point group `prorata.gateways`, built from the installation's configuration, with three
methods — `start` a payment, `verify` the gateway's signed callback, `refund`. docs/gateways.md
shows a whole plugin package.

Prorata keeps no card data: the customer pays on the gateway's own page (`start` answers its
address) and Prorata stores only the gateway's reference for each payment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

GROUP = "prorata.gateways"


class GatewayError(Exception):
    """The gateway refused or failed (a declined refund, an outage). The message is shown to
    the manager; the operation changes nothing in Prorata."""


class InvalidSignature(Exception):
    """The callback is not provably from the gateway: answered 400 `invalid_signature`, and
    nothing changes."""


class MalformedCallback(Exception):
    """Signed, but not a callback this gateway understands: 400 `invalid_callback`."""


class NotSupported(GatewayError):
    """The gateway has no such step (e.g. `manual` has no payment page)."""


@dataclass(frozen=True, slots=True)
class PaymentSession:
    """What `start` gets: Prorata's session id (send it back in the callback), what to collect,
    and where the gateway should send its callback."""

    id: str
    customer: str
    amount: Decimal
    currency: str
    callback_url: str


@dataclass(frozen=True, slots=True)
class CallbackRequest:
    """The gateway's HTTP call as received: the exact bytes (signatures are over them) and the
    headers, names lower-cased."""

    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a verified callback says about one session. `amount` is what the gateway collected
    when it says so (None: the session's amount); `reference` is the gateway's own id for the
    payment, stored with it."""

    session: str
    status: Literal["succeeded", "failed"]
    reference: str | None = None
    message: str | None = None
    amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Payment:
    """What `refund` gets: the payment as recorded."""

    id: str
    customer: str
    amount: Decimal
    currency: str
    reference: str | None
    session: str | None


class Gateway:
    """Subclass and override. `config` is the installation's configuration (the environment of
    `prorata serve`): read your own keys from it, e.g. `STRIPE_API_KEY`. Unknown keys are not
    yours to complain about."""

    title: str = ""

    def __init__(self, config: Mapping[str, str]) -> None:
        self.config = config

    @property
    def enabled(self) -> bool:
        """False when the configuration is missing something; sessions are refused then."""
        return True

    def start(self, session: PaymentSession) -> str:
        """Open a payment on the gateway and answer the page the customer is sent to. Called
        inside the transaction that stores the session; raise `GatewayError` to refuse."""
        raise NotSupported("this gateway has no payment page")

    def verify(self, request: CallbackRequest) -> Outcome:
        """Check the signature over `request.body` first (raise `InvalidSignature`), then read
        the outcome (raise `MalformedCallback`). Must not change anything anywhere: Prorata
        applies the outcome exactly once, however often the gateway repeats the call."""
        raise InvalidSignature("this gateway sends no callbacks")

    def refund(self, payment: Payment, amount: Decimal, refund_id: str) -> str | None:
        """Give `amount` of `payment` back; answer the gateway's reference for the refund.
        `refund_id` is stable across retries: pass it to the gateway as its idempotency key,
        so a refund retried after a crash is not paid twice. Raise `GatewayError` to refuse."""
        raise NotSupported("this gateway cannot refund")


__all__ = ["GROUP", "CallbackRequest", "Gateway", "GatewayError", "InvalidSignature",
           "MalformedCallback", "NotSupported", "Outcome", "Payment", "PaymentSession"]
