"""FxRefreshFunction as CloudFormation's InitialExchangeRates custom resource: refresh, always answer.

The answer is PUT to a local HTTP server standing in for the pre-signed S3 ResponseURL.
"""
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from meridian import resilience

from tests.lambda_testing import LambdaContext


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    monkeypatch.setattr(resilience, "backoff_delays", lambda attempts, base=0.1, cap=2.0: [0.0] * (attempts - 1))


class ResponseBucket:
    """Records PUTs like the pre-signed S3 URL CloudFormation hands out; `statuses` are answered in turn."""

    def __init__(self):
        self.received: list[dict] = []
        self.statuses: list[int] = []
        bucket = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_PUT(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                bucket.received.append({"path": self.path, "headers": dict(self.headers.items()),
                                        "body": json.loads(body)})
                self.send_response(bucket.statuses.pop(0) if bucket.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address
        return f"http://{host}:{port}/cfn-responses/stack%7Cres/{uuid.uuid4()}?X-Amz-Signature=abc&X-Amz-Expires=7200"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def bucket():
    server = ResponseBucket()
    yield server
    server.stop()


@pytest.fixture
def fx(load_function, fx_stub, monkeypatch):
    """FxRefreshFunction's handler with its feed at the stub; `fx.call(event)`, `fx.repository`, `fx.stub`."""
    handler = load_function("FxRefreshFunction")
    monkeypatch.setenv("FX_PROVIDER_URL", fx_stub.feed_url)
    monkeypatch.setenv("FX_FETCH_TIMEOUT_SECONDS", "0.5")
    from localization import custom_resource, refresh, repository

    class Fx:
        pass

    fx = Fx()
    fx.handler, fx.repository, fx.stub = handler, repository, fx_stub
    fx.refresh, fx.custom_resource = refresh, custom_resource
    fx.call = lambda event, timeout_ms=30_000: handler(event, LambdaContext("FxRefreshFunction", timeout_ms))
    return fx


def cfn_event(bucket, request_type: str, **extra) -> dict:
    event = {"RequestType": request_type, "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:fx",
             "ResponseURL": bucket.url,
             "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/meridian/1234",
             "RequestId": str(uuid.uuid4()), "LogicalResourceId": "InitialExchangeRates",
             "ResourceType": "Custom::ExchangeRates",
             "ResourceProperties": {"ServiceToken": "arn:…", "Provider": "ecb", "ProviderUrl": "https://feed"}}
    event.update(extra)
    return event


def only_answer(bucket, event) -> dict:
    assert len(bucket.received) == 1, bucket.received
    put = bucket.received[0]
    url = urlsplit(event["ResponseURL"])
    assert put["path"] == f"{url.path}?{url.query}"                  # the pre-signed URL, untouched
    assert put["headers"].get("Content-Type") == ""                 # signed with none: sent empty
    answer = put["body"]
    for key in ("StackId", "RequestId", "LogicalResourceId"):
        assert answer[key] == event[key]
    return answer


def test_create_stores_rates_and_answers_success(fx, bucket):
    event = cfn_event(bucket, "Create")
    returned = fx.call(event)
    latest = fx.repository.latest()
    assert latest is not None and latest.source == "ecb"
    answer = only_answer(bucket, event)
    assert answer == returned
    assert answer["Status"] == "SUCCESS" and answer["PhysicalResourceId"] == "exchange-rates"
    assert answer["Data"]["currencies"] == len(latest.rates) > 10
    assert answer["Data"]["outcome"] == "refreshed" and answer["Data"]["snapshot_id"] == latest.snapshot_id
    assert "note" not in answer["Data"]


def test_update_keeps_the_physical_id_and_refreshes_again(fx, bucket):
    fx.call(cfn_event(bucket, "Create"))
    bucket.received.clear()
    served = fx.stub.state.served
    event = cfn_event(bucket, "Update", PhysicalResourceId="exchange-rates",
                      OldResourceProperties={"Provider": "ecb", "ProviderUrl": "https://old"})
    fx.call(event)
    answer = only_answer(bucket, event)
    assert answer["Status"] == "SUCCESS" and answer["PhysicalResourceId"] == "exchange-rates"
    assert answer["Data"]["outcome"] == "unchanged" and fx.stub.state.served == served + 1


def test_delete_answers_success_without_fetching(fx, bucket):
    event = cfn_event(bucket, "Delete", PhysicalResourceId="exchange-rates")
    fx.call(event)
    answer = only_answer(bucket, event)
    assert answer["Status"] == "SUCCESS" and answer["PhysicalResourceId"] == "exchange-rates"
    assert fx.stub.state.served == 0 and fx.repository.latest() is None


def test_a_failed_feed_does_not_fail_the_deploy(fx, bucket, caplog):
    fx.stub.control(mode="fail")
    event = cfn_event(bucket, "Create")
    fx.call(event)
    answer = only_answer(bucket, event)
    assert answer["Status"] == "SUCCESS"
    assert answer["Data"]["outcome"] == "failed" and answer["Data"]["currencies"] == 0
    assert "hourly refresh retries" in answer["Data"]["note"] and "503" in answer["Data"]["note"]
    assert any(r.getMessage() == "deploy-time FX refresh fell back" for r in caplog.records)
    assert fx.repository.latest() is None


def test_a_refused_feed_on_update_keeps_serving_the_last_snapshot(fx, bucket):
    fx.call(cfn_event(bucket, "Create"))
    bucket.received.clear()
    fx.stub.control(mode="garbage")
    event = cfn_event(bucket, "Update", PhysicalResourceId="exchange-rates")
    fx.call(event)
    answer = only_answer(bucket, event)
    assert answer["Status"] == "SUCCESS" and answer["Data"]["outcome"] == "refused"
    assert answer["Data"]["currencies"] == len(fx.repository.latest().rates)
    assert "last snapshot" in answer["Data"]["note"]


def test_a_slow_feed_is_answered_before_the_function_times_out(fx, bucket, monkeypatch):
    release, finished = threading.Event(), threading.Event()

    def slow_feed(**kw):
        release.wait(30)
        finished.set()

    monkeypatch.setattr(fx.refresh, "refresh", slow_feed)
    event = cfn_event(bucket, "Create")
    fx.call(event, timeout_ms=6_500)                          # 1.5 s for the refresh, 5 s kept for the answer
    assert not finished.is_set()                              # answered while the feed was still slow
    release.set()
    answer = only_answer(bucket, event)
    assert answer["Status"] == "SUCCESS" and answer["Data"]["outcome"] == "timed_out"


def test_a_fault_of_the_stack_fails_with_the_reason_and_is_still_answered(fx, bucket, monkeypatch):
    def denied(**kw):
        raise PermissionError("AccessDeniedException: not authorized to perform dynamodb:PutItem")

    monkeypatch.setattr(fx.refresh, "refresh", denied)
    event = cfn_event(bucket, "Create")
    fx.call(event)
    answer = only_answer(bucket, event)
    assert answer["Status"] == "FAILED" and "dynamodb:PutItem" in answer["Reason"]
    assert answer["PhysicalResourceId"] == "exchange-rates"


def test_an_unknown_request_type_fails_and_is_answered(fx, bucket):
    event = cfn_event(bucket, "Rename")
    fx.call(event)
    assert only_answer(bucket, event)["Status"] == "FAILED"


def test_the_answer_is_retried_when_the_bucket_errs(fx, bucket):
    bucket.statuses = [503]
    event = cfn_event(bucket, "Delete", PhysicalResourceId="exchange-rates")
    fx.call(event)
    assert [put["body"]["Status"] for put in bucket.received] == ["SUCCESS", "SUCCESS"]


def test_the_scheduled_path_is_unchanged(fx, bucket):
    result = fx.call({"version": "0", "id": "x", "detail-type": "Scheduled Event", "source": "aws.events",
                      "time": "2025-01-01T00:00:00Z", "resources": [], "detail": {}})
    assert result["status"] == "refreshed" and bucket.received == []
