"""DynamoDB Local stopped mid-run: every service answers 503 problem+json with Retry-After within
seconds, nothing is half-written, SQS records are reported failed (they come back), and the same
requests succeed once it is back, without restarting a worker.

The suite shares one stack: DynamoDB Local is started again whatever happens here (finally).
"""
from __future__ import annotations

import json
import time
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.integration.accounts import bearer
from tests.integration.checkout_helpers import available, checkout, new_product

PASSWORD = "outage passphrase 2024"
FAST = 8.0  # seconds: below the HTTP functions' Timeout (10 s); typically under 1 s, but 2 shared cores…
RECOVERY = 45.0  # seconds a client keeps retrying after the restart (a cold JVM, cold paths, 2 shared cores)


def _url(stack, path: str) -> str:
    return f"{stack.base_url}/api/v1{path}"


def _timed(call):
    began = time.monotonic()
    response = call()
    return response, time.monotonic() - began


def assert_unavailable(response, elapsed: float) -> None:
    """The function's own 503 (not nginx's, not a 500, not a 504 after the Timeout)."""
    assert response.status_code == 503, f"{response.status_code}: {response.text}"
    assert elapsed < FAST, f"answered after {elapsed:.1f}s"
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert int(response.headers["Retry-After"]) >= 1
    problem = response.json()
    assert problem["type"] == "https://meridian.dev/problems/unavailable" and problem["status"] == 503
    assert problem["request_id"] and "retry" in problem["detail"].lower()


def as_a_client_retries(request):
    """`request()` again while it answers 503 (waiting its Retry-After, at most 1 s here), as a client
    is told to; its first answer that is not a 503."""
    deadline = time.monotonic() + RECOVERY
    while True:
        response = request()
        if response.status_code != 503 or time.monotonic() > deadline:
            return response
        assert response.headers["Content-Type"].startswith("application/problem+json"), response.text
        time.sleep(min(1.0, int(response.headers["Retry-After"])))


