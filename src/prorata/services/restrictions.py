"""Restriction lists (SPEC P6): the operator lists registration numbers, for every product or
some. A listed customer, or a customer below a listed reseller, may not change, renew or
switch those products' subscriptions; the engine refuses with `restricted_party` when the
services tell it so (`Context.restricted`)."""

from __future__ import annotations

from typing import Any

from prorata.domain.errors import InvalidInput
from prorata.domain.model import Customer
from prorata.domain.parties import Restriction, is_restricted, normalise_inn
from prorata.services.inputs import (
    ResourceExists,
    choose_id,
    missing,
    require_object,
    require_operator,
    text,
)
from prorata.services.ports import Page, Scope, UnitOfWork

MAX_PRODUCTS = 100


def _json(r: Restriction) -> dict[str, Any]:
    return {"id": r.id, "object": "restriction", "inn": r.inn, "products": list(r.products)}


def create_restriction(uow: UnitOfWork, scope: Scope, body: Any) -> dict[str, Any]:
    """POST /v1/restrictions {inn, products?}: products omitted or empty = every product."""
    require_operator(scope)
    body = require_object(body)
    restriction_id = choose_id(body, "rst")
    inn = normalise_inn(text(body, "inn", max_length=64))
    if inn is None:
        raise InvalidInput("invalid_field", "inn must be a registration number", "inn")
    raw = body.get("products") or []
    if not isinstance(raw, list) or len(raw) > MAX_PRODUCTS:
        raise InvalidInput("invalid_field", f"products must be a list of at most {MAX_PRODUCTS} "
                           "product ids", "products")
    for i, product in enumerate(raw):
        if not isinstance(product, str) or uow.get_product(product) is None:
            raise missing("product", product, f"products[{i}]")
    if uow.get_restriction(restriction_id) is not None:
        raise ResourceExists("restriction", restriction_id)
    restriction = Restriction(restriction_id, inn, tuple(dict.fromkeys(raw)))
    uow.add_restriction(restriction)
    return _json(restriction)


def delete_restriction(uow: UnitOfWork, scope: Scope, restriction_id: str) -> dict[str, Any]:
    require_operator(scope)
    found = uow.get_restriction(restriction_id)
    if found is None:
        raise missing("restriction", restriction_id, "id")
    uow.delete_restriction(restriction_id)
    return {**_json(found), "deleted": True}


def list_restrictions(uow: UnitOfWork, scope: Scope, limit: int,
                      starting_after: str | None) -> Page:
    require_operator(scope)
    page = uow.list_restrictions(limit, starting_after)
    return Page([_json(r) for r in page.items], page.has_more)


def party_inns(customer: Customer, chain: list[dict[str, Any]]) -> list[str]:
    """The customer's registration number and every ancestor reseller's, normalised."""
    inns = [normalise_inn(customer.inn)] + [normalise_inn(r.get("inn")) for r in chain]
    return [i for i in inns if i is not None]


def restricted(uow: UnitOfWork, customer: Customer, chain: list[dict[str, Any]],
               product: str) -> bool:
    inns = party_inns(customer, chain)
    return is_restricted(inns, product, uow.restrictions_for(inns))
