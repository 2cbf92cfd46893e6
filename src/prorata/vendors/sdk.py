"""The connector SDK (SPEC V1): the one small interface a vendor's developer implements.

A connector is a class found through the `prorata.connectors` entry-point group. Prorata builds
it with the product's settings (`__init__(settings)`, raising `SettingsError` on bad ones) and
calls it with a `VendorRequest`; every call answers an `Outcome`: completed, pending (with the
vendor's reference to poll) or failed (with the vendor's message). docs/connectors.md is the
guide; `prorata.vendors.builtin` and examples/hostpanel-connector are worked examples."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

# The SDK's verbs, by the API's operation types (V4).
VERBS = {"purchase": "purchase", "change_resources": "change", "renew": "renew",
         "switch_plan": "switch", "stop": "stop", "activate": "activate", "delete": "delete"}
COMPLETED, PENDING, FAILED = "completed", "pending", "failed"


class SettingsError(ValueError):
    """Raised by a connector's constructor: the product's settings are not usable (400)."""


class TemporaryError(Exception):
    """Raised by `call` or `poll` when the vendor could not be reached (a timeout, a 503):
    the worker tries again later, with back-off, until the time limit. Any other exception
    fails the operation with its text as the reason."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the vendor answered. Build one with the class methods."""

    state: str
    reference: str | None = None
    message: str | None = None

    @classmethod
    def completed(cls) -> Outcome:
        return cls(COMPLETED)

    @classmethod
    def pending(cls, reference: str) -> Outcome:
        """The vendor accepted the work; `reference` is handed back to `poll`."""
        return cls(PENDING, reference=reference)

    @classmethod
    def failed(cls, message: str) -> Outcome:
        return cls(FAILED, message=message)


@dataclass(frozen=True, slots=True)
class VendorRequest:
    """Everything a connector is told, as plain JSON-able data. `operation_id` is stable across
    retries: use it as the vendor's idempotency key, because a call may be repeated when a
    worker dies between the vendor's answer and Prorata's commit (V5)."""

    verb: str                 # purchase | change | renew | switch | stop | activate | delete
    operation_id: str
    subscription: dict[str, Any]
    plan: dict[str, Any]
    customer: dict[str, Any]
    attributes: dict[str, Any] = field(default_factory=dict)  # the order attributes (P7)
    params: dict[str, Any] = field(default_factory=dict)      # the operation's parameters

    def to_json(self) -> dict[str, Any]:
        return {"verb": self.verb, "operation_id": self.operation_id,
                "subscription": self.subscription, "plan": self.plan,
                "customer": self.customer, "attributes": self.attributes,
                "params": self.params}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VendorRequest:
        return cls(data["verb"], data["operation_id"], dict(data["subscription"]),
                   dict(data["plan"]), dict(data["customer"]), dict(data.get("attributes") or {}),
                   dict(data.get("params") or {}))


class Connector:
    """Base class: override the verbs your vendor supports, and `poll` if any answers pending.
    A verb left alone completes at once (the vendor has nothing to do for it)."""

    description: ClassVar[str] = ""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings

    def immediate(self, request: VendorRequest) -> Outcome | None:
        """The answer known without any I/O, given inside the API request; None (the default)
        lets the worker make the call. Only for connectors that talk to nobody."""
        return None

    def call(self, request: VendorRequest) -> Outcome:
        return getattr(self, request.verb)(request)  # type: ignore[no-any-return]

    def purchase(self, request: VendorRequest) -> Outcome:
        return Outcome.completed()

    def change(self, request: VendorRequest) -> Outcome:
        return Outcome.completed()

    def renew(self, request: VendorRequest) -> Outcome:
        return Outcome.completed()

    def switch(self, request: VendorRequest) -> Outcome:
        return Outcome.completed()

    def stop(self, request: VendorRequest) -> Outcome:
        return Outcome.completed()

    def activate(self, request: VendorRequest) -> Outcome:
        return Outcome.completed()

    def delete(self, request: VendorRequest) -> Outcome:
        return Outcome.completed()

    def poll(self, reference: str, request: VendorRequest, attempt: int) -> Outcome:
        """Asked again for a pending call; `attempt` counts the worker's tries, from 1."""
        return Outcome.failed("this connector cannot poll")
