"""Vendor operations (SPEC S1, V1-V5): sending an accepted operation to the product's
connector, and applying the vendor's answer.

On the request path (`route`), an operation that took effect and changes the vendor's side
asks the connector for an answer it knows without I/O (`immediate`). Completed: nothing
changes. Otherwise the subscription shows its transitional status, the operation is
`provisioning`, and either the failure is applied at once or a durable vendor call is written
in the same transaction, for the worker to make and poll. The events of the status change
(stopped, deleted, renewed) wait for the vendor: they are emitted when the outcome is applied.
Charges are made when the operation is accepted; a failure reverses them exactly (V2)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from prorata.domain import events as T
from prorata.domain.catalog import Plan
from prorata.domain.engine import SYSTEM, Decision, due_on
from prorata.domain.engine.common import actor_name, copy_sub
from prorata.domain.engine.notices import transition_events
from prorata.domain.model import (
    ChargeLine,
    Customer,
    Event,
    LineKind,
    OpStatus,
    Status,
    Subscription,
)
from prorata.ids import new_id
from prorata.services.ports import OPERATOR, UnitOfWork
from prorata.vendors import registry
from prorata.vendors.sdk import COMPLETED, FAILED, PENDING, VERBS, Outcome, VendorRequest

TRANSITIONAL_OF = {"purchase": Status.ACTIVATING, "activate": Status.ACTIVATING,
                   "change_resources": Status.UPDATING, "renew": Status.RENEWING,
                   "switch_plan": Status.SWITCHING, "stop": Status.STOPPING,
                   "delete": Status.DELETING}
# Told when the vendor has carried the change out, not when it was accepted.
DEFERRED_EVENTS = frozenset({T.SUBSCRIPTION_STOPPED, T.SUBSCRIPTION_DELETED,
                             T.SUBSCRIPTION_RENEWED, T.SUBSCRIPTION_EXPIRED})
# The daily run's own deletions and non-payment stops: a failure leaves them due (vendors_daily).
RETRIED_DAILY = frozenset({"delete", "stop"})
SYSTEM_ACTOR = actor_name(SYSTEM)
VENDOR_FAILED = "vendor_failed"
VENDOR_OPERATION_FAILED = "vendor_operation_failed"
MAX_MESSAGE = 1000


@dataclass(slots=True)
class Routed:
    """What `route` decided; `store` finishes it once the history is written."""

    operation_id: str
    before: Subscription
    connector: str
    settings: dict[str, Any]
    request: VendorRequest
    target_status: Status
    timeout_hours: int
    failure: str | None  # the vendor's message when it failed at once


def now_on(today: date) -> datetime:
    """The worker's notion of now: the (test) clock's day at the wall clock's time."""
    wall = datetime.now(UTC)
    return datetime.combine(today, wall.timetz())


def checked(outcome: Any) -> Outcome:
    """A connector's answer, or a failure saying why it is not one."""
    if not isinstance(outcome, Outcome) or outcome.state not in (COMPLETED, PENDING, FAILED):
        return Outcome.failed(f"the connector answered garbage: {outcome!r:.200}")
    if outcome.state == PENDING and not (isinstance(outcome.reference, str)
                                         and 0 < len(outcome.reference) <= 400):
        return Outcome.failed("the connector answered pending without a reference")
    if outcome.state == FAILED:
        text = outcome.message if isinstance(outcome.message, str) and outcome.message \
            else "the vendor gave no reason"
        return Outcome.failed(text[:MAX_MESSAGE])
    return outcome


def build_request(sub: Subscription, plan: Plan, customer: Customer, op_id: str,
                  op_type: str, params: dict[str, Any]) -> VendorRequest:
    expires = sub.expires_on
    return VendorRequest(
        verb=VERBS[op_type], operation_id=op_id,
        subscription={"id": sub.id, "customer": sub.customer, "plan": sub.plan,
                      "period": sub.period, "resources": dict(sub.resources),
                      "start_date": sub.start_date.isoformat(),
                      "expires_on": None if expires is None else expires.isoformat()},
        plan={"id": plan.id, "name": plan.name, "product": plan.product,
              "billing_type": plan.billing_type.value},
        customer={"id": customer.id, "name": customer.name, "email": customer.email,
                  "inn": customer.inn, "currency": customer.currency},
        attributes=dict(sub.attributes), params=dict(params))


def ask_now(product: dict[str, Any], request: VendorRequest) -> \
        tuple[str, dict[str, Any], Outcome | None, int]:
    """The connector's answer known without I/O (None: the worker must call), with the
    connector's name, its settings and the time limit in hours."""
    name = product.get("vendor") or "instant"
    settings = dict(product.get("vendor_settings") or {})
    try:
        _, hours = registry.split_settings(settings)
        answer = registry.build(name, settings).immediate(request)
        outcome = None if answer is None else checked(answer)
    except LookupError:
        outcome, hours = Outcome.failed(f"the connector {name!r} is not installed"), 1
    except Exception as exc:  # a connector that raises fails its operation, with the reason
        outcome, hours = Outcome.failed(f"the connector failed: {exc}"[:MAX_MESSAGE]), 1
    return name, settings, outcome, hours


