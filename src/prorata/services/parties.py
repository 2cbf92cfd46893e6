"""Use cases for resellers and customers (SPEC P1-P4).

Each function takes an open unit of work and does not commit: the API's transaction helper
commits once, together with the idempotency record (S12)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from prorata.domain.addresses import check_email
from prorata.domain.errors import InvalidInput
from prorata.domain.model import Customer
from prorata.domain.money import check_currency, format_amount, minor_unit, parse_decimal
from prorata.domain.parties import NameRules, check_company_name, normalise_tld
from prorata.services import subscriptions
from prorata.services.inputs import (
    OutOfScope,
    ResourceExists,
    missing,
    reference,
    require_object,
    require_operator,
    scoped_id,
    text,
)
from prorata.services.ports import OPERATOR, Page, Scope, UnitOfWork

MAX_CODE = 64  # registration numbers and group names
NAME_RULES = "company_names"  # the settings key of the operator's P5 lists
MAX_RULES = 200


def reseller_json(reseller: dict[str, Any]) -> dict[str, Any]:
    return {"id": reseller["id"], "object": "reseller", "name": reseller["name"],
            "parent": reseller.get("parent"), "inn": reseller.get("inn"),
            "email": reseller.get("email")}


def _name(uow: UnitOfWork, body: dict[str, Any], *, required: bool = True) -> str | None:
    """A company name that passes the operator's rules (P5), on every create and rename."""
    name = text(body, "name", required=required)
    if name is not None:
        check_company_name(name, NameRules.from_json(uow.get_setting(NAME_RULES)))
    return name


def _words(body: dict[str, Any], key: str) -> list[str]:
    raw = body.get(key) or []
    if isinstance(raw, str) and key == "forbidden_characters":
        raw = list(raw)  # "&@" is a list of two characters
    if not isinstance(raw, list) or len(raw) > MAX_RULES or not all(
            isinstance(w, str) and 0 < len(w) <= 64 and w.strip() for w in raw):
        raise InvalidInput("invalid_field", f"{key} must be a list of non-empty strings", key)
    if key == "forbidden_characters" and any(len(w) != 1 for w in raw):
        raise InvalidInput("invalid_field", "forbidden_characters must be single characters",
                           key)
    words = [normalise_tld(w) for w in raw] if key == "forbidden_tlds" else [w.strip() for w in raw]
    return list(dict.fromkeys(words))


def put_company_name_rules(uow: UnitOfWork, scope: Scope, body: Any) -> dict[str, Any]:
    """PUT /v1/settings/company-names (operator, P5). Applies to names created or renamed from
    now on; existing names are not re-checked (they may be on signed contracts)."""
    require_operator(scope)
    body = require_object(body)
    rules = NameRules(*(tuple(_words(body, k)) for k in (
        "forbidden_characters", "forbidden_abbreviations", "forbidden_tlds")))
    uow.put_setting(NAME_RULES, rules.to_json())
    return {"object": "company_name_rules", **rules.to_json()}


def get_company_name_rules(uow: UnitOfWork, scope: Scope) -> dict[str, Any]:
    require_operator(scope)
    return {"object": "company_name_rules",
            **NameRules.from_json(uow.get_setting(NAME_RULES)).to_json()}


def _owning_reseller(uow: UnitOfWork, scope: Scope, body: dict[str, Any], key: str) -> str | None:
    """The reseller a new party hangs under. A reseller caller defaults to itself and may only
    name resellers of its own subtree (P2); the operator may leave it empty (a direct party)."""
    wanted = reference(body, key, "reseller")
    if wanted is None:
        return scope.party if scope.kind == "reseller" else None
    if uow.get_reseller(scope, wanted) is None:
        raise missing("reseller", wanted, key)
    return wanted


def _check_scope_may_create(scope: Scope) -> None:
    if scope.kind == "customer":
        # P2: a customer sees only itself; other parties are outside its scope.
        raise OutOfScope()


def create_reseller(uow: UnitOfWork, scope: Scope, body: Any) -> dict[str, Any]:
    """POST /v1/resellers. Resellers form a tree of any depth (P1)."""
    body = require_object(body)
    _check_scope_may_create(scope)
    reseller_id = scoped_id(scope, body, "res")
    name = _name(uow, body)
    inn = text(body, "inn", required=False, max_length=MAX_CODE)
    parent = _owning_reseller(uow, scope, body, "parent")
    email = check_email(body.get("email"))
    if uow.get_reseller(OPERATOR, reseller_id) is not None:
        raise ResourceExists("reseller", reseller_id)
    assert name is not None
    uow.add_reseller(reseller_id, name, parent, inn, email)
    return reseller_json({"id": reseller_id, "name": name, "parent": parent, "inn": inn,
                           "email": email})


def _only_name(body: dict[str, Any]) -> None:
    """A party renames itself and keeps its own e-mail address, but its registration number,
    group and credit limit are set from above: otherwise it could change its INN off a
    restriction list (P6), leave a group whose stops need approval (P3) or raise its own
    credit limit."""
    for key in body:
        if key not in ("name", "email"):
            raise InvalidInput("not_editable", f"{key} is set by the party above you", key)