def audit_event(event_id: str, target: str) -> dict:
    body = {"detail-type": "product.changed", "source": "meridian.products",
            "detail": {"event_id": event_id, "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                       "actor": "outage-test", "action": "product.updated", "target": target}}
    return {"Records": [{"messageId": event_id, "receiptHandle": "r", "body": json.dumps(body), "attributes": {},
                         "messageAttributes": {}, "eventSource": "aws:sqs", "awsRegion": "us-east-1",
                         "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:audit"}]}


def claims_of(stack, email: str) -> list[dict]:
    """Every auth item naming `email` (its claim or its account), read by the operator."""
    ddb = stack.client("dynamodb")
    found, start = [], {}
    while True:
        page = ddb.scan(TableName=stack.template.physical_name("AuthTable"),
                        FilterExpression="contains(pk, :e) OR email = :e",
                        ExpressionAttributeValues={":e": {"S": email}}, **start)
        found += page["Items"]
        if "LastEvaluatedKey" not in page:
            return found
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def dynamodb_through_the_proxy(stack, function: str):
    keys = stack.function_credentials[function]
    return boto3.session.Session().client(
        "dynamodb", endpoint_url=stack.iam_endpoint, region_name=stack.settings.region,
        aws_access_key_id=keys["AWS_ACCESS_KEY_ID"], aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=keys["AWS_SESSION_TOKEN"],
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5))


def orders_of(stack, headers: dict, product: str) -> list[str]:
    """The caller's orders of `product` (a product of this test's own)."""
    listed = stack.session().get(_url(stack, "/orders?limit=50"), headers=headers, timeout=20)
    assert listed.status_code == 200, listed.text
    return [o["id"] for o in listed.json()["items"] if any(i["product_id"] == product for i in o["items"])]


def test_dynamodb_stopped_mid_run_is_503_nothing_half_written_and_recovers(stack):
    session = stack.session()
    customer = "customer@example.com"
    admin, shopper = bearer(stack, "admin@example.com"), bearer(stack, customer)
    product = new_product(stack, admin, stock=5)
    catalog = _url(stack, "/products?locale=en&currency=USD")
    assert session.get(catalog, timeout=20).status_code == 200

    email = f"outage-{uuid.uuid4().hex[:10]}@example.com"
    key = str(uuid.uuid4())
    event_id, target = str(uuid.uuid4()), f"outage-{uuid.uuid4().hex[:8]}"
    record = audit_event(event_id, target)                             # one bus event, delivered again

    def register():
        return session.post(_url(stack, "/auth/register"), json={"email": email, "password": PASSWORD}, timeout=20)

    def login(who: str, password: str):
        return session.post(_url(stack, "/auth/login"), json={"email": who, "password": password}, timeout=20)

    stack.stop_dynamodb()
    try:
        assert not stack.processes["dynamodb"].alive()

        # the proxy answers as an AWS endpoint whose backend is down: 503 ServiceUnavailable, at once
        # (a ClientError; or, when an earlier test of this process imported the layer, meridian's outage
        # guard, registered for every new botocore session, turns the 503 answer into ServiceUnavailable)
        with pytest.raises(Exception) as raised:   # noqa: B017
            dynamodb_through_the_proxy(stack, "AuthFunction").get_item(
                TableName=stack.template.physical_name("AuthTable"), Key={"pk": {"S": "x"}, "sk": {"S": "y"}})
        error = raised.value if isinstance(raised.value, ClientError) else raised.value.__cause__
        if isinstance(error, ClientError):
            assert error.response["Error"]["Code"] == "ServiceUnavailable"
            assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 503
        else:
            from meridian.errors import ServiceUnavailable

            assert isinstance(raised.value, ServiceUnavailable), repr(raised.value)

        # a catalog read, a login, a register and a checkout: the function's own 503, fast
        assert_unavailable(*_timed(lambda: session.get(catalog, timeout=20)))
        assert_unavailable(*_timed(lambda: login(customer, stack.credentials[customer])))
        assert_unavailable(*_timed(register))
        assert_unavailable(*_timed(lambda: checkout(stack, shopper, product, 2, currency="USD", key=key,
                                                    session=session)))

        # an SQS consumer reports the record failed (it comes back after the visibility timeout)
        failed = stack.invoke("AdminAuditFunction", record)
        assert failed == {"batchItemFailures": [{"itemIdentifier": event_id}]}
    finally:
        stack.start_dynamodb()
    assert stack.processes["dynamodb"].alive()

    # nothing of the failed writes persisted
    assert claims_of(stack, email) == []
    assert orders_of(stack, shopper, product) == []
    assert available(stack, admin, product) == 5

    # the same requests succeed again (same workers, no restart), each once
    assert as_a_client_retries(lambda: session.get(catalog, timeout=20)).status_code == 200
    assert as_a_client_retries(lambda: login(customer, stack.credentials[customer])).status_code == 200
    registered = as_a_client_retries(register)
    assert registered.status_code == 201, registered.text
    assert register().status_code == 409                              # once

    placed = as_a_client_retries(lambda: checkout(stack, shopper, product, 2, currency="USD", key=key,
                                                  session=session))
    assert placed.status_code == 201, placed.text
    again = checkout(stack, shopper, product, 2, currency="USD", key=key, session=session)
    assert again.status_code in (200, 201) and again.json()["id"] == placed.json()["id"]
    assert orders_of(stack, shopper, product) == [placed.json()["id"]]

    # the redelivered record is recorded, once
    assert stack.invoke("AdminAuditFunction", record) == {"batchItemFailures": []}
    assert stack.invoke("AdminAuditFunction", record) == {"batchItemFailures": []}
    log = session.get(_url(stack, "/admin/audit-log?limit=100"), headers=admin, timeout=20).json()["items"]
    assert [e["event_id"] for e in log if e["target"] == target] == [event_id]