def verb_type(op_type: str) -> str | None:
    """The operation type whose verb the vendor is asked for: an approval completes a stop."""
    if op_type == "approve":
        return "stop"
    return op_type if op_type in VERBS else None


def route(uow: UnitOfWork, before: Subscription | None, decision: Decision, plan: Plan,
          customer: Customer) -> Routed | None:
    """Before the decision is stored: None when the vendor is not involved or completed at
    once; otherwise the decision is made transitional and the deferred events held back."""
    op = decision.operation
    kind = None if op is None else verb_type(op.type)
    if op is None or op.status is not OpStatus.COMPLETED or kind is None:
        return None
    sub = decision.subscription
    request = build_request(sub, plan, customer, op.id, kind, op.params)
    name, settings, outcome, hours = ask_now(uow.get_product(plan.product) or {}, request)
    if outcome is not None and outcome.state == COMPLETED:
        return None
    if before is None:  # a purchase: nothing stood before it
        before = copy_sub(sub, status=Status.DELETED)
    if op.type == "approve":  # the stop request completes with the vendor (apply_success)
        decision.op_updates = [u for u in decision.op_updates
                               if u.operation_id != op.params.get("stop")]
    target = sub.status
    sub.status = TRANSITIONAL_OF[kind]
    op.status = OpStatus.PROVISIONING
    decision.events = [e for e in decision.events if e.type not in DEFERRED_EVENTS]
    return Routed(op.id, before, name, settings, request, target, hours,
                  None if outcome is None else outcome.message or "")


def store(uow: UnitOfWork, routed: Routed, today: date) -> None:
    """After the history is stored: the durable call, or the failure applied at once."""
    if routed.failure is not None:
        apply_failure(uow, routed.operation_id, routed.before, routed.failure, today)
        return
    now = now_on(today)
    uow.add_vendor_call(operation_id=routed.operation_id, before=routed.before,
                        connector=routed.connector, settings=routed.settings,
                        request=routed.request.to_json(),
                        target_status=routed.target_status.value, now=now,
                        deadline=now + timedelta(hours=routed.timeout_hours))


def apply_success(uow: UnitOfWork, operation_id: str, before: Subscription,
                  target_status: Status, today: date) -> None:
    """V1: the vendor carried it out; the stable status and the held-back events."""
    op = uow.get_operation(operation_id)
    sub = uow.get_subscription(OPERATOR, before.id)
    if op is None or sub is None or op.status is not OpStatus.PROVISIONING:
        return
    sub.status = target_status
    op.status = OpStatus.COMPLETED
    stop_request = op.params.get("stop") if op.type == "approve" else None
    request_op = uow.get_operation(stop_request) if isinstance(stop_request, str) else None
    if request_op is not None:  # an approved stop: the request is carried out now
        request_op.status = OpStatus.COMPLETED
        uow.update_operation(request_op)
    plan = uow.get_plan(sub.plan)
    if plan is not None:  # the daily run skipped it while transitional: schedule it again
        sub.due_on = due_on(sub, plan)
    uow.update_subscription(sub)
    uow.update_operation(op)
    if plan is not None:
        events = [e for e in transition_events(before, Decision(sub, op), plan)
                  if e.type in DEFERRED_EVENTS]
        uow.add_events([replace(e, created_on=today) for e in events])


def apply_failure(uow: UnitOfWork, operation_id: str, before: Subscription, message: str,
                  today: date) -> None:
    """V2: back to the previous stable state, the operation failed with the vendor's message,
    its charges reversed line by line (so exactly, without any rounding), and the managers
    told."""
    op = uow.get_operation(operation_id)
    current = uow.get_subscription(OPERATOR, before.id)
    if op is None or current is None or op.status is not OpStatus.PROVISIONING:
        return
    restored = copy_sub(before, version=current.version,
                        expiry_noticed=current.expiry_noticed)
    plan = uow.get_plan(restored.plan)
    if plan is not None:
        restored.due_on = due_on(restored, plan)
    if op.type in RETRIED_DAILY and op.actor == SYSTEM_ACTOR and restored.due_on is not None:
        # Still due: tried again by the next day's run, with that day's dedup key (not by a
        # rerun of today's, whose key this failed operation holds).
        restored.due_on = max(restored.due_on, today + timedelta(days=1))
    uow.update_subscription(restored)
    op.status, op.error_code, op.error_message = OpStatus.FAILED, VENDOR_FAILED, message
    uow.update_operation(op)
    refunds = [_reversal(line, operation_id, today) for line in uow.lines_for_operation(op.id)]
    if refunds:
        uow.add_lines(refunds)
    uow.add_events([Event(VENDOR_OPERATION_FAILED,
                          {"operation": op.id, "type": op.type, "message": message},
                          customer=current.customer, subscription=current.id,
                          dedup_key=f"{VENDOR_OPERATION_FAILED}:{op.id}", created_on=today)])


def _reversal(line: ChargeLine, operation_id: str, today: date) -> ChargeLine:
    return replace(line, kind=LineKind.REFUND, description=f"Reversed: {line.description}",
                   unit_price=-line.unit_price, amount=-line.amount, id=new_id("ln"),
                   operation=operation_id, created_on=today)
