"""Lists for integrators and the control panel (issue 7): scoped (SPEC P2), filtered and
paginated alike. Free of HTTP: a caller hands the raw query parameters (strings) and gets a
`Page` of JSON objects; the API documents each list's parameters from `FILTERS`, so the
parameters checked and the parameters documented cannot drift apart."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from prorata.domain.catalog import BillingType
from prorata.domain.errors import InvalidInput
from prorata.domain.model import LineKind, OpStatus, Status
from prorata.domain.parties import customer_visible
from prorata.services.catalog import plan_json, product_json
from prorata.services.inputs import ID_PATTERN
from prorata.services.list_port import PageRequest
from prorata.services.parties import customer_to_dict, reseller_json
from prorata.services.ports import Page, Scope, UnitOfWork
from prorata.services.views import line_to_dict, operation_to_dict, subscription_to_dict

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
PAGING = ("limit", "starting_after", "ending_before")


@dataclass(frozen=True, slots=True)
class Filter:
    """How one query parameter is read: `schema` is its JSON schema for the OpenAPI
    document, `parse` turns the string into the value the store filters on."""

    description: str
    schema: dict[str, Any]
    parse: Callable[[str, str], Any]


def _ident(name: str, raw: str) -> str:
    if not ID_PATTERN.match(raw):
        raise InvalidInput("invalid_parameter", f"{name} must be an id", name)
    return raw


def _day(name: str, raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput("invalid_parameter", f"{name} must be a date YYYY-MM-DD",
                           name) from None


def _flag(name: str, raw: str) -> bool:
    if raw not in ("true", "false"):
        raise InvalidInput("invalid_parameter", f"{name} must be true or false", name)
    return raw == "true"


def _one_of(values: list[str]) -> Callable[[str, str], str]:
    def parse(name: str, raw: str) -> str:
        if raw not in values:
            raise InvalidInput("invalid_parameter", f"{name} must be one of "
                                                    f"{', '.join(values)}", name)
        return raw
    return parse


def _id_filter(what: str) -> Filter:
    return Filter(what, {"type": "string", "pattern": ID_PATTERN.pattern}, _ident)


def _enum_filter(what: str, values: list[str]) -> Filter:
    return Filter(what, {"type": "string", "enum": values}, _one_of(values))


def _date_filter(what: str) -> Filter:
    return Filter(what, {"type": "string", "format": "date"}, _day)


_FROM = _date_filter("created on or after this date")
_TO = _date_filter("created on or before this date")

FILTERS: dict[str, dict[str, Filter]] = {
    "customers": {"reseller": _id_filter("customers of this reseller's subtree")},
    "resellers": {"parent": _id_filter("direct children of this reseller")},
    "subscriptions": {
        "customer": _id_filter("subscriptions of this customer"),
        "reseller": _id_filter("subscriptions of this reseller's subtree"),
        "plan": _id_filter("on this plan"),
        "product": _id_filter("on a plan of this product"),
        "status": _enum_filter("in this status (SPEC S1)", [s.value for s in Status]),
        "expires_before": _date_filter("expiring (last day of service) before this date"),
        "auto_renew": Filter("auto-renewal on or off", {"type": "boolean"}, _flag),
        "stop_requested": Filter("a stop waits for approval (S9)", {"type": "boolean"}, _flag),
    },
    "plans": {"product": _id_filter("plans of this product"),
              "billing_type": _enum_filter("of this billing type",
                                           [b.value for b in BillingType])},
    "products": {"vendor": _id_filter("products of this vendor connector")},
    "operations": {
        "subscription": _id_filter("operations of this subscription"),
        "customer": _id_filter("operations of this customer's subscriptions"),
        "status": _enum_filter("in this status", [s.value for s in OpStatus]),
        "type": Filter("of this type", {"type": "string", "pattern": ID_PATTERN.pattern},
                       _ident),
        "created_from": _FROM, "created_to": _TO,
    },
    "charge_lines": {
        "customer": _id_filter("lines of this customer"),
        "subscription": _id_filter("lines of this subscription"),
        "kind": _enum_filter("of this kind", [k.value for k in LineKind]),
        "created_from": _FROM, "created_to": _TO,
    },
    "api_keys": {"reseller": _id_filter("keys of this reseller"),
                 "customer": _id_filter("keys of this customer")},
    "users": {"reseller": _id_filter("users of this reseller"),
              "customer": _id_filter("users of this customer")},
}


def page_request(params: Mapping[str, str]) -> PageRequest:
    raw_limit = params.get("limit", str(DEFAULT_LIMIT))
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise InvalidInput("invalid_parameter", f"limit must be 1-{MAX_LIMIT}", "limit")
    after, before = params.get("starting_after"), params.get("ending_before")
    if after is not None and before is not None:
        raise InvalidInput("invalid_parameter",
                           "give starting_after or ending_before, not both", "ending_before")
    for name, value in (("starting_after", after), ("ending_before", before)):
        if value is not None:
            _ident(name, value)
    return PageRequest(int(raw_limit), after, before)


def parse_filters(kind: str, params: Mapping[str, str]) -> dict[str, Any]:
    """An unknown parameter is refused (400), never ignored: a misspelt filter must not
    quietly answer everything."""
    spec = FILTERS[kind]
    out = {}
    for name, raw in params.items():
        if name in PAGING:
            continue
        if name not in spec:
            raise InvalidInput("unknown_parameter", f"unknown query parameter {name!r}", name)
        out[name] = spec[name].parse(name, raw)
    return out


def _operations_json(uow: UnitOfWork, items: list[tuple[Any, str | None]]) -> list[dict[str, Any]]:
    """S11 history: the lines of every operation of the page in one query. Items are
    (operation, its customer's id)."""
    lines = uow.lines_for_operations([op.id for op, _ in items])
    currencies = uow.currencies([c for _, c in items if c is not None])
    return [operation_to_dict(op, lines.get(op.id, []),
                              op.currency or currencies.get(customer or "", "USD"))
            for op, customer in items]


def _subscription_json(sub: Any) -> dict[str, Any]:
    """A list item: the subscription without the S2 maps (each needs its plan and the
    reseller rules; GET the subscription for them)."""
    out = subscription_to_dict(sub, [])
    del out["available_operations"], out["unavailable_operations"]
    return out


def _owned_json(kind: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def convert(row: dict[str, Any]) -> dict[str, Any]:
        owner = {"reseller": row["party_id"] if row["party_kind"] == "reseller" else None,
                 "customer": row["party_id"] if row["party_kind"] == "customer" else None}
        extra: dict[str, Any] = {k: row[k] for k in ("email", "revoked") if k in row}
        return {"id": row["id"], "object": kind, **owner, **extra}
    return convert


def list_of(uow: UnitOfWork, scope: Scope, kind: str, params: Mapping[str, str]) -> Page:
    """The page of `kind` the caller may see, matching `params` (raw query parameters)."""
    filters = parse_filters(kind, params)
    page = uow.list_objects(kind, scope, filters, page_request(params))
    items: list[dict[str, Any]]
    if kind == "operations":
        items = _operations_json(uow, page.items)
    else:
        converters: dict[str, Callable[[Any], dict[str, Any]]] = {
            "customers": lambda c: customer_to_dict(uow, c),
            "resellers": reseller_json, "subscriptions": _subscription_json,
            "plans": plan_json, "products": product_json, "charge_lines": line_to_dict,
            "api_keys": _owned_json("api_key"), "users": _owned_json("user"),
        }
        items = [converters[kind](item) for item in page.items]
    if kind == "subscriptions" and not scope.is_manager:
        items = _customer_attributes(uow, items)
    return Page(items, page.has_more)


def _customer_attributes(uow: UnitOfWork, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """P7 as in GET /v1/subscriptions/{id}: a customer never sees manager-only attributes.
    One product lookup per plan of the page, and only when something is to be filtered."""
    products: dict[str, list[Any]] = {}
    for item in items:
        if not item.get("attributes"):
            continue
        if item["plan"] not in products:
            plan = uow.get_plan(item["plan"])
            product = uow.get_product(plan.product) if plan is not None else None
            products[item["plan"]] = list((product or {}).get("attributes") or [])
        item["attributes"] = customer_visible(products[item["plan"]], item["attributes"])
    return items
