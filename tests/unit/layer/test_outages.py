"""An AWS dependency that cannot answer is 503 + Retry-After, decided in one place (meridian.aws.outage,
meridian.api), whether botocore raises it as is or pynamodb wraps it; a failed condition stays a failed
condition."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from meridian import aws
from meridian.api import ServiceApp
from meridian.errors import NotFound, ServiceUnavailable
from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import GetError, PutError, QueryError, TransactWriteError, UpdateError
from pynamodb.models import Model

from infra.localaws.processes import free_ports
from tests.lambda_testing import ApiClient

URL = "http://127.0.0.1:1"


def client_error(code: str, status: int, operation: str = "PutItem") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       operation)


UNREACHABLE = [
    EndpointConnectionError(endpoint_url=URL),
    ConnectTimeoutError(endpoint_url=URL),
    ReadTimeoutError(endpoint_url=URL),
    ConnectionClosedError(endpoint_url=URL),
    client_error("ServiceUnavailable", 503),
    client_error("InternalServerError", 500),
    client_error("502", 502),                        # a plain-text 5xx (a proxy in front)
]
THROTTLED = [client_error("ThrottlingException", 400), client_error("ProvisionedThroughputExceededException", 400)]
NOT_AN_OUTAGE = [
    client_error("ConditionalCheckFailedException", 400),
    client_error("TransactionCanceledException", 400, "TransactWriteItems"),
    client_error("ValidationException", 400),
    client_error("AccessDeniedException", 400),
    ValueError("a bug"),
]


@pytest.mark.parametrize("error", UNREACHABLE, ids=lambda e: type(e).__name__)
def test_unreachable_or_failing_is_503_with_retry_after(error):
    found = aws.outage(error)
    assert isinstance(found, ServiceUnavailable)
    assert found.status == 503
    assert found.headers["Retry-After"] == str(aws.OUTAGE_RETRY_AFTER)


@pytest.mark.parametrize("error", THROTTLED, ids=lambda e: e.response["Error"]["Code"])
def test_throttled_after_the_sdk_retries_is_503_with_a_shorter_retry_after(error):
    assert aws.outage(error).headers["Retry-After"] == str(aws.THROTTLED_RETRY_AFTER)


@pytest.mark.parametrize("error", NOT_AN_OUTAGE, ids=lambda e: getattr(e, "response", {}).get("Error", {}).get(
    "Code", type(e).__name__))
def test_a_callers_own_error_is_no_outage(error):
    assert aws.outage(error) is None


@pytest.mark.parametrize("wrapper", [GetError, PutError, QueryError, UpdateError, TransactWriteError])
def test_pynamodbs_wrappers_are_read_through_their_cause(wrapper):
    assert aws.outage(wrapper("Failed", EndpointConnectionError(endpoint_url=URL))).status == 503
    assert aws.outage(wrapper("Failed", client_error("ConditionalCheckFailedException", 400))) is None


def test_raise_from_chains_are_followed_and_a_service_unavailable_is_itself():
    try:
        try:
            raise ConnectionClosedError(endpoint_url=URL)
        except ConnectionClosedError as inner:
            raise RuntimeError("while saving") from inner
    except RuntimeError as outer:
        assert aws.outage(outer).status == 503
    own = ServiceUnavailable("sibling down", retry_after=15)
    assert aws.outage(own) is own


# ---------------------------------------------------------------------- through a service's routes
def outage_app(error: BaseException):
    app = ServiceApp("demo")

    @app.route("/things", methods=["GET"])
    def things():
        """Raises what the database raised."""
        raise error

    @app.route("/bug", methods=["GET"])
    def bug():
        """A bug is still a 500."""
        raise KeyError("x")

    return ApiClient(app)


@pytest.mark.parametrize("error", [EndpointConnectionError(endpoint_url=URL),
                                   QueryError("Failed to query", ReadTimeoutError(endpoint_url=URL)),
                                   client_error("ProvisionedThroughputExceededException", 400, "Query")],
                         ids=["connection", "pynamodb-timeout", "throttled"])
def test_a_route_answers_503_problem_json_with_retry_after(error):
    response = outage_app(error).get("/api/v1/demo/things")
    assert response.status == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1
    assert response.json["type"] == "https://meridian.dev/problems/unavailable"
    assert response.json["status"] == 503 and response.json["request_id"]
    assert "127.0.0.1" not in response.json["detail"]        # no endpoint in what the caller sees


def test_a_bug_is_still_a_500():
    response = outage_app(EndpointConnectionError(endpoint_url=URL)).get("/api/v1/demo/bug")
    assert response.status == 500
    assert response.json["type"] == "https://meridian.dev/problems/internal"


# ---------------------------------------------------------------------- pynamodb against a database that is down
class FakeDynamoDB(ThreadingHTTPServer):
    """Answers every DynamoDB call with one canned (status, __type)."""

    daemon_threads = True

    def __init__(self, port: int, status: int, error_type: str):
        self.status, self.error_type, self.calls = status, error_type, 0

        class Handler(BaseHTTPRequestHandler):
            def do_POST(handler):  # noqa: N805 - the server is `self` here
                handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
                self.calls += 1
                body = json.dumps({"__type": self.error_type, "message": "canned"}).encode()
                handler.send_response(self.status)
                handler.send_header("Content-Type", "application/x-amz-json-1.0")
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body)

            def log_message(handler, *args):  # noqa: N805
                pass

        super().__init__(("127.0.0.1", port), Handler)


@pytest.fixture
def credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    aws.guard_dynamodb_outages()        # as ServiceApp() does at a cold start


def model_at(host: str, retries: int = 2):
    class Meta:
        table_name = "outage-test"
        region = "us-east-1"
        connect_timeout_seconds = 2
        read_timeout_seconds = 5
        max_retry_attempts = retries

    Meta.host = host
    return type("Thing", (Model,), {"Meta": Meta, "pk": UnicodeAttribute(hash_key=True)})


def serve(status: int, error_type: str):
    (port,) = free_ports(1)
    server = FakeDynamoDB(port, status, error_type)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, f"http://127.0.0.1:{port}"


def test_a_database_that_refuses_connections_is_service_unavailable_fast_not_a_pynamodb_error(credentials):
    (port,) = free_ports(1)                           # nothing listens there
    thing = model_at(f"http://127.0.0.1:{port}")
    began = time.monotonic()
    with pytest.raises(ServiceUnavailable) as raised:
        try:
            thing("a").save(condition=thing.pk.does_not_exist())
        except PutError:                              # what domain code reads as "the condition failed"
            pytest.fail("an outage passed for a failed condition")
    assert time.monotonic() - began < 10                     # generous: it fails in milliseconds, a hang lasts minutes
    assert isinstance(raised.value.__cause__, EndpointConnectionError)


def test_a_database_answering_503_is_service_unavailable_after_the_sdks_retries(credentials):
    server, url = serve(503, "ServiceUnavailable")
    try:
        with pytest.raises(ServiceUnavailable):
            try:
                model_at(url).get("a")
            except GetError:
                pytest.fail("an outage passed for a pynamodb error")
        assert server.calls == 3                      # 1 + max_retry_attempts, then it gave up
    finally:
        server.shutdown()
        server.server_close()


def test_a_failed_condition_stays_a_pynamodb_error(credentials):
    server, url = serve(400, "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException")
    try:
        with pytest.raises(PutError) as raised:
            model_at(url)("a").save()
        assert raised.value.cause_response_code == "ConditionalCheckFailedException"
        assert server.calls == 1
    finally:
        server.shutdown()
        server.server_close()


def test_domain_code_reading_update_error_as_not_found_answers_503_when_the_database_is_down(credentials):
    (port,) = free_ports(1)
    thing = model_at(f"http://127.0.0.1:{port}")
    app = ServiceApp("demo")

    @app.route("/things/{thing_id}", methods=["PATCH"])
    def patch(thing_id):
        """Update if it exists."""
        try:
            thing(thing_id).update(actions=[thing.pk.set(thing_id)], condition=thing.pk.exists())
        except UpdateError:
            raise NotFound("No such thing.") from None
        return {"id": thing_id}

    response = ApiClient(app).patch("/api/v1/demo/things/a", json={})
    assert response.status == 503, response.json
    assert response.headers["retry-after"] == str(aws.OUTAGE_RETRY_AFTER)
