"""What every function response carries without nginx (as on AWS): security headers, X-Request-Id,
CORS for the storefront origin and CORS preflights — meridian.http_headers through ServiceApp."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from meridian import http_headers
from meridian.api import ServiceApp
from meridian.errors import Conflict

from infra.localaws.template import load_yaml
from tests.lambda_testing import ApiClient, LambdaContext

ORIGIN = "https://shop.example.com"
NGINX_CONF = Path(__file__).resolve().parents[3] / "infra" / "localaws" / "nginx" / "nginx.conf.template"


def make_app() -> ServiceApp:
    app = ServiceApp("demo")

    @app.route("/things/{thing_id}", methods=["GET", "PUT"])
    def thing(thing_id):
        """One thing."""
        if thing_id == "taken":
            raise Conflict("taken")
        if thing_id == "boom":
            raise RuntimeError("unexpected")
        return {"id": thing_id}

    @app.route("/varied", methods=["GET"])
    def varied():
        """Varies by language."""
        from meridian.api import json_response

        return json_response({"ok": True}, headers={"Vary": "Accept-Language"})

    @app.route("/echo", methods=["POST"])
    def echo():
        """Chalice parses the body (its own 400 on bad JSON)."""
        return app.current_request.json_body

    return app


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setenv("CORS_ALLOWED_ORIGIN", ORIGIN)
    return ApiClient(make_app())


def assert_security_headers(response):
    for name, value in http_headers.SECURITY_HEADERS.items():
        assert response.headers[name.lower()] == value, name
    assert response.headers["x-request-id"]


# ---------------------------------------------------------------------- security headers
def test_security_headers_on_a_success(client):
    response = client.get("/api/v1/demo/things/1")
    assert response.status == 200
    assert_security_headers(response)
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp


@pytest.mark.parametrize(("path", "method", "status"), [
    ("/api/v1/demo/things/taken", "GET", 409),       # a typed error
    ("/api/v1/demo/nope/nope/nope", "GET", 404),     # no route
    ("/api/v1/demo/things/1", "DELETE", 405),        # wrong method
    ("/api/v1/demo/things/boom", "GET", 500),        # an unexpected exception
])
def test_security_headers_on_problems(client, path, method, status):
    response = client.request(method, path, headers={"X-Request-Id": "rid-problem"})
    assert response.status == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json["request_id"] == "rid-problem"
    assert response.headers["x-request-id"] == "rid-problem"
    assert_security_headers(response)


def test_security_headers_on_chalice_own_bad_request(client):
    response = client.request("POST", "/api/v1/demo/echo", body="{not json", headers={"Origin": ORIGIN})
    assert response.status == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert_security_headers(response)


# ---------------------------------------------------------------------- X-Request-Id
def _event(headers=None, request_id="apigw-req-1"):
    return {"resource": "/api/v1/demo/{proxy+}", "path": "/api/v1/demo/health", "httpMethod": "GET",
            "headers": headers, "requestContext": {"requestId": request_id} if request_id else {},
            "multiValueHeaders": {k: [v] for k, v in (headers or {}).items()} or None,
            "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
            "stageVariables": None, "body": None, "isBase64Encoded": False}


def test_a_sane_request_id_is_echoed():
    result = make_app()(_event({"x-request-id": "client:id-1.2_3"}), LambdaContext())
    assert result["headers"]["X-Request-Id"] == "client:id-1.2_3"


@pytest.mark.parametrize("incoming", [None, "", 'a"b', "x" * 129, "new\nline", "späť"])
def test_an_absent_or_unsafe_request_id_is_replaced_by_the_gateways(incoming):
    headers = {"X-Request-Id": incoming} if incoming is not None else None
    result = make_app()(_event(headers), LambdaContext())
    assert result["headers"]["X-Request-Id"] == "apigw-req-1"


def test_without_a_gateway_request_id_lambdas_is_used_then_a_new_one():
    context = LambdaContext()
    assert make_app()(_event(None, request_id=None), context)["headers"]["X-Request-Id"] == context.aws_request_id
    made = http_headers.request_id_for({}, None)
    assert uuid.UUID(made)


def test_the_request_id_rule_is_nginxs():
    """nginx keeps the same ids the functions keep (its map sends them on, the function echoes them)."""
    assert f'"~{http_headers.REQUEST_ID_PATTERN}" $http_x_request_id;' in NGINX_CONF.read_text()


# ---------------------------------------------------------------------- CORS
def test_the_allowed_origin_is_granted_with_credentials(client):
    response = client.get("/api/v1/demo/things/1", headers={"Origin": ORIGIN})
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["vary"] == "Origin"
    assert "access-control-allow-methods" not in response.headers   # only preflights list them


def test_errors_are_readable_by_the_allowed_origin_too(client):
    response = client.get("/api/v1/demo/things/taken", headers={"Origin": ORIGIN})
    assert response.status == 409
    assert response.headers["access-control-allow-origin"] == ORIGIN


@pytest.mark.parametrize("origin", [None, "https://evil.example", ORIGIN + ".evil.example", ORIGIN.upper(),
                                    ORIGIN + ":443", "http://shop.example.com", "null"])
def test_other_origins_get_no_grant(client, origin):
    response = client.get("/api/v1/demo/things/1", headers={"Origin": origin} if origin else {})
    assert response.status == 200
    assert not any(h.startswith("access-control-") for h in response.headers)
    assert response.headers["vary"] == "Origin"  # the answer depends on Origin: caches must keep them apart


def test_vary_is_merged_with_the_routes_own(client):
    response = client.get("/api/v1/demo/varied", headers={"Origin": ORIGIN})
    assert response.headers["vary"] == "Accept-Language, Origin"


def test_no_cors_at_all_without_a_configured_origin(monkeypatch):
    monkeypatch.delenv("CORS_ALLOWED_ORIGIN", raising=False)
    response = ApiClient(make_app()).get("/api/v1/demo/things/1", headers={"Origin": ORIGIN})
    assert not any(h.startswith("access-control-") for h in response.headers) and "vary" not in response.headers


def test_a_configured_origin_with_a_trailing_slash_still_matches(monkeypatch):
    monkeypatch.setenv("CORS_ALLOWED_ORIGIN", ORIGIN + "/")
    response = ApiClient(make_app()).get("/api/v1/demo/things/1", headers={"Origin": ORIGIN})
    assert response.headers["access-control-allow-origin"] == ORIGIN


# ---------------------------------------------------------------------- preflight
def _template_cors() -> dict:
    cors = load_yaml()["Globals"]["Api"]["Cors"]
    return {k: (v.strip("'") if isinstance(v, str) else v) for k, v in cors.items()}


def test_preflight_from_the_allowed_origin_matches_the_templates_cors(client):
    response = client.request("OPTIONS", "/api/v1/demo/things/1",
                              headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT",
                                       "Access-Control-Request-Headers": "authorization,content-type"})
    cors = _template_cors()
    assert response.status == 204 and response.text == ""
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true" and cors["AllowCredentials"] is True
    assert response.headers["access-control-allow-methods"] == cors["AllowMethods"]
    assert response.headers["access-control-allow-headers"] == cors["AllowHeaders"]
    assert response.headers["access-control-max-age"] == cors["MaxAge"]
    assert response.headers["allow"] == "GET, OPTIONS, PUT"
    assert_security_headers(response)


def test_the_template_allows_the_origin_the_functions_allow():
    template = load_yaml()
    assert template["Globals"]["Api"]["Cors"]["AllowOrigin"] == {"Fn::Sub": "'${StorefrontOrigin}'"}
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["CORS_ALLOWED_ORIGIN"] == {"Ref": "StorefrontOrigin"}


def test_preflight_from_another_origin_is_answered_without_a_grant(client):
    response = client.request("OPTIONS", "/api/v1/demo/things/1",
                              headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"})
    assert response.status == 204
    assert not any(h.startswith("access-control-") for h in response.headers)
    assert_security_headers(response)


def test_preflight_on_any_path_of_the_service_like_api_gateways_proxy_resource(client):
    response = client.request("OPTIONS", "/api/v1/demo/no/such/route",
                              headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
    assert response.status == 204
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "allow" not in response.headers


def test_the_constants_are_plain_header_values():
    for value in (http_headers.CORS_ALLOW_METHODS, http_headers.CORS_ALLOW_HEADERS, http_headers.CORS_MAX_AGE,
                  *http_headers.SECURITY_HEADERS.values()):
        assert re.fullmatch(r"[\x20-\x7e]+", value)


def test_finish_response_keeps_a_handlers_own_security_header_and_multi_value_headers():
    response = {"statusCode": 200, "headers": {"content-security-policy": "sandbox"},
                "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]}, "body": ""}
    http_headers.finish_response(response, "rid")
    assert response["headers"]["content-security-policy"] == "sandbox"
    assert "Content-Security-Policy" not in response["headers"]
    assert response["headers"]["X-Request-Id"] == "rid"
    assert response["multiValueHeaders"] == {"Set-Cookie": ["a=1", "b=2"]}
