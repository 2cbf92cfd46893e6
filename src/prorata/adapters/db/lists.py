"""The lists of the API (issue 7): one scoped, filtered, keyset-paginated query per kind.

Scope (SPEC P2) is a WHERE clause of the same query, never a filter after loading: a reseller
sees its subtree through the materialised reseller path, a customer itself. Pages are keyset
on (order key, id), stable under concurrent inserts, and the cursor must be in the filtered
list (so a cursor of another scope is refused like an unknown one, without telling which)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true

from prorata.adapters.db import line_reads
from prorata.adapters.db import mapping as m
from prorata.adapters.db.schema import (
    api_keys,
    customers,
    operations,
    plans,
    products,
    resellers,
    subscriptions,
    users,
)
from prorata.adapters.db.session import Session, chunks
from prorata.domain.errors import unknown_cursor
from prorata.domain.model import ChargeLine
from prorata.services.list_port import PageRequest
from prorata.services.ports import Page, Scope


@dataclass(frozen=True, slots=True)
class _Listing:
    query: Select[Any]
    key: Any  # the order column; ties broken by id
    ident: Any
    newest_first: bool
    convert: Callable[[Any], Any]


def _reseller(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "parent": row.parent_id, "inn": row.inn,
            "email": row.email}


def _product(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "vendor": row.vendor,
            "attributes": row.attributes}


def _party(row: Any) -> dict[str, Any]:
    out = {"id": row.id, "party_kind": row.party_kind, "party_id": row.party_id}
    if hasattr(row, "revoked_at"):
        out["revoked"] = row.revoked_at is not None
    if hasattr(row, "email"):
        out["email"] = row.email
    return out


class ListQueries(Session):
    """Implements `services.list_port.ListStore`."""

    def _subtree_path(self, reseller_id: str) -> str | None:
        return self.connection.execute(
            select(resellers.c.path).where(resellers.c.id == reseller_id)).scalar()

    def _under(self, reseller_id: str, path_column: Any) -> ColumnElement[bool]:
        path = self._subtree_path(reseller_id)
        return false() if path is None else path_column.startswith(path, autoescape=True)

    def _customers_under(self, reseller_id: str) -> Select[Any]:
        return select(customers.c.id).join(
            resellers, resellers.c.id == customers.c.reseller_id).where(
            self._under(reseller_id, resellers.c.path))

    def _customer_scope(self, scope: Scope, column: Any) -> ColumnElement[bool]:
        """For rows that belong to a customer through `column` (its id)."""
        if scope.kind == "operator":
            return true()
        if scope.kind == "customer":
            return column == scope.party  # type: ignore[no-any-return]
        return column.in_(self._customers_under(scope.party))  # type: ignore[no-any-return]

    def _sub_scope(self, scope: Scope) -> ColumnElement[bool]:
        if scope.kind == "operator":
            return true()
        if scope.kind == "customer":
            return subscriptions.c.customer_id == scope.party
        return self._under(scope.party, subscriptions.c.reseller_path)

    def _owner_scope(self, scope: Scope, table: Any) -> ColumnElement[bool]:
        """API keys and users belong to a party (kind, id)."""
        kind, party = table.c.party_kind, table.c.party_id
        if scope.kind == "operator":
            return true()
        if scope.kind == "customer":
            return and_(kind == "customer", party == scope.party)
        subtree = select(resellers.c.id).where(self._under(scope.party, resellers.c.path))
        return or_(and_(kind == "reseller", party.in_(subtree)),
                   and_(kind == "customer", party.in_(self._customers_under(scope.party))))

    def lines_for_operations(self, op_ids: list[str]) -> dict[str, list[ChargeLine]]:
        return line_reads.of_operations(self.connection, op_ids)

    def currencies(self, customer_ids: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for part in chunks(sorted(set(customer_ids))):
            rows = self.connection.execute(
                select(customers.c.id, customers.c.currency).where(customers.c.id.in_(part)))
            out.update((row.id, row.currency) for row in rows)
        return out

    # --- one listing per kind ---------------------------------------------------------------

    def _customers(self, scope: Scope, f: dict[str, Any]) -> _Listing:
        q = select(customers).where(self._customer_scope(scope, customers.c.id))
        if "reseller" in f:
            q = q.where(customers.c.id.in_(self._customers_under(f["reseller"])))
        return _Listing(q, customers.c.id, customers.c.id, False, m.row_to_customer)

    def _resellers(self, scope: Scope, f: dict[str, Any]) -> _Listing:
        q = select(resellers)
        if scope.kind == "reseller":
            q = q.where(self._under(scope.party, resellers.c.path))
        elif scope.kind != "operator":
            q = q.where(false())
        if "parent" in f:
            q = q.where(resellers.c.parent_id == f["parent"])
        return _Listing(q, resellers.c.id, resellers.c.id, False, _reseller)

    def _subscriptions(self, scope: Scope, f: dict[str, Any]) -> _Listing:
        s = subscriptions.c
        q = select(subscriptions).where(self._sub_scope(scope))
        if "customer" in f:
            q = q.where(s.customer_id == f["customer"])
        if "reseller" in f:
            q = q.where(self._under(f["reseller"], s.reseller_path))
        if "plan" in f:
            q = q.where(s.plan_id == f["plan"])
        if "product" in f:
            q = q.where(s.plan_id.in_(select(plans.c.id).where(
                plans.c.product_id == f["product"])))
        if "status" in f:
            q = q.where(s.status == f["status"])
        if "expires_before" in f:  # expires_on = period_end - 1 day < the date
            q = q.where(s.period_end.is_not(None), s.period_end <= f["expires_before"])
        if "auto_renew" in f:
            q = q.where(s.auto_renew == f["auto_renew"])
        if "stop_requested" in f:
            q = q.where(s.stop_request.is_not(None) if f["stop_requested"]
                        else s.stop_request.is_(None))
        return _Listing(q, s.id, s.id, False, m.row_to_subscription)

    def _plans(self, scope: Scope, f: dict[str, Any]) -> _Listing:
        q = select(plans.c.id, plans.c.data)
        if "product" in f:
            q = q.where(plans.c.product_id == f["product"])
        if "billing_type" in f:
            q = q.where(plans.c.billing_type == f["billing_type"])
        return _Listing(q, plans.c.id, plans.c.id, False, lambda r: m.plan_from_json(r.data))

    def _products(self, scope: Scope, f: dict[str, Any]) -> _Listing:
        q = select(products)
        if "vendor" in f:
            q = q.where(products.c.vendor == f["vendor"])
        return _Listing(q, products.c.id, products.c.id, False, _product)

    def _operations(self, scope: Scope, f: dict[str, Any]) -> _Listing:
        o = operations.c
        q = select(operations)
        if scope.kind != "operator":
            q = q.where(o.subscription_id.in_(select(subscriptions.c.id).where(
                self._sub_scope(scope))))
        for name, column in (("subscription", o.subscription_id), ("customer", o.customer_id),
                             ("status", o.status), ("type", o.type)):
            if name in f:
                q = q.where(column == f[name])
        if "created_from" in f:
            q = q.where(o.created_on >= f["created_from"])
        if "created_to" in f:
            q = q.where(o.created_on <= f["created_to"])
        return _Listing(q, o.seq, o.id, True, lambda r: (m.row_to_operation(r), r.customer_id))

    def _owned(self, table: Any, scope: Scope, f: dict[str, Any]) -> _Listing:
        q = select(table).where(self._owner_scope(scope, table))
        for kind in ("reseller", "customer"):
            if kind in f:
                q = q.where(table.c.party_kind == kind, table.c.party_id == f[kind])
        return _Listing(q, table.c.id, table.c.id, False, _party)

    def list_objects(self, kind: str, scope: Scope, filters: dict[str, Any],
                     page: PageRequest) -> Page:
        if kind == "charge_lines":  # two tables (line_reads.py), not one listing query
            where = line_reads.LineFilter(lambda column: self._customer_scope(scope, column),
                                          **filters)
            return line_reads.page(self.connection, where, page.limit, page.starting_after,
                                   page.ending_before)
        if kind == "api_keys":
            listing = self._owned(api_keys, scope, filters)
        elif kind == "users":
            listing = self._owned(users, scope, filters)
        else:
            listing = getattr(self, f"_{kind}")(scope, filters)
        return self._keyset(listing, page)

    def _keyset(self, listing: _Listing, page: PageRequest) -> Page:
        """`ending_before` reads backwards from the cursor and turns the page round, so both
        directions answer items in the list's own order; `has_more` says whether more lie in
        the direction read."""
        key, ident, query = listing.key, listing.ident, listing.query
        cursor_id = page.starting_after or page.ending_before
        forward = page.ending_before is None
        ascending = forward != listing.newest_first
        if cursor_id is not None:
            found = self.connection.execute(
                query.with_only_columns(key).where(ident == cursor_id)).first()
            if found is None:
                param = "starting_after" if forward else "ending_before"
                raise unknown_cursor(cursor_id, param)
            cursor_key = found[0]
            if ascending:
                query = query.where(or_(key > cursor_key,
                                        and_(key == cursor_key, ident > cursor_id)))
            else:
                query = query.where(or_(key < cursor_key,
                                        and_(key == cursor_key, ident < cursor_id)))
        order: list[Any] = [key.asc(), ident.asc()] if ascending else [key.desc(), ident.desc()]
        if key is ident:
            order = order[:1]
        rows = self.connection.execute(query.order_by(*order).limit(page.limit + 1)).all()
        items = [listing.convert(r) for r in rows[:page.limit]]
        if not forward:
            items.reverse()
        return Page(items, len(rows) > page.limit)
