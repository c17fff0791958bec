"""HTTP ⇄ Lambda payload translation (infra/localaws/runtime/events.py and the HTTP/1.1 framing)."""
import base64
import json

import pytest

from infra.localaws.runtime import events, http11
from infra.localaws.runtime.events import ApiResource, HttpRequest

RESOURCES = [ApiResource("/api/v1/auth", "ANY"), ApiResource("/api/v1/auth/{proxy+}", "ANY")]
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe"


def request(method="GET", target="/api/v1/auth/login", headers=None, body=b"", peer="10.0.0.9"):
    return HttpRequest(method, target, headers or [("Host", "localhost")], body, peer)


def v1(req):
    resource, params = events.match_resource(RESOURCES, req.raw_path, req.method)
    return events.api_gateway_v1_event(req, resource, params, "req-1", now=1_700_000_000.0)


# ---------------------------------------------------------------------------- v1 requests
def test_v1_resource_and_proxy_path_parameter():
    event = v1(request(target="/api/v1/auth/users/a%20b/keys"))
    assert event["resource"] == "/api/v1/auth/{proxy+}"
    assert event["path"] == "/api/v1/auth/users/a%20b/keys"
    assert event["pathParameters"] == {"proxy": "users/a b/keys"}
    assert event["requestContext"]["resourcePath"] == "/api/v1/auth/{proxy+}"
    assert event["requestContext"]["requestId"] == "req-1"
    assert event["requestContext"]["httpMethod"] == "GET"
    assert event["requestContext"]["stage"] == "Prod"
    assert event["requestContext"]["requestTimeEpoch"] == 1_700_000_000_000


def test_v1_root_resource_has_no_path_parameters():
    event = v1(request(target="/api/v1/auth"))
    assert event["resource"] == "/api/v1/auth"
    assert event["pathParameters"] is None


def test_unknown_path_or_method_matches_nothing():
    assert events.match_resource(RESOURCES, "/api/v1/users/x", "GET") is None
    only_get = [ApiResource("/api/v1/x/{id}", "GET")]
    assert events.match_resource(only_get, "/api/v1/x/1", "POST") is None
    assert events.match_resource(only_get, "/api/v1/x/1", "GET")[1] == {"id": "1"}


def test_literal_resource_beats_parameter():
    resources = [ApiResource("/items/{id}", "ANY"), ApiResource("/items/special", "ANY")]
    assert events.match_resource(resources, "/items/special", "GET")[0].path == "/items/special"
    assert events.match_resource(resources, "/items/other", "GET")[0].path == "/items/{id}"


def test_v1_headers_keep_case_and_repeat_in_multi_value_headers():
    event = v1(request(headers=[("Host", "localhost"), ("X-Thing", "one"), ("X-Thing", "two"),
                                ("Cookie", "a=1; b=2")]))
    assert event["headers"]["X-Thing"] == "two"
    assert event["multiValueHeaders"]["X-Thing"] == ["one", "two"]
    assert event["headers"]["Cookie"] == "a=1; b=2"
    assert event["multiValueHeaders"]["Host"] == ["localhost"]


