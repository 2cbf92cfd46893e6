"""The connector SDK, the built-in connectors and the registry (SPEC V1, V3), and the
worker's back-off (V4). Pure: no database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from prorata.domain.errors import InvalidInput
from prorata.services.vendors import TRANSITIONAL_OF, checked
from prorata.vendors import registry
from prorata.vendors.builtin import Instant, Simulated
from prorata.vendors.sdk import VERBS, Connector, Outcome, SettingsError, VendorRequest
from prorata.worker.vendor_poll import backoff


def _request(verb: str = "purchase", op_id: str = "op_1", sub: str = "sub1") -> VendorRequest:
    return VendorRequest(verb, op_id, {"id": sub}, {"id": "basic"}, {"id": "acme"},
                         {"domain": "acme.example"}, {})


def test_every_vendor_operation_has_a_verb_and_a_transitional_status():
    # SPEC S1, V4: purchase, change, renew, switch, stop, activate, delete.
    assert set(VERBS) == set(TRANSITIONAL_OF)
    assert set(VERBS.values()) == {"purchase", "change", "renew", "switch", "stop",
                                   "activate", "delete"}


def test_instant_completes_in_the_request_and_takes_no_settings():
    # SPEC V3
    assert Instant({}).immediate(_request()) == Outcome.completed()
    with pytest.raises(SettingsError):
        Instant({"polls": 1})


@pytest.mark.parametrize(("polls", "answers"), [
    (0, []), (1, ["completed"]), (3, ["pending", "pending", "completed"])])
def test_simulated_answers_on_the_chosen_round(polls, answers):
    # API.md: polls = the worker round on which the vendor answers; 0 = in the request.
    conn = Simulated({"polls": polls})
    request = _request()
    if polls == 0:
        assert conn.immediate(request) == Outcome.completed()
        return
    assert conn.immediate(request) is None
    got = [conn.call(request)]
    for attempt in range(2, polls + 1):
        got.append(conn.poll(got[-1].reference or "", request, attempt))
    assert [o.state for o in got] == answers


def test_simulated_fail_list_takes_api_types_and_verbs():
    # API.md: `fail` names operation types that always fail, with `message`.
    conn = Simulated({"polls": 1, "fail": ["change_resources", "stop"], "message": "no"})
    assert conn.call(_request("change")) == Outcome.failed("no")
    assert conn.call(_request("stop")) == Outcome.failed("no")
    assert conn.call(_request("purchase")) == Outcome.completed()


def test_simulated_failure_rate_is_deterministic_per_seed_and_subject():
    # SPEC V3: the same seed and request always draw the same answer, whatever the (random)
    # operation id.
    ids = [f"sub_{n}" for n in range(200)]
    first = [Simulated({"failure_rate": 0.3, "seed": 5}).call(_request(sub=i)).state
             for i in ids]
    again = [Simulated({"failure_rate": 0.3, "seed": 5}).call(
        _request(op_id=f"op_{i}", sub=i)).state for i in ids]
    other = [Simulated({"failure_rate": 0.3, "seed": 6}).call(_request(sub=i)).state
             for i in ids]
    assert first == again != other
    assert 30 <= first.count("failed") <= 90
    assert all(Simulated({"failure_rate": 1}).call(_request(sub=i)).state == "failed"
               for i in ids[:10])


@pytest.mark.parametrize("settings", [
    {"polls": -1}, {"polls": True}, {"polls": 1001}, {"fail": "stop"}, {"fail": ["fly"]},
    {"failure_rate": 1.5}, {"failure_rate": "x"}, {"failure_rate": None}, {"seed": [1]},
    {"message": ""}, {"message": 5}, {"other": 1}])
def test_simulated_refuses_bad_settings(settings):
    with pytest.raises(SettingsError):
        Simulated(settings)


def test_registry_checks_connector_and_settings():
    # SPEC V1; API.md: 400 unknown_connector, and settings the connector refuses.
    assert {"instant", "simulated"} <= {c["name"] for c in registry.list_connectors()}
    with pytest.raises(InvalidInput) as unknown:
        registry.check("nope", {})
    assert unknown.value.code == "unknown_connector"
    for settings in ({"vendor_timeout_hours": 0}, {"vendor_timeout_hours": "1"}, [1],
                     {"polls": -1}):
        with pytest.raises(InvalidInput) as bad:
            registry.check("simulated", settings)
        assert bad.value.code == "invalid_connector_settings"
    assert registry.split_settings({"polls": 2, "vendor_timeout_hours": 5}) == ({"polls": 2}, 5)
    assert registry.split_settings({})[1] == 72  # SPEC V4 default


def test_a_constructor_that_breaks_refuses_its_settings(monkeypatch):
    class Broken(Connector):
        def __init__(self, settings):
            raise KeyError("url")

    monkeypatch.setitem(registry.installed(), "broken", Broken)
    with pytest.raises(InvalidInput) as bad:
        registry.check("broken", {})
    assert bad.value.code == "invalid_connector_settings"


def test_garbage_answers_become_failures_with_the_reason():
    # Issue 8: a connector that answers garbage fails its operation, never a 5xx.
    assert checked("ok").state == "failed"
    assert checked(Outcome("maybe")).state == "failed"
    assert checked(Outcome("pending")).message == \
        "the connector answered pending without a reference"
    assert checked(Outcome("failed")).message == "the vendor gave no reason"
    assert checked(Outcome.failed("x" * 5000)).message == "x" * 1000
    assert checked(Outcome.pending("ref")) == Outcome.pending("ref")


def test_the_base_connector_completes_verbs_it_does_not_override():
    # SDK: a verb left alone has nothing to do at the vendor.
    conn = Connector({})
    for verb in VERBS.values():
        assert conn.call(_request(verb)) == Outcome.completed()
    assert conn.immediate(_request()) is None
    assert conn.poll("r", _request(), 2).state == "failed"


def test_request_round_trips_through_json():
    request = _request()
    assert VendorRequest.from_json(request.to_json()) == request


def test_backoff_is_exponential_and_capped():
    # SPEC V4: retry with exponential back-off.
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(seconds=s) for s in (30, 60, 120,
                                                                                 240)]
    assert backoff(50) == timedelta(hours=1)
