"""Exchange rates (SPEC T6): the operator's rate effective on a charge date converts each line
from the plan currency into the customer's. Rates are only ever added, never edited, so a
charge made yesterday can always be explained by the rate that was effective then."""

from __future__ import annotations

from typing import Any

from prorata.domain.calendar import parse_date
from prorata.domain.errors import InvalidInput
from prorata.domain.money import check_currency, parse_decimal
from prorata.services.inputs import ResourceExists, require_object, require_operator
from prorata.services.ports import Scope, UnitOfWork

RATE_PLACES = 10


def latest_exchange_rates(uow: UnitOfWork, scope: Scope, limit: int = 200
                          ) -> list[dict[str, Any]]:
    """The rates the operator has added, the latest effective first (the panel's table)."""
    require_operator(scope)
    return [{"from": src, "to": dst, "effective_from": day.isoformat(),
             "rate": format(rate.normalize(), "f")}
            for src, dst, day, rate in uow.latest_rates(limit)]


def add_exchange_rate(uow: UnitOfWork, scope: Scope, body: Any) -> dict[str, Any]:
    """POST /v1/exchange-rates {from, to, rate, effective_from} (operator only)."""
    require_operator(scope)
    body = require_object(body)
    src = check_currency(body.get("from"), "from")
    dst = check_currency(body.get("to"), "to")
    if src == dst:
        raise InvalidInput("invalid_currency", "from and to must differ", "to")
    raw_rate = body.get("rate")
    if raw_rate is None:
        raise InvalidInput("missing_field", "rate is required", "rate")
    rate = parse_decimal(raw_rate, "rate", places=RATE_PLACES)
    if rate <= 0:
        raise InvalidInput("invalid_amount", "rate must be positive", "rate")
    if body.get("effective_from") is None:
        raise InvalidInput("missing_field", "effective_from is required", "effective_from")
    effective_from = parse_date(body.get("effective_from"), "effective_from")
    if any(day == effective_from for day, _ in uow.rates(src, dst)):
        # Added, never edited: a rate already used for charges must keep explaining them.
        raise ResourceExists("exchange rate", f"{src}/{dst} from {effective_from.isoformat()}",
                             "effective_from")
    uow.add_rate(src, dst, rate, effective_from)
    return {"object": "exchange_rate", "from": src, "to": dst,
            "rate": format(rate.normalize(), "f"), "effective_from": effective_from.isoformat()}
