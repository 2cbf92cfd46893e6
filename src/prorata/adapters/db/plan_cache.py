"""Decoded plans kept per process, keyed by (plan id, version) (issue 13).

A plan's JSON is read and decoded on almost every request (GET and every operation of a
subscription). Plans change rarely, and every change bumps `plans.version` (`update_plan`), so
the unit of work still asks the database for the plan on every call, in the same single
statement as before, but asks for the data only when its version is not the one held here:
`SELECT version, CASE WHEN version = :held THEN NULL ELSE data END`. Correctness never rests on
this memory: the version comes from the request's own transaction, so an edit committed by any
process is seen by the next request of every process.

Plans are never deleted, so (id, version) names one content for good. Emptying the tables
under a running process (a restore from backup, the tests' truncation) breaks that: a plan made
again starts at version 0 with other content. Restart the servers after a restore; the tests
call `forget_all()` when they truncate.

Filled only from committed data: a unit of work that wrote a plan (add or update, possibly to
be rolled back) never stores what it reads. `Plan` is frozen all the way down (tuples, frozen
dataclasses), so threads share the objects safely."""

from __future__ import annotations

import threading
import weakref

from prorata.domain.catalog import Plan

MAX_PLANS = 4096  # a catalog's worth; past it the cache starts over rather than grow


class PlanCache:
    _every: weakref.WeakSet[PlanCache] = weakref.WeakSet()

    def __init__(self, limit: int = MAX_PLANS) -> None:
        self._plans: dict[str, tuple[int, Plan]] = {}
        self._limit = limit
        self._lock = threading.Lock()
        PlanCache._every.add(self)

    @classmethod
    def forget_all(cls) -> None:
        """Empties every cache of this process (see the module docstring: truncation)."""
        for cache in list(cls._every):
            with cache._lock:
                cache._plans.clear()

    def held(self, plan_id: str) -> tuple[int, Plan] | None:
        """The (version, plan) held for this id, whatever its version."""
        return self._plans.get(plan_id)

    def put(self, plan_id: str, version: int, plan: Plan) -> None:
        """Keeps the newest version seen: an older reader (an earlier snapshot) must not
        replace a newer plan, though either is correct for the version it is keyed by."""
        with self._lock:
            current = self._plans.get(plan_id)
            if current is not None and current[0] >= version:
                return
            if current is None and len(self._plans) >= self._limit:
                self._plans.clear()
            self._plans[plan_id] = (version, plan)

    def __len__(self) -> int:
        return len(self._plans)
