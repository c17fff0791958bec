"""meridian.service_auth: signatures over method, path below the stage, query and body, once per nonce."""
from __future__ import annotations

import re
import time

import boto3
import pytest
import responses
from meridian import service_auth
from meridian.api import ServiceApp
from meridian.clients import ServiceClient

from tests.lambda_testing import ApiClient, point_api_base_url, serve_in_process

PATH = "/api/v1/probe/internal/echo"


@pytest.fixture
def receiver(aws, monkeypatch):
    """A service `probe` whose internal API only `orders` may call; nonces go to the products table."""
    monkeypatch.setenv("SERVICE_SECRET_ARN", aws.ref("ServiceAuthSecret"))
    monkeypatch.setenv("TABLE_NAME", aws.physical_name("ProductsTable"))
    app = ServiceApp("probe")

    @app.route("/internal/echo", methods=["GET", "POST", "PUT"])
    @service_auth.require_service("orders")
    def echo():
        request = app.current_request
        return {"method": request.method, "query": dict(request.query_params or {}), "body": app.json_body()}

    return app


def signed(method="POST", path=PATH, query=None, body=b'{"n":1}', caller="orders", **kw) -> dict:
    return {service_auth.HEADER: service_auth.sign(caller, method, path, query=query, body=body, **kw)}


def call(receiver, headers, method="POST", path=PATH, query=None, body='{"n":1}'):
    return ApiClient(receiver).request(method, path, headers=headers, query=query, body=body)


def test_a_valid_call_is_accepted_once_and_its_nonce_recorded(receiver, aws):
    headers = signed(query={"b": "2", "a": ["x y", "1"]})
    ok = call(receiver, headers, query={"a": ["x y", "1"], "b": "2"})
    assert ok.status == 200, ok.json
    assert ok.json["body"] == {"n": 1}
    nonce = re.search(r"n=([^,]+)", headers[service_auth.HEADER]).group(1)
    item = boto3.client("dynamodb", region_name="us-east-1").get_item(
        TableName=aws.physical_name("ProductsTable"),
        Key={"pk": {"S": f"service-nonce#{nonce}"}, "sk": {"S": "service-nonce"}})["Item"]
    assert item["service"] == {"S": "orders"}
    expires = int(item["expires_at"]["N"])
    assert item["ttl"] == item["expires_at"] and time.time() + 60 < expires < time.time() + 3600


def test_the_same_header_again_is_a_replay(receiver):
    headers = signed()
    assert call(receiver, headers).status == 200
    replayed = call(receiver, headers)
    assert replayed.status == 401 and "Replayed" in replayed.json["detail"]
    assert replayed.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("change", [
    {"body": '{"n":2}'},                                      # another body
    {"body": ""},                                             # the body dropped
    {"query": {"extra": "1"}},                                # a query added
    {"path": "/api/v1/probe/internal/echo/"},                 # another path (same route)
    {"method": "PUT"},                                        # another method
])
def test_an_altered_request_is_refused(receiver, change):
    request = {"method": "POST", "path": PATH, "query": None, "body": '{"n":1}'}
    headers = signed()
    assert call(receiver, headers, **{**request, **change}).status == 401


def test_an_altered_query_value_is_refused(receiver):
    headers = signed(method="GET", query={"limit": "10"}, body=b"")
    assert call(receiver, headers, method="GET", query={"limit": "11"}, body=None).status == 401
    assert call(receiver, headers, method="GET", query={"limit": "10"}, body=None).status == 200


def test_missing_malformed_old_or_foreign_signatures_are_refused(receiver):
    assert call(receiver, {}).status == 401
    assert call(receiver, {service_auth.HEADER: "svc=orders,t=1,v1=abc"}).status == 401          # no nonce
    assert call(receiver, {service_auth.HEADER: "nonsense"}).status == 401
    assert call(receiver, signed(now=int(time.time()) - 61)).status == 401                        # too old
    assert call(receiver, signed(now=int(time.time()) + 61)).status == 401                        # from the future
    other = signed(caller="payments")
    forbidden = call(receiver, other)
    assert forbidden.status == 403
    forged = signed()
    forged[service_auth.HEADER] = forged[service_auth.HEADER].replace("svc=orders", "svc=admin")
    assert call(receiver, forged).status == 401


