"""OPTIONS answers the real Allow header (issue 7), taken from the routing table."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import error_of


@pytest.mark.parametrize("path, allow", [
    ("/v1/subscriptions", "GET, HEAD, POST, OPTIONS"),
    ("/v1/subscriptions/anything", "GET, HEAD, PATCH, OPTIONS"),
    ("/v1/subscriptions/x/operations", "GET, HEAD, POST, OPTIONS"),
    ("/v1/api-keys/k1", "DELETE, OPTIONS"),
    ("/v1/customers", "GET, HEAD, POST, OPTIONS"),
])
def test_options_lists_the_methods_of_the_path(api: TestClient, path: str, allow: str):
    response = api.options(path)
    assert response.status_code == 204
    assert response.headers["Allow"] == allow
    # every method it names is really routed: none answers 405
    for method in allow.split(", "):
        if method not in ("OPTIONS", "HEAD"):
            assert api.request(method, path).status_code != 405


def test_options_of_an_unknown_path_is_404(api: TestClient):
    response = api.options("/v1/nothing-here")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_405_names_the_same_methods(api: TestClient):
    # The 405's Allow (Starlette) and OPTIONS agree on what the path takes.
    refused = api.put("/v1/subscriptions")
    assert refused.status_code == 405
    allowed = set(api.options("/v1/subscriptions").headers["Allow"].split(", "))
    assert set(refused.headers["Allow"].split(", ")) <= allowed
