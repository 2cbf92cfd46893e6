"""The operator's settings (SPEC P5, P6, T6): company-name rules, the restriction list and
exchange rates. The services refuse anyone but the operator; these pages only collect form
fields into the same bodies the API takes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from prorata.api.deps import check_id
from prorata.services import parties, rates, restrictions
from prorata.services.ports import Scope, UnitOfWork
from prorata.web.guard import guard, guard_form, see_other
from prorata.web.render import new_form_key, page, perform, read
from prorata.web.session import Form

router = APIRouter(prefix="/panel/settings", include_in_schema=False)
HOME = "/panel/settings"


def _words(raw: str) -> list[str]:
    return [w.strip() for w in raw.split(",") if w.strip()]


@router.get("")
def settings(request: Request) -> Response:
    def show(scope: Scope) -> Response:
        def load(uow: UnitOfWork) -> dict[str, Any]:
            return {"names": parties.get_company_name_rules(uow, scope),
                    "restrictions": restrictions.list_restrictions(uow, scope, 100, None).items,
                    "rates": rates.latest_exchange_rates(uow, scope)}
        return page(request, "settings.html", scope=scope, key=new_form_key(),
                    saved=request.query_params.get("saved", "")[:32], **read(request, load))
    return guard(request, show)


def _save(request: Request, what: str, body_of: Any, action: Any) -> Any:
    def run(scope: Scope, form: Form) -> Response:
        body = body_of(form)
        perform(request, scope, form.get("key")[:64], body,
                lambda uow: action(uow, scope, body))
        return see_other(f"{HOME}?saved={what}")
    return guard_form(request, run)


@router.post("/company-names")
async def company_names(request: Request) -> Response:
    return await _save(request, "names", lambda form: {
        "forbidden_characters": list(form.get("forbidden_characters").replace(" ", "")),
        "forbidden_abbreviations": _words(form.get("forbidden_abbreviations")),
        "forbidden_tlds": _words(form.get("forbidden_tlds"))},
        parties.put_company_name_rules)


@router.post("/restrictions")
async def add_restriction(request: Request) -> Response:
    return await _save(request, "restriction", lambda form: {
        "inn": form.get("inn"), "products": _words(form.get("products"))},
        restrictions.create_restriction)


@router.post("/restrictions/{restriction_id}/delete")
async def remove_restriction(request: Request, restriction_id: str) -> Response:
    check_id(restriction_id, "restriction")
    return await _save(request, "removed", lambda form: {"id": restriction_id},
                       lambda uow, scope, body: restrictions.delete_restriction(
                           uow, scope, restriction_id))


@router.post("/exchange-rates")
async def add_rate(request: Request) -> Response:
    return await _save(request, "rate", lambda form: {
        "from": form.get("from").strip().upper(), "to": form.get("to").strip().upper(),
        "rate": form.get("rate").strip(), "effective_from": form.get("effective_from").strip()},
        rates.add_exchange_rate)