def test_a_token_of_a_user_never_opens_it(receiver):
    assert call(receiver, {"Authorization": "Bearer x"}).status == 401


def test_a_client_under_a_stage_signs_what_the_receiver_without_a_stage_verifies(receiver):
    point_api_base_url("http://host/Prod")
    client = ServiceClient("probe", caller="orders", attempts=1)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        serve_in_process(mock, "http://host/Prod", receiver)
        answer = client.post("/internal/echo?z=last", params={"a": "1 2", "b": ["x", "y"]}, json={"n": 1},
                             internal=True)
        sent = mock.calls[0].request
    assert answer.status == 200, answer.body
    assert answer.body == {"method": "POST", "query": {"z": "last", "a": "1 2", "b": "y"}, "body": {"n": 1}}
    assert sent.url.startswith("http://host/Prod/api/v1/probe/internal/echo?")


def test_a_signature_over_the_full_url_path_is_refused(receiver):
    """What clients signed before: the URL's path with the stage, which the receiver never sees."""
    headers = signed(path="/Prod" + PATH)
    assert call(receiver, headers).status == 401


def test_every_attempt_is_signed_afresh(receiver):
    """An idempotent call retried after a 5xx carries a new nonce: the retry is no replay."""
    point_api_base_url("http://host/Prod")
    seen, answers = [], iter([(503, {}, "")])

    def flaky(request):
        seen.append(request.headers[service_auth.HEADER])
        status = next(answers, None)
        if status:
            return status
        result = call(receiver, {service_auth.HEADER: request.headers[service_auth.HEADER]}, method="GET",
                      body=None)
        return result.status, {"Content-Type": "application/json"}, result.text

    with responses.RequestsMock() as mock:
        mock.add_callback(responses.GET, f"http://host/Prod{PATH}", callback=flaky)
        answer = ServiceClient("probe", caller="orders", attempts=2).get("/internal/echo", internal=True)
    assert answer.status == 200 and len(seen) == 2 and seen[0] != seen[1]


def test_paths_and_queries_compare_decoded():
    assert service_auth.canonical_path("/api/v1/x/a%20b") == service_auth.canonical_path("/api/v1/x/a b")
    assert service_auth.canonical_query("b=2&a=1&a=0") == service_auth.canonical_query({"a": ["0", "1"], "b": 2})
    assert service_auth.canonical_query({"q": "a b&c"}) == "q=a%20b%26c"
    assert service_auth.canonical_query(None) == ""
    assert service_auth.relative_path("https://h/Prod/api/v1/x?q=1", "https://h/Prod") == "/api/v1/x"
    assert service_auth.relative_path("http://h/api/v1/x", "http://h") == "/api/v1/x"
    assert service_auth.relative_path("http://h/Production/api", "http://h/Prod") == "/Production/api"


def test_the_body_hash_covers_an_empty_body(aws, monkeypatch):
    monkeypatch.setenv("SERVICE_SECRET_ARN", aws.ref("ServiceAuthSecret"))
    empty = service_auth.canonical_request("orders", 1, "n", "GET", PATH, None, None).splitlines()[-1]
    assert empty == service_auth.body_digest(b"") == service_auth.body_digest("")
    assert len(empty) == 64
    one = service_auth.sign("orders", "GET", PATH, now=1, nonce="n", body=b"")
    assert one == service_auth.sign("orders", "GET", PATH, now=1, nonce="n", body=None)
    assert one != service_auth.sign("orders", "GET", PATH, now=1, nonce="n", body=b"{}")
