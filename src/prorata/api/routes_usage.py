"""Usage (SPEC B4; API.md "Usage"): import consumption records (JSON or CSV) and read the
consumption analytics of a subscription or a customer.

The import reads its body as a stream into a spooled file (memory up to `SPOOL` bytes, disk
beyond), hashing it on the way for the idempotency fingerprint, then checks and writes it in
a worker thread in one transaction. A CSV may be large; a JSON body is parsed whole and so is
capped at `MAX_JSON` bytes (use CSV for bulk)."""

from __future__ import annotations

import hashlib
import json
import tempfile
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from prorata.api.deps import Caller, check_id, read, today, write
from prorata.api.schemas_out_money import ConsumptionList, CustomerConsumptionList
from prorata.domain.errors import InvalidInput
from prorata.services import usage
from prorata.services.usage_input import HEADER, csv_records, json_envelope, json_records

router = APIRouter(prefix="/v1", tags=["usage"])
SPOOL = 8 << 20
MAX_JSON = 16 << 20
MAX_CSV = 2 << 30

_RECORD = {"type": "object", "additionalProperties": False,
           "required": ["id", "date", "meter", "quantity"],
           "properties": {"id": {"type": "string", "maxLength": 64},
                          "date": {"type": "string", "format": "date"},
                          "meter": {"type": "string"},
                          "category": {"type": "string",
                                       "enum": ["usage", "reservation", "third_party"]},
                          "quantity": {"type": "string", "example": "12.5"},
                          "cost": {"type": "string", "example": "3.20"}}}
_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "object", "additionalProperties": False,
                                    "required": ["records"],
                                    "properties": {"records": {"type": "array",
                                                               "items": _RECORD}}}},
    "text/csv": {"schema": {"type": "string",
                            "description": f"header line: {','.join(HEADER)}"}}}}}


@router.post("/subscriptions/{sub_id}/usage", openapi_extra=_BODY,
             summary="Import usage records of a pay-as-you-go subscription (managers)",
             description="JSON `{records: [...]}` or `Content-Type: text/csv`. Answers "
                         "`{accepted, duplicates}`; a record id already imported is a "
                         "duplicate. One bad record refuses the import (400, `param` names "
                         "the record's index or CSV line) and nothing is stored.")
async def import_usage(request: Request, scope: Caller, sub_id: str) -> JSONResponse:
    check_id(sub_id, "subscription")
    is_csv = request.headers.get("content-type", "").split(";")[0].strip().lower() == "text/csv"
    limit = MAX_CSV if is_csv else MAX_JSON
    digest = hashlib.sha256()
    size = 0
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL)  # noqa: SIM115 - closed below
    try:
        async for part in request.stream():
            size += len(part)
            if size > limit:
                raise InvalidInput("import_too_large",
                                   f"an import may carry at most {limit} bytes"
                                   + ("" if is_csv else "; send large imports as text/csv"),
                                   None)
            digest.update(part)
            spool.write(part)
        spool.seek(0)
        day = today(request)
        envelope = None if is_csv else json_envelope(_parse_json(spool.read()))
        fingerprint = {"sha256": digest.hexdigest(), "csv": is_csv}

        def action(uow: Any) -> dict[str, Any]:
            records = csv_records(spool) if envelope is None else json_records(envelope)
            return usage.import_usage(uow, scope, sub_id, records, day, fields=not is_csv)

        response: JSONResponse = await run_in_threadpool(write, request, scope, fingerprint,
                                                         action)
        return response
    finally:
        spool.close()


def _parse_json(data: bytes) -> Any:
    """Numbers become Decimals, never floats (exact quantities and costs)."""
    try:
        return json.loads(data, parse_float=Decimal)
    except (ValueError, RecursionError) as exc:
        raise InvalidInput("invalid_json", "the body is not valid JSON", None) from exc


@router.get("/subscriptions/{sub_id}/consumption", response_model=ConsumptionList,
            summary="Consumption by billing month, meter and category")
def subscription_consumption(request: Request, scope: Caller, sub_id: str) -> dict[str, Any]:
    check_id(sub_id, "subscription")
    return read(request, lambda uow: usage.subscription_consumption(uow, scope, sub_id))  # type: ignore[no-any-return]


@router.get("/customers/{customer_id}/consumption", response_model=CustomerConsumptionList,
            summary="Consumption of every subscription of a customer, by billing month")
def customer_consumption(request: Request, scope: Caller, customer_id: str) -> dict[str, Any]:
    check_id(customer_id, "customer")
    return read(request, lambda uow: usage.customer_consumption(uow, scope, customer_id))  # type: ignore[no-any-return]
