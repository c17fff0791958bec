"""infra/localaws/moto_server.py: moto_server with its SQS/EventBridge cost per call cut, answering as moto does.

The patches change moto globally, so they are tried in a process of their own (the server the stack
starts, or a subprocess), never in this test process.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import boto3
import pytest
import requests

from infra.localaws.processes import ManagedProcess, free_ports, http_ok, wait_until

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def server(tmp_path):
    (port,) = free_ports(1)
    endpoint = f"http://127.0.0.1:{port}"
    process = ManagedProcess("moto", [sys.executable, "-m", "infra.localaws.moto_server", "-H", "127.0.0.1",
                                      "-p", str(port)], tmp_path / "moto.log", cwd=ROOT).start()
    try:
        wait_until(lambda: http_ok(f"{endpoint}/moto-api/"), what="moto_server", timeout=30, process=process)
        yield endpoint
    finally:
        process.stop()


def _client(service: str, endpoint: str):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


def test_queues_and_rules_answer_as_moto_does(server):
    sqs, events = _client("sqs", server), _client("events", server)
    url = sqs.create_queue(QueueName="q.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true",
                                                             "VisibilityTimeout": "30"})["QueueUrl"]
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}", MessageGroupId="g")
    sqs.send_message(QueueUrl=url, MessageBody="m0", MessageGroupId="g")        # deduplicated by content
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessages"] == "3"
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["m0", "m1", "m2"]
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesNotVisible"]) == ("0", "3")
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)    # in flight: not visible

    target_url = sqs.create_queue(QueueName="target")["QueueUrl"]
    target_arn = sqs.get_queue_attributes(QueueUrl=target_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="paid", EventPattern=json.dumps({"detail-type": ["payment.succeeded"]}))
    events.put_targets(Rule="paid", Targets=[{"Id": "q", "Arn": target_arn}])
    for order in ("o1", "o2"):                       # the second event reuses the cached input paths
        events.put_events(Entries=[{"Source": "payments", "DetailType": "payment.succeeded",
                                    "Detail": json.dumps({"order_id": order})}])
    delivered = sqs.receive_message(QueueUrl=target_url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(json.loads(m["Body"])["detail"]["order_id"] for m in delivered) == ["o1", "o2"]


def test_a_message_past_its_retention_period_is_not_handed_out():
    script = textwrap.dedent("""
        import boto3
        from moto import mock_aws
        from moto.sqs.models import sqs_backends
        from infra.localaws import moto_server

        moto_server.apply()
        with mock_aws():
            sqs = boto3.client("sqs", region_name="us-east-1")
            url = sqs.create_queue(QueueName="q", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody="new")
            sqs.send_message(QueueUrl=url, MessageBody="old")
            queue = sqs_backends["123456789012"]["us-east-1"].get_queue("q")
            queue._messages[1].sent_timestamp -= 61_000
            print(",".join(m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]))
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "new"


def test_ses_keeps_the_text_and_the_html_part_of_a_message(server):
    ses = _client("ses", server)
    ses.verify_email_identity(EmailAddress="shop@example.com")
    sent = ses.send_email(Source="shop@example.com", Destination={"ToAddresses": ["a@example.com"]},
                          Message={"Subject": {"Data": "ご注文"}, "Body": {"Text": {"Data": "plain ￥2,500"},
                                                                           "Html": {"Data": "<p>￥2,500</p>"}}})
    messages = requests.get(f"{server}/moto-api/data.json", timeout=10).json()["ses"]["Message"]
    [message] = [m for m in messages if m["id"] == sent["MessageId"]]
    assert (message["subject"], message["body"]) == ("ご注文", "<p>￥2,500</p>")      # as moto keeps it
    assert (message["text"], message["html"]) == ("plain ￥2,500", "<p>￥2,500</p>")
