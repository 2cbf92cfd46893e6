"""Invoice documents (SPEC B2, B5) and the operator's invoice settings."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from prorata.adapters.pdf import render_invoice
from prorata.api.deps import Caller, Pages, answer, check_id, read, write
from prorata.api.schemas import InvoiceSettingsIn, dump
from prorata.api.schemas_out_money import Invoice, InvoiceList
from prorata.services import invoicing

router = APIRouter(prefix="/v1", tags=["invoices"])


@router.get("/customers/{customer_id}/invoices", response_model=InvoiceList,
            summary="List invoices, oldest first")
def list_invoices(request: Request, scope: Caller, customer_id: str,
                  page: Pages) -> dict[str, Any]:
    check_id(customer_id, "customer")
    return read(request, lambda uow: invoicing.list_invoices(
        uow, scope, customer_id, page.limit, page.starting_after))


@router.get("/invoices/{invoice_id}", response_model=Invoice,
            summary="Get an invoice or credit note")
def get_invoice(request: Request, scope: Caller, invoice_id: str) -> dict[str, Any]:
    check_id(invoice_id, "invoice")
    return read(request, lambda uow: invoicing.get_invoice(uow, scope, invoice_id))


@router.get("/invoices/{invoice_id}/pdf", summary="The invoice as a PDF document",
            response_class=Response,
            responses={200: {"content": {"application/pdf": {
                "schema": {"type": "string", "format": "binary"}}}, "description": "the PDF"}})
def get_invoice_pdf(request: Request, scope: Caller, invoice_id: str) -> Response:
    check_id(invoice_id, "invoice")
    invoice = read(request, lambda uow: invoicing.get_invoice(uow, scope, invoice_id))
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", invoice["number"]) or "invoice"
    return Response(render_invoice(invoice), media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{filename}.pdf"'})


@router.get("/settings/invoices", summary="Invoice number prefix and seller block (operator)")
def get_invoice_settings(request: Request, scope: Caller) -> Response:
    return answer(request, lambda uow: invoicing.get_settings(uow, scope))


@router.put("/settings/invoices",
            summary="Set the invoice prefix and seller block for documents issued from now on")
def put_invoice_settings(request: Request, scope: Caller, body: InvoiceSettingsIn) -> JSONResponse:
    data = dump(body)
    return write(request, scope, data, lambda uow: invoicing.put_settings(uow, scope, data))