def test_v1_repeated_query_keys():
    event = v1(request(target="/api/v1/auth/search?tag=a&tag=b%20c&q=x%2By&empty="))
    assert event["queryStringParameters"] == {"tag": "b c", "q": "x+y", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b c"], "q": ["x+y"], "empty": [""]}


def test_v1_no_query_is_null():
    event = v1(request())
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["body"] is None and event["isBase64Encoded"] is False


def test_v1_text_body_is_text():
    body = json.dumps({"email": "zoë@example.com"}).encode()
    event = v1(request("POST", headers=[("Content-Type", "application/json")], body=body))
    assert event["body"] == body.decode() and event["isBase64Encoded"] is False


def test_v1_binary_body_is_base64():
    event = v1(request("POST", headers=[("Content-Type", "image/png")], body=PNG))
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == PNG


def test_v1_undecodable_text_body_falls_back_to_base64():
    event = v1(request("POST", headers=[("Content-Type", "text/plain")], body=b"\xff\xfe\xfd"))
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\xff\xfe\xfd"


@pytest.mark.parametrize("headers, expected", [
    ([("X-Real-IP", "203.0.113.7"), ("X-Forwarded-For", "198.51.100.1")], "203.0.113.7"),
    ([("X-Forwarded-For", "198.51.100.1, 10.0.0.1")], "198.51.100.1"),
    ([], "10.0.0.9"),
])
def test_v1_source_ip(headers, expected):
    assert v1(request(headers=headers))["requestContext"]["identity"]["sourceIp"] == expected


# ---------------------------------------------------------------------------- v2 requests
def test_v2_function_url_event():
    req = request("POST", "/webhooks/payments?a=1&a=2&b=x%20y",
                  headers=[("Host", "localhost"), ("Stripe-Signature", "t=1,v1=abc"), ("X-Multi", "1"),
                           ("X-Multi", "2"), ("Cookie", "session=abc; theme=dark"),
                           ("Content-Type", "application/json")],
                  body=b'{"id":"evt_1"}')
    event = events.function_url_event(req, "req-2", now=1_700_000_000.0)
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["rawPath"] == "/webhooks/payments"
    assert event["rawQueryString"] == "a=1&a=2&b=x%20y"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x y"}
    assert event["cookies"] == ["session=abc", "theme=dark"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["stripe-signature"] == "t=1,v1=abc"
    assert event["headers"]["x-multi"] == "1,2"
    http = event["requestContext"]["http"]
    assert http == {"method": "POST", "path": "/webhooks/payments", "protocol": "HTTP/1.1",
                    "sourceIp": "10.0.0.9", "userAgent": None}
    assert event["requestContext"]["requestId"] == "req-2"
    assert event["body"] == '{"id":"evt_1"}' and event["isBase64Encoded"] is False


def test_v2_without_query_cookies_or_body_omits_them():
    event = events.function_url_event(request(target="/webhooks/payments"), "r")
    assert "queryStringParameters" not in event and "cookies" not in event and "body" not in event
    assert event["rawQueryString"] == ""


def test_v2_binary_body():
    event = events.function_url_event(request("POST", headers=[("Content-Type", "application/octet-stream")],
                                              body=PNG), "r")
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == PNG


# ---------------------------------------------------------------------------- results → HTTP
def test_v1_result_with_multi_value_headers():
    response = events.http_response_from_v1({
        "statusCode": 201,
        "headers": {"Content-Type": "application/json", "Set-Cookie": "ignored=1"},
        "multiValueHeaders": {"Set-Cookie": ["a=1; Path=/", "b=2; HttpOnly"], "X-Multi": ["x", "y"]},
        "body": '{"ok":true}',
    })
    assert response.status == 201
    assert response.header_values("Set-Cookie") == ["a=1; Path=/", "b=2; HttpOnly"]
    assert response.header_values("X-Multi") == ["x", "y"]
    assert response.header("content-type") == "application/json"
    assert response.body == b'{"ok":true}'


def test_v1_base64_result_is_decoded():
    response = events.http_response_from_v1({"statusCode": 200, "isBase64Encoded": True,
                                             "headers": {"Content-Type": "image/png"},
                                             "body": base64.b64encode(PNG).decode()})
    assert response.body == PNG


@pytest.mark.parametrize("result", [
    {"body": "no status"}, "a string", {"statusCode": "abc"}, {"statusCode": 200, "body": 5},
    {"statusCode": 200, "multiValueHeaders": {"X": "not-a-list"}},
    {"statusCode": 200, "isBase64Encoded": True, "body": "***"},
])
def test_v1_malformed_results(result):
    with pytest.raises(events.MalformedResult):
        events.http_response_from_v1(result)


def test_v2_result_cookies_become_set_cookie_headers():
    response = events.http_response_from_v2({"statusCode": 302, "headers": {"Location": "/x"},
                                             "cookies": ["a=1", "b=2; Secure"]})
    assert response.status == 302
    assert response.header_values("Set-Cookie") == ["a=1", "b=2; Secure"]
    assert response.header("Location") == "/x"
    assert response.header("Content-Type") == "application/json"


@pytest.mark.parametrize("result, body", [({"received": True}, {"received": True}), ("ok", "ok"), (None, None),
                                          ([1, 2], [1, 2])])
def test_v2_plain_result_is_a_json_200(result, body):
    response = events.http_response_from_v2(result)
    assert response.status == 200
    assert response.header("Content-Type") == "application/json"
    assert json.loads(response.body) == body


def test_problem_response_shape():
    response = events.problem_response(504, "Gateway Timeout", "timeout", "too slow", "rid")
    assert response.header("Content-Type") == "application/problem+json"
    body = json.loads(response.body)
    assert body == {"type": "https://meridian.dev/problems/timeout", "title": "Gateway Timeout", "status": 504,
                    "detail": "too slow", "request_id": "rid"}



def test_without_a_harness_the_runtime_names_no_project():
    """Generic defaults: problem types under about:blank#, and no path matcher (API requests are refused)."""
    events.configure(problem_type_base="about:blank#")
    body = json.loads(events.problem_response(502, "Bad Gateway", "bad-gateway", "x", "rid").body)
    assert body["type"] == "about:blank#bad-gateway"
    events._settings["path_matcher"], events._routing = "", None   # as unconfigured (the fixture restores it)
    with pytest.raises(events.NoPathMatcher):
        events.match_resource([events.ApiResource("/a")], "/a", "GET")


def test_workers_get_the_runtime_settings_through_their_context_file(tmp_path):
    from infra.localaws.runtime.spec import read_worker_setup, write_context_file
    from infra.localaws.template import LocalContext, Template

    template = Template({"Resources": {"F": {"Type": "AWS::Serverless::Function", "Properties": {
        "CodeUri": str(tmp_path), "Handler": "h.f", "Runtime": "python3.11"}}}}, LocalContext(stack_name="c"))
    write_context_file(tmp_path / "ctx.json", template, {}, {"path_matcher": "/x/routing.py",
                                                             "problem_type_base": "https://example.com/p/"})
    spec, settings = read_worker_setup(tmp_path / "ctx.json", "F")
    assert spec.logical_id == "F"
    assert settings == {"path_matcher": "/x/routing.py", "problem_type_base": "https://example.com/p/"}


# ---------------------------------------------------------------------------- HTTP/1.1 framing
def test_parse_request_waits_for_whole_body_then_consumes_exactly_it():
    raw = b"POST /a?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhel"
    assert http11.parse_request(raw) is None
    parsed = http11.parse_request(raw + b"loGET / HTTP/1.1\r\n\r\n")
    req, keep_alive, consumed = parsed
    assert req.method == "POST" and req.target == "/a?x=1" and req.body == b"hello" and keep_alive
    assert (raw + b"lo")[consumed:] == b""


def test_parse_chunked_body_and_connection_close():
    raw = (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
           b"4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n")
    req, keep_alive, consumed = http11.parse_request(raw)
    assert req.body == b"Wikipedia" and keep_alive is False and consumed == len(raw)


def test_parse_rejects_oversized_body_and_bad_lines():
    with pytest.raises(http11.BadRequest) as too_big:
        http11.parse_request(b"POST / HTTP/1.1\r\nContent-Length: 7000000\r\n\r\n")
    assert too_big.value.status == 413
    with pytest.raises(http11.BadRequest):
        http11.parse_request(b"NONSENSE\r\n\r\n")


def test_render_response_repeats_headers_and_drops_hop_by_hop():
    response = events.HttpResponse(200, [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("Connection", "upgrade"),
                                         ("X-Evil", "x\r\nInjected: 1")], b"hi")
    raw = http11.render_response(response, keep_alive=True)
    head, body = raw.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    assert lines.count("Set-Cookie: a=1") == 1 and lines.count("Set-Cookie: b=2") == 1
    assert "Connection: keep-alive" in lines and "Connection: upgrade" not in lines
    assert "Content-Length: 2" in lines and not any(line.startswith("Injected") for line in lines)
    assert body == b"hi"
    assert http11.render_response(response, keep_alive=False, head_only=True).endswith(b"\r\n\r\n")
