"""GET /api/v1/openapi.json served by the admin function (on AWS there is no nginx serving a merged file):
siblings' documents through ServiceClient, cached per execution environment, a silent one left out."""
from __future__ import annotations

import pytest
import responses
from meridian import http_headers
from meridian import openapi as layer_openapi

from infra.localaws.template import Template
from tests.lambda_testing import ApiClient

API_BASE_URL = "http://services.test/Prod"
BASE = f"{API_BASE_URL}/api/v1"
SIBLINGS = [s for s in layer_openapi.SERVICES if s != "admin"]


def document(service: str) -> dict:
    return {"openapi": "3.0.3", "info": {"title": f"Meridian {service} API", "version": "1.0.0"},
            "paths": {f"/api/v1/{service}/health": {"get": {"summary": "Liveness"}}}}


@pytest.fixture
def api(load_function, monkeypatch):
    app = load_function("AdminFunction")     # the API's base URL: the SSM parameter, API_BASE_URL
    return ApiClient(app)


@pytest.fixture
def siblings():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        calls = {s: mock.get(f"{BASE}/{s}/openapi.json", json=document(s)) for s in SIBLINGS}
        yield mock, calls


def test_every_services_paths_merged_into_one_document(api, siblings):
    _, calls = siblings
    response = api.get("/api/v1/openapi.json", headers={"X-Request-Id": "rid-oa"})
    assert response.status == 200
    doc = response.json
    assert doc["openapi"].startswith("3.") and doc["info"]["title"] == "Meridian API"
    assert "description" not in doc["info"]
    for service in layer_openapi.SERVICES:
        assert f"/api/v1/{service}/health" in doc["paths"], service
    assert "/api/v1/admin/dead-letters" in doc["paths"]          # its own, in process (not over HTTP)
    assert "/api/v1/openapi.json" in doc["paths"]
    assert [t["name"] for t in doc["tags"]] == sorted(layer_openapi.SERVICES)
    assert all(call.call_count == 1 for call in calls.values())
    assert calls["auth"].calls[0].request.headers["X-Request-Id"] == "rid-oa"   # forwarded by ServiceClient
    for name, value in http_headers.SECURITY_HEADERS.items():
        assert response.headers[name.lower()] == value


def test_documents_are_kept_for_the_life_of_the_environment(api, siblings):
    _, calls = siblings
    first = api.get("/api/v1/openapi.json").json
    second = api.get("/api/v1/openapi.json").json
    assert first == second
    assert all(call.call_count == 1 for call in calls.values())


def test_a_service_that_does_not_answer_is_left_out_and_asked_again(api):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for service in SIBLINGS:
            if service == "orders":
                orders = mock.get(f"{BASE}/orders/openapi.json", status=503, json={"title": "down"})
            elif service == "users":
                pass                                                    # no answer at all: connection refused
            else:
                mock.get(f"{BASE}/{service}/openapi.json", json=document(service))
        response = api.get("/api/v1/openapi.json")
        assert response.status == 200                                   # never a 500
        doc = response.json
        assert "/api/v1/orders/health" not in doc["paths"] and "/api/v1/users/health" not in doc["paths"]
        assert "/api/v1/auth/health" in doc["paths"]
        assert "orders" in doc["info"]["description"] and "users" in doc["info"]["description"]
        assert "orders" not in [t["name"] for t in doc["tags"]]
        assert orders.call_count == 1                                   # one attempt, no retries

        # back again: asked on the next request, and the others are not fetched a second time
        mock.replace(responses.GET, f"{BASE}/orders/openapi.json", json=document("orders"))
        mock.get(f"{BASE}/users/openapi.json", json=document("users"))
        again = api.get("/api/v1/openapi.json").json
        assert "/api/v1/orders/health" in again["paths"] and "/api/v1/users/health" in again["paths"]
        assert "description" not in again["info"]
        auth_calls = [c for c in mock.calls if "/auth/" in c.request.url]
        assert len(auth_calls) == 1


def test_a_document_that_is_not_openapi_is_left_out(api):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for service in SIBLINGS:
            body = {"unexpected": True} if service == "payments" else document(service)
            mock.get(f"{BASE}/{service}/openapi.json", json=body)
        doc = api.get("/api/v1/openapi.json").json
    assert "payments" in doc["info"]["description"]


def test_other_methods_on_the_document_are_refused(api, siblings):
    assert api.post("/api/v1/openapi.json", json={}).status == 405


def test_the_layer_knows_every_service_with_an_api():
    assert sorted(layer_openapi.SERVICES) == sorted(
        spec.service for spec in Template().functions() if spec.api_paths)


def test_a_missing_service_is_named_in_the_description():
    merged = layer_openapi.merge({"a": document("a")}, missing=["b"])
    assert merged["info"]["description"].startswith("Incomplete") and "b" in merged["info"]["description"]