def update_reseller(uow: UnitOfWork, scope: Scope, reseller_id: str,
                    body: Any) -> dict[str, Any]:
    """PATCH /v1/resellers/{id}: name and registration number. The tree does not move."""
    body = require_object(body)
    reseller = _reseller(uow, scope, reseller_id)
    if scope.kind == "reseller" and scope.party == reseller_id:
        _only_name(body)
    changes: dict[str, Any] = {}
    if "name" in body:
        changes["name"] = _name(uow, body)
    if "inn" in body:
        changes["inn"] = text(body, "inn", required=False, max_length=MAX_CODE)
    if "email" in body:
        changes["email"] = check_email(body["email"])
    uow.update_reseller(reseller_id, changes)
    return reseller_json({**reseller, **changes})


def _reseller(uow: UnitOfWork, scope: Scope, reseller_id: str) -> dict[str, Any]:
    reseller = uow.get_reseller(scope, reseller_id)
    if reseller is None:
        raise missing("reseller", reseller_id, "id")
    return reseller


def get_reseller(uow: UnitOfWork, scope: Scope, reseller_id: str) -> dict[str, Any]:
    return reseller_json(_reseller(uow, scope, reseller_id))


def _billing_day(body: dict[str, Any]) -> int:
    value = body.get("billing_day", 1)
    if value is None:
        return 1
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 28:
        # T3: 1-28, so that every month has the day.
        raise InvalidInput("invalid_billing_day", "billing_day must be a whole number 1-28",
                           "billing_day")
    return value


def _credit_limit(raw: Any, currency: str) -> Decimal | None:
    return None if raw is None else parse_decimal(raw, "credit_limit",
                                                  places=minor_unit(currency))


def create_customer(uow: UnitOfWork, scope: Scope, body: Any) -> dict[str, Any]:
    """POST /v1/customers (P4). The customer's currency is fixed at creation: its charge lines
    and balance are all in that currency (T6)."""
    body = require_object(body)
    _check_scope_may_create(scope)
    customer_id = scoped_id(scope, body, "cus")
    name = _name(uow, body)
    reseller = _owning_reseller(uow, scope, body, "reseller")
    currency = check_currency(body.get("currency") or "USD")
    credit_limit = _credit_limit(body.get("credit_limit"), currency)
    if uow.get_customer(OPERATOR, customer_id) is not None:
        raise ResourceExists("customer", customer_id)
    assert name is not None
    customer = Customer(
        id=customer_id, name=name, reseller=reseller, billing_day=_billing_day(body),
        currency=currency, inn=text(body, "inn", required=False, max_length=MAX_CODE),
        group=text(body, "group", required=False, max_length=MAX_CODE),
        credit_limit=credit_limit, email=check_email(body.get("email")),
    )
    uow.add_customer(customer)
    return customer_to_dict(uow, customer)


def update_customer(uow: UnitOfWork, scope: Scope, customer_id: str,
                    body: Any) -> dict[str, Any]:
    """PATCH /v1/customers/{id}: name, registration number, group, credit limit. The reseller,
    currency and billing day are fixed: issued charges and every subscription's charging
    spans depend on them (T3, T6)."""
    body = require_object(body)
    customer = _customer(uow, scope, customer_id)
    if scope.kind == "customer":
        _only_name(body)
    changes: dict[str, Any] = {}
    if "name" in body:
        changes["name"] = _name(uow, body)
    for key in ("inn", "group"):
        if key in body:
            changes[key] = text(body, key, required=False, max_length=MAX_CODE)
    if "credit_limit" in body:
        changes["credit_limit"] = _credit_limit(body["credit_limit"], customer.currency)
    if "email" in body:
        changes["email"] = check_email(body["email"])
    updated = replace(customer, **changes)
    uow.update_customer(updated)
    return customer_to_dict(uow, updated)


def customer_to_dict(uow: UnitOfWork, customer: Customer) -> dict[str, Any]:
    currency = customer.currency
    return {
        "id": customer.id, "object": "customer", "name": customer.name,
        "reseller": customer.reseller, "billing_day": customer.billing_day,
        "currency": currency, "inn": customer.inn, "group": customer.group,
        "credit_limit": None if customer.credit_limit is None
        else format_amount(customer.credit_limit, currency),
        "balance": format_amount(uow.balance(customer.id), currency),
        "email": customer.email,
    }


def _customer(uow: UnitOfWork, scope: Scope, customer_id: str) -> Customer:
    customer = uow.get_customer(scope, customer_id)
    if customer is None:
        raise missing("customer", customer_id, "id")
    return customer


def get_customer(uow: UnitOfWork, scope: Scope, customer_id: str) -> dict[str, Any]:
    """GET /v1/customers/{id}: the customer with its balance (payments − charges, B1)."""
    return customer_to_dict(uow, _customer(uow, scope, customer_id))


def list_charges(uow: UnitOfWork, scope: Scope, customer_id: str, limit: int,
                 starting_after: str | None) -> Page:
    """GET /v1/customers/{id}/charges: charge lines oldest first (B1)."""
    customer = _customer(uow, scope, customer_id)
    page = uow.list_lines(customer.id, limit, starting_after)
    return Page([subscriptions.line_to_dict(line) for line in page.items], page.has_more)
