"""The webhook function URL has no gateway in front on AWS: its answers carry the security headers and
X-Request-Id themselves (meridian.http_headers)."""
from __future__ import annotations

import pytest
from meridian import http_headers

from tests.lambda_testing import LambdaContext

from .conftest import function_url_event


@pytest.fixture
def receive(load_function):
    return load_function("PaymentsWebhookFunction")


def _assert_headers(response, request_id):
    for name, value in http_headers.SECURITY_HEADERS.items():
        assert response["headers"][name] == value, name
    assert response["headers"]["X-Request-Id"] == request_id


def test_a_rejected_webhook_carries_the_headers_and_echoes_the_request_id(receive):
    event = function_url_event(b"{}", {"X-Request-Id": "wh-rid-1"})
    response = receive(event, LambdaContext())
    assert response["statusCode"] == 400
    assert response["headers"]["Content-Type"] == "application/problem+json"
    _assert_headers(response, "wh-rid-1")


def test_without_a_sane_request_id_the_function_urls_is_used(receive):
    event = function_url_event(b"{}", {"X-Request-Id": 'bad"id'})
    event["requestContext"]["requestId"] = "url-req-7"
    _assert_headers(receive(event, LambdaContext()), "url-req-7")


def test_a_wrong_method_carries_the_headers_too(receive):
    event = function_url_event(b"", {})
    event["requestContext"]["http"]["method"] = "GET"
    context = LambdaContext()
    response = receive(event, context)
    assert response["statusCode"] == 405
    _assert_headers(response, context.aws_request_id)
