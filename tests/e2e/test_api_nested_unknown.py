"""Unknown fields in nested objects are refused too (issue 6, item 5): every request model
derives from `api.schemas.Body` (extra=forbid), so a typo one level down is a 400 naming the
nested field, and nothing is stored. Plan settings pass unknown names on to the plan builder,
which refuses them by name (`unknown_setting`, SPEC C7)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import error_of
from tests.e2e.lifecycle import ok, seats_plan

PLAN = seats_plan("p1", "monthly", "6.00")


@pytest.mark.parametrize("path, body, param, code", [
    ("/v1/plans", {**PLAN, "resources": [{**PLAN["resources"][0], "setup_prise": "1"}]},
     "resources[0].setup_prise", "unknown_parameter"),
    ("/v1/plans", {**PLAN, "switch_to": [{"plan": "p2", "kind": "upgrade", "tyme": "now"}]},
     "switch_to[0].tyme", "unknown_parameter"),
    ("/v1/plans", {**PLAN, "settings": {"upgrade_fe": "1.00"}}, "settings.upgrade_fe",
     "unknown_setting"),
    ("/v1/products", {"id": "x", "name": "X", "attributes": [
        {"id": "a", "name": "A", "audience": "customer", "requird": True}]},
     "attributes[0].requird", "unknown_parameter"),
])
def test_nested_unknown_fields(api: TestClient, path: str, body: dict, param: str,
                               code: str) -> None:
    # issue 6: a typo in a nested object is refused by name and changes nothing
    ok(api.post("/v1/products", json={"id": "m365", "name": "Microsoft 365"}))
    response = api.post(path, json=body)
    assert response.status_code == 400, response.text
    assert (error_of(response)["code"], error_of(response)["param"]) == (code, param)
    assert api.get("/v1/plans/p1").status_code == 404


def test_nested_seller_block(api: TestClient) -> None:
    response = api.put("/v1/settings/invoices", json={"seller": {"nam": "Us"}})
    assert response.status_code == 400
    assert error_of(response)["param"] == "seller.nam"
