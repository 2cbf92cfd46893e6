"""The per-process plan cache (adapters/db/plan_cache.py, issue 13): keyed by (plan id,
version), filled only from committed data, checked against the version on every read."""

from __future__ import annotations

from dataclasses import replace

from prorata.adapters.db import Database
from prorata.adapters.db.plan_cache import PlanCache
from tests.dbfixtures import sample_plan, seed_catalog


def test_plan_written_in_a_rolled_back_transaction_is_never_cached(database: Database) -> None:
    # SPEC C1: a plan is what was committed; a draft that was rolled back never existed
    with database.uow() as uow:
        seed_catalog(uow)
        uow.commit()
    with database.uow() as uow:
        uow.update_plan(replace(sample_plan(), name="Draft"))
        assert uow.get_plan("m365-basic").name == "Draft"  # its own write, version 1
        # rolled back: leaving without commit
    assert database.plans.held("m365-basic") is None
    with database.uow(read_only=True) as uow:
        assert uow.get_plan("m365-basic").name == "Business Basic"
    assert database.plans.held("m365-basic")[0] == 0  # type: ignore[index]


def test_committed_edit_replaces_the_held_version(database: Database) -> None:
    # SPEC C1: an edit applies from the next read; the held plan is of the version read
    with database.uow() as uow:
        seed_catalog(uow)
        uow.commit()
    with database.uow(read_only=True) as uow:
        first = uow.get_plan("m365-basic")
    with database.uow(read_only=True) as uow:
        assert uow.get_plan("m365-basic") is first  # served from memory: same version
    with database.uow() as uow:
        uow.update_plan(replace(sample_plan(), name="Basic 2025"))
        uow.commit()
    with database.uow(read_only=True) as uow:
        assert uow.get_plan("m365-basic").name == "Basic 2025"
        assert uow.get_plan("nope") is None
    assert database.plans.held("m365-basic")[0] == 1  # type: ignore[index]


def test_an_older_version_never_replaces_a_newer_one() -> None:
    # issue 13: a reader on an older snapshot must not put back an older plan
    cache = PlanCache(limit=2)
    old, new = sample_plan(name="Old"), sample_plan(name="New")
    cache.put("p", 3, new)
    cache.put("p", 2, old)
    assert cache.held("p") == (3, new)
    cache.put("q", 0, old)
    cache.put("r", 0, old)  # past the limit: starts over instead of growing
    assert len(cache) == 1 and cache.held("r") == (0, old)
