"""Settings a reseller makes for its whole subtree (SPEC P3): stop approval for customer
groups, the grace period, recommendation priorities. Below the reseller that set one, it is
read-only: a downstream reseller sees it with its source and may not override it.

`rules_for` gives the subscription services everything P3/P6 decide for one customer, from
one load of the customer's reseller chain."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from prorata.domain.catalog import Plan
from prorata.domain.errors import DomainError, InvalidInput
from prorata.domain.model import Customer
from prorata.domain.parties import DELEGATED, Effective, delegated_conflict, effective_settings
from prorata.services.inputs import ID_PATTERN, missing, require_object
from prorata.services.ports import Scope, UnitOfWork
from prorata.services.restrictions import restricted

MAX_DAYS, MAX_ITEMS = 100_000, 100


class SettingDelegated(DomainError):
    status = 409
    type = "invalid_request_error"

    def __init__(self, key: str, source: str) -> None:
        super().__init__("setting_delegated",
                         f"{key} is set by reseller {source!r} above and is read-only here", key)


def _chain(rows: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(r["id"], r.get("settings") or {}) for r in rows]


def _groups(value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_ITEMS or not all(
            isinstance(g, str) and 0 < len(g) <= 64 and g.isprintable() for g in value):
        raise InvalidInput("invalid_field", "stop_requires_approval_groups must be a list of "
                           "group names", "stop_requires_approval_groups")
    return sorted(set(value))


def _grace(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DAYS:
        raise InvalidInput("invalid_field", f"grace_period_days must be 0-{MAX_DAYS}",
                           "grace_period_days")
    return value


def _priorities(value: Any) -> dict[str, int]:
    if not isinstance(value, dict) or len(value) > MAX_ITEMS:
        raise InvalidInput("invalid_field", "recommendation_priorities must map plan ids to "
                           "whole numbers", "recommendation_priorities")
    for plan, priority in value.items():
        if not ID_PATTERN.match(plan) or isinstance(priority, bool) \
                or not isinstance(priority, int) or abs(priority) > 1_000_000:
            raise InvalidInput("invalid_field", "recommendation_priorities must map plan ids to "
                               "whole numbers", f"recommendation_priorities.{plan}")
    return dict(value)


_PARSERS = {"stop_requires_approval_groups": _groups, "grace_period_days": _grace,
            "recommendation_priorities": _priorities}


def _settings_view(reseller_id: str, chain: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    own = chain[-1][1] if chain else {}
    above = effective_settings(chain[:-1])
    effective = effective_settings(chain)
    return {"object": "reseller_settings", "reseller": reseller_id,
            "own": {k: own.get(k) for k in DELEGATED},
            "effective": {k: {"value": effective.get(k), "source": effective.sources.get(k),
                              "read_only": k in above.values} for k in DELEGATED}}


def get_settings(uow: UnitOfWork, scope: Scope, reseller_id: str) -> dict[str, Any]:
    """GET /v1/resellers/{id}/settings: effective values and where each comes from."""
    if uow.get_reseller(scope, reseller_id) is None:
        raise missing("reseller", reseller_id, "id")
    return _settings_view(reseller_id, _chain(uow.reseller_chain(reseller_id)))


def put_settings(uow: UnitOfWork, scope: Scope, reseller_id: str, body: Any) -> dict[str, Any]:
    """PUT /v1/resellers/{id}/settings: replaces the reseller's own settings (an omitted or
    null key is unset). A key an ancestor set is refused with `setting_delegated`."""
    body = require_object(body)
    if uow.get_reseller(scope, reseller_id) is None:
        raise missing("reseller", reseller_id, "id")
    wanted = {k: _PARSERS[k](v) for k, v in body.items() if k in DELEGATED and v is not None}
    chain = _chain(uow.reseller_chain(reseller_id))
    conflict = delegated_conflict(chain[:-1], wanted)
    if conflict is not None:
        raise SettingDelegated(conflict, effective_settings(chain[:-1]).sources[conflict])
    uow.update_reseller(reseller_id, {"settings": wanted})
    # The chain as stored now, without loading it again: only the reseller's own settings changed.
    return _settings_view(reseller_id, [*chain[:-1], (reseller_id, wanted)])


@dataclass(frozen=True, slots=True)
class PartyRules:
    """What the reseller tree and the restriction lists decide for one customer."""

    effective: Effective
    restricted: bool

    def stop_needs_approval(self, customer: Customer) -> bool:
        groups = self.effective.get("stop_requires_approval_groups") or []
        return customer.group is not None and customer.group in groups

    def plan(self, plan: Plan) -> Plan:
        """The plan with the subtree's grace period, if a reseller set one (P3 over C7)."""
        grace = self.effective.get("grace_period_days")
        if grace is None or grace == plan.settings.grace_period_days:
            return plan
        return replace(plan, settings=replace(plan.settings, grace_period_days=grace))

    def priority(self, plan_id: str) -> int | None:
        return (self.effective.get("recommendation_priorities") or {}).get(plan_id)


def rules_for(uow: UnitOfWork, customer: Customer, product: str) -> PartyRules:
    rows = uow.reseller_chain(customer.reseller) if customer.reseller else []
    return PartyRules(effective_settings(_chain(rows)), restricted(uow, customer, rows, product))
