"""meridian.clients: the base URL from SSM (once per cold start), and callee answers → our typed errors."""
from __future__ import annotations

import os

import boto3
import pytest
import responses
from meridian import aws as meridian_aws
from meridian import config
from meridian.clients import ServiceClient, ServiceResponse
from meridian.config import MissingConfiguration
from meridian.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
    Unprocessable,
    ValidationFailed,
)

from ..conftest import API_BASE_URL


def answer(status, body=None, **headers) -> ServiceResponse:
    return ServiceResponse(status, body, headers, "products")


# ------------------------------------------------------------------ base URL
def test_the_base_url_is_the_ssm_parameter_read_once(aws):
    assert config.api_base_url() == API_BASE_URL
    assert config.jwks_url() == f"{API_BASE_URL}/api/v1/auth/.well-known/jwks.json"
    ssm = boto3.client("ssm", region_name="us-east-1")
    ssm.put_parameter(Name=os.environ["API_BASE_URL_PARAMETER"], Value="http://elsewhere/Prod/", Type="String",
                      Overwrite=True)
    assert ServiceClient("users").base_url == API_BASE_URL          # cached for the execution environment
    meridian_aws.forget_parameters()                               # a new cold start
    assert ServiceClient("users").base_url == "http://elsewhere/Prod"


def test_a_missing_variable_or_parameter_names_itself(aws, monkeypatch):
    monkeypatch.setenv("API_BASE_URL_PARAMETER", "/nowhere/api-base-url")
    with pytest.raises(MissingConfiguration, match="/nowhere/api-base-url"):
        config.api_base_url()
    monkeypatch.delenv("API_BASE_URL_PARAMETER")
    with pytest.raises(MissingConfiguration, match="API_BASE_URL_PARAMETER"):
        config.api_base_url()


def test_calls_go_below_the_stage_with_the_query_and_request_id(aws):
    with responses.RequestsMock() as mock:
        mock.get(f"{API_BASE_URL}/api/v1/localization/rates", json={"ok": True})
        got = ServiceClient("localization").get("/rates?base=USD", params={"limit": 5})
        assert got.ok and got.body == {"ok": True}
        assert mock.calls[0].request.params == {"base": "USD", "limit": "5"}


# ------------------------------------------------------------------ answers → typed errors
def test_a_2xx_answer_is_its_body():
    assert answer(201, {"id": "r1"}).result("reserve stock") == {"id": "r1"}
    assert answer(204).result("release") is None


def test_listed_statuses_become_their_errors_with_the_callees_detail():
    problem = {"type": "https://meridian.dev/problems/insufficient-stock", "title": "Conflict", "status": 409,
               "detail": "Not enough stock.", "product_id": "p1", "reservation_id": "secret", "request_id": "r"}
    with pytest.raises(Conflict) as caught:
        answer(409, problem).result("reserve stock", errors={409: Conflict}, members=("product_id", "sku"))
    assert caught.value.status == 409 and caught.value.detail == "Not enough stock."
    assert caught.value.extra == {"product_id": "p1"}             # only the members the caller names
    for status, kind in ((403, Forbidden), (404, NotFound), (422, Unprocessable)):
        with pytest.raises(kind) as caught:
            answer(status, {"detail": "no"}).result("do it", errors=(status,))
        assert caught.value.detail == "no"


def test_field_errors_are_kept_and_nested_under_the_callers_field():
    with pytest.raises(ValidationFailed) as caught:
        answer(400, {"errors": {"0.quantity": ["too many"], "items": ["empty"]}}).result(
            "reserve stock", errors={400: ValidationFailed}, field="items")
    assert caught.value.extra["errors"] == {"items.0.quantity": ["too many"], "items": ["empty"]}
    with pytest.raises(ValidationFailed) as caught:
        answer(404, {"detail": "Product p1 does not exist."}).result(
            "reserve stock", errors={404: ValidationFailed}, field="items")
    assert caught.value.status == 400 and caught.value.extra["errors"] == {"items": ["Product p1 does not exist."]}


def test_the_callers_own_error_is_raised_as_it_is():
    mine = NotFound("User not found.")
    with pytest.raises(NotFound) as caught:
        answer(404, {"detail": "auth's words"}).result("look up the user", errors={404: mine})
    assert caught.value is mine


