"""The `test` gateway (SPEC B3, API.md): a deterministic fake for development and tests. Its
"payment page" does not exist; a test plays the gateway by posting the callback itself:

    body = b'{"session": "ps_…", "outcome": "succeeded"}'
    Test-Signature: hex HMAC-SHA256(body, PRORATA_TEST_GATEWAY_SECRET)

The default secret is public, so a server on the real clock turns the gateway off unless the
secret is configured: otherwise anyone could mark any session paid."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from decimal import Decimal

from prorata.adapters.payments import (
    CallbackRequest,
    Gateway,
    GatewayError,
    InvalidSignature,
    MalformedCallback,
    Outcome,
    Payment,
    PaymentSession,
)

SECRET_KEY = "PRORATA_TEST_GATEWAY_SECRET"
DEFAULT_SECRET = "test-gateway-secret"
# Set by `prorata serve` on the test clock or with --demo: the default secret is fine there.
TEST_MODE_KEY = "PRORATA_TEST_GATEWAY_DEFAULT_SECRET"
HEADER = "test-signature"
PAGE = "https://gateway.test/pay/"  # .test is reserved for testing (RFC 2606)


def sign(body: bytes, secret: str = DEFAULT_SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class TestGateway(Gateway):
    __test__ = False  # a gateway, not a pytest class
    title = "Test gateway (development only)"

    def __init__(self, config: Mapping[str, str]) -> None:
        super().__init__(config)
        configured = config.get(SECRET_KEY)
        self._secret = configured or DEFAULT_SECRET
        self._enabled = bool(configured) or config.get(TEST_MODE_KEY) == "1"

    @property
    def enabled(self) -> bool:
        return self._enabled

    def _check_enabled(self) -> None:
        if not self._enabled:
            raise GatewayError(f"the test gateway is off: set {SECRET_KEY} to use it")

    def start(self, session: PaymentSession) -> str:
        self._check_enabled()
        return PAGE + session.id

    def verify(self, request: CallbackRequest) -> Outcome:
        if not self._enabled:
            raise InvalidSignature("the test gateway is off")
        given = request.headers.get(HEADER, "")
        if not hmac.compare_digest(given.encode("ascii", "replace"),
                                   sign(request.body, self._secret).encode()):
            raise InvalidSignature("Test-Signature does not match the body")
        try:
            data = json.loads(request.body)
        except (ValueError, RecursionError) as exc:
            raise MalformedCallback("the body is not JSON") from exc
        if not isinstance(data, dict) or set(data) - {"session", "outcome", "message"}:
            raise MalformedCallback('expected {"session", "outcome"[, "message"]}')
        session, outcome = data.get("session"), data.get("outcome")
        message = data.get("message")
        if not isinstance(session, str) or outcome not in ("succeeded", "failed") or \
                not (message is None or isinstance(message, str)):
            raise MalformedCallback('"session" must be an id and "outcome" succeeded|failed')
        if outcome == "failed" and message is None:
            message = "declined by the test gateway"
        return Outcome(session=session, status=outcome, reference=f"test_{session}",
                       message=message)

    def refund(self, payment: Payment, amount: Decimal, refund_id: str) -> str | None:
        self._check_enabled()
        return f"test_{refund_id}"
