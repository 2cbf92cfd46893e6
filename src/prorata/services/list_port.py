"""The one storage method every list of the API (and of the control panel) goes through.

One method, not one per resource, so the port stays small and every list gets the same
scoping (SPEC P2) and the same keyset pagination."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # ports.py imports this module
    from prorata.domain.model import ChargeLine
    from prorata.services.ports import Page, Scope

LIST_KINDS = ("customers", "resellers", "subscriptions", "plans", "products", "operations",
              "charge_lines", "api_keys", "users")


@dataclass(frozen=True, slots=True)
class PageRequest:
    """`starting_after`: the next page after that id; `ending_before`: the page before it.
    At most one of them (the service refuses both)."""

    limit: int = 20
    starting_after: str | None = None
    ending_before: str | None = None


class ListStore(Protocol):
    def list_objects(self, kind: str, scope: Scope, filters: dict[str, Any],
                     page: PageRequest) -> Page:
        """Items of `kind` in the caller's scope matching `filters` (already validated), in
        the list's order. Items are domain objects (Customer, Subscription, Operation,
        ChargeLine, Plan) or dicts (resellers, products, api keys, users). A cursor that is
        not in the filtered list raises `InvalidInput` (400)."""
        ...

    def lines_for_operations(self, op_ids: list[str]) -> dict[str, list[ChargeLine]]:
        """The charge lines of many operations in one query (S11 history), oldest first."""
        ...

    def currencies(self, customer_ids: list[str]) -> dict[str, str]:
        """Each customer's currency, in one query."""
        ...