def test_an_unlisted_verdict_on_the_request_is_that_error_not_an_outage():
    """admin → auth with ?cursor=garbage: auth's 400 reaches the admin as a 400 on the cursor, never a 503."""
    with pytest.raises(ValidationFailed) as caught:
        answer(400, {"detail": "The request has invalid fields.", "errors": {"cursor": ["The cursor is not valid."]}}
               ).result("list users")
    assert caught.value.status == 400 and caught.value.extra["errors"] == {"cursor": ["The cursor is not valid."]}
    with pytest.raises(NotFound):
        answer(404, {"detail": "No such user."}).result("look up the user")


def test_anything_else_means_the_callee_could_not_do_it():
    with pytest.raises(ServiceUnavailable) as caught:
        answer(403, {"detail": "Service admin may not call this API."}).result("list users", errors=(404,))
    assert caught.value.status == 503 and caught.value.headers["Retry-After"] == "5"
    assert "could not list users" in caught.value.detail and "403" in caught.value.detail
    with pytest.raises(TooManyRequests) as caught:
        answer(429, {}, **{"Retry-After": "7"}).result("x", errors=(429,))
    assert caught.value.retry_after == 7


def test_an_unreadable_2xx_is_unavailable_when_a_shape_is_required():
    with pytest.raises(ServiceUnavailable):
        answer(200, ["not", "an", "object"]).result("send rates", shape=dict)
    assert answer(200, {"a": 1}).result("send rates", shape=dict) == {"a": 1}


def test_a_callee_that_is_down_is_503_with_its_retry_after(aws):
    with responses.RequestsMock() as mock:
        mock.get(f"{API_BASE_URL}/api/v1/payments/internal/payments", status=503,
                 json={"detail": "The payment gateway is unavailable."}, headers={"Retry-After": "9"})
        with pytest.raises(ServiceUnavailable) as caught:
            ServiceClient("payments", attempts=2).get("/internal/payments")
        assert len(mock.calls) == 2                                   # GET: retried
    assert caught.value.retry_after == 9 and "payment gateway is unavailable" in caught.value.detail
    with responses.RequestsMock() as mock:
        mock.post(f"{API_BASE_URL}/api/v1/payments/internal/intents", status=500)
        with pytest.raises(ServiceUnavailable) as caught:
            ServiceClient("payments", attempts=3).post("/internal/intents", json={})
        assert len(mock.calls) == 1                                   # POST: not retried after an answer
    assert caught.value.retry_after == 5


def test_token_keys_are_fetched_from_the_jwks_below_the_api(aws):
    from meridian.auth import JwksKeySource

    from tests.lambda_testing import TokenFactory

    issued = TokenFactory()
    source = JwksKeySource()
    with responses.RequestsMock() as mock:
        mock.get(f"{API_BASE_URL}/api/v1/auth/.well-known/jwks.json", json=issued.jwks)
        assert source.key(issued.kid) is not None


def test_a_post_the_caller_marks_idempotent_is_retried_with_its_own_timeout(aws):
    """A callee that acts once per key (payments: one intent per order) may be asked again after a lost answer."""
    import requests as _requests

    with responses.RequestsMock() as mock:
        mock.post(f"{API_BASE_URL}/api/v1/payments/internal/intents", body=_requests.Timeout("read timed out"))
        mock.post(f"{API_BASE_URL}/api/v1/payments/internal/intents", status=503, json={"detail": "slow gateway"})
        mock.post(f"{API_BASE_URL}/api/v1/payments/internal/intents", status=201, json={"id": "p1"})
        got = ServiceClient("payments", attempts=3).post("/internal/intents", json={}, idempotent=True,
                                                         timeout=(2.0, 4.0))
        assert got.status == 201 and got.body == {"id": "p1"} and len(mock.calls) == 3
    with responses.RequestsMock() as mock:
        mock.post(f"{API_BASE_URL}/api/v1/payments/internal/intents", body=_requests.Timeout("read timed out"))
        with pytest.raises(ServiceUnavailable):
            ServiceClient("payments", attempts=3).post("/internal/intents", json={})
        assert len(mock.calls) == 1                                   # not marked: a timeout is not retried


def test_a_timeout_for_a_call_is_its_callees_work_plus_a_cold_start():
    from meridian import resilience

    connect, read = resilience.timeout_for(1.5)
    assert connect == resilience.DEFAULT_TIMEOUT[0]
    assert read == 1.5 + resilience.COLD_START_ALLOWANCE + 0.5
