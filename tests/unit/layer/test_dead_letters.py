"""A message's last failed attempt reaches its DLQ with the reason (meridian.dead_letters via meridian.batch)."""
from __future__ import annotations

import json

import boto3
import pytest
from meridian import batch, dead_letters

from tests.lambda_testing import LambdaContext


def record(message_id: str, body: dict, receives: int, group: str | None = None) -> dict:
    attributes = {"ApproximateReceiveCount": str(receives), **({"MessageGroupId": group} if group else {})}
    return {"messageId": message_id, "receiptHandle": f"r-{message_id}", "body": json.dumps(body),
            "attributes": attributes, "eventSource": "aws:sqs", "awsRegion": "us-east-1",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
            "messageAttributes": {"trace": {"stringValue": "t-1", "dataType": "String"}}}


def handle(record):
    body = json.loads(record.body)
    if body.get("bad"):
        raise ValueError(f"cannot use {body} (token=pi_9_secret_zz)")


@pytest.fixture
def dlq(aws, monkeypatch):
    def use(logical_id: str) -> str:
        url = aws.queue_url(logical_id)
        monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", url)
        monkeypatch.setenv("MAX_RECEIVE_COUNT", "3")
        return url
    return use


def dead_lettered(url: str) -> list[dict]:
    return boto3.client("sqs", region_name="us-east-1").receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])


def test_the_last_attempt_is_handed_over_with_its_error_and_counts_as_done(dlq):
    url = dlq("UsersEventsDLQ")
    event = {"Records": [record("early", {"bad": 1}, receives=2), record("last", {"bad": 2}, receives=3),
                         record("fine", {"ok": True}, receives=3)]}
    result = batch.process_sqs_batch(event, LambdaContext(), handle)
    assert result["batchItemFailures"] == [{"itemIdentifier": "early"}]     # SQS tries that one again
    [message] = dead_lettered(url)
    assert json.loads(message["Body"]) == {"bad": 2}
    said = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert said[dead_letters.LAST_ERROR] == "ValueError: cannot use {'bad': 2} (token=[redacted])"
    assert said[dead_letters.RECEIVE_COUNT] == "3" and said[dead_letters.FAILED_AT].startswith("20")
    assert said["trace"] == "t-1"                                           # its own attributes travel with it


def test_a_handover_that_fails_leaves_the_record_to_sqs(dlq, monkeypatch):
    dlq("UsersEventsDLQ")
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/missing")
    result = batch.process_sqs_batch({"Records": [record("last", {"bad": 1}, receives=3)]}, LambdaContext(), handle)
    assert result["batchItemFailures"] == [{"itemIdentifier": "last"}]     # SQS's own redrive still moves it


def test_without_a_dead_letter_queue_nothing_is_handed_over(aws, monkeypatch):
    monkeypatch.delenv("DEAD_LETTER_QUEUE_URL", raising=False)
    result = batch.process_sqs_batch({"Records": [record("last", {"bad": 1}, receives=9)]}, LambdaContext(), handle)
    assert result["batchItemFailures"] == [{"itemIdentifier": "last"}]


def test_fifo_the_failed_one_goes_its_group_waits_and_skipped_records_stay(dlq):
    url = dlq("PaymentWebhooksDLQ")
    event = {"Records": [record("a1", {"bad": 1}, receives=3, group="A"),
                         record("a2", {"ok": 1}, receives=3, group="A"),
                         record("b1", {"ok": 1}, receives=1, group="B")]}
    result = batch.process_sqs_batch(event, LambdaContext(), handle, fifo=True)
    # a1 is handed over (done here); a2 ran after it as SQS would once a1 left the group
    assert result["batchItemFailures"] == []
    [message] = dead_lettered(url)
    assert message["Attributes"]["MessageGroupId"] == "A" and json.loads(message["Body"]) == {"bad": 1}
    event = {"Records": [record("c1", {"bad": 1}, receives=1, group="C"),
                         record("c2", {"ok": 1}, receives=3, group="C")]}
    result = batch.process_sqs_batch(event, LambdaContext(), handle, fifo=True)
    assert result["batchItemFailures"] == [{"itemIdentifier": "c1"}, {"itemIdentifier": "c2"}]
    assert dead_lettered(url) == []     # c2 was skipped for c1's sake, not a failure of its own
