"""The Runtime wires template SQS events and schedules to real workers (moto server on a free port)."""
from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path

import boto3
import pytest
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from infra.localaws.provision import boto_clients, provision
from infra.localaws.runtime.supervisor import Runtime
from infra.localaws.template import LocalContext, Template

from .conftest import function

QUEUES = {
    "JobsDLQ": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "rtsrc-jobs-dlq"}},
    "JobsQueue": {"Type": "AWS::SQS::Queue", "Properties": {
        "QueueName": "rtsrc-jobs", "VisibilityTimeout": 1,
        "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["JobsDLQ", "Arn"]}, "maxReceiveCount": 2}}},
    "WideQueue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "rtsrc-wide", "VisibilityTimeout": 30}},
}


def document(code_dir: Path) -> dict:
    resources = {
        **QUEUES,
        "ConsumerFunction": function("handlers.consume", {"Jobs": {"Type": "SQS", "Properties": {
            "Queue": {"Fn::GetAtt": ["JobsQueue", "Arn"]}, "BatchSize": 10,
            "FunctionResponseTypes": ["ReportBatchItemFailures"]}}}),
        "TickFunction": function("handlers.tick", {"Hourly": {"Type": "Schedule",
                                                              "Properties": {"Schedule": "rate(1 hour)"}}}),
        # one record per batch, at most 3 batches in flight (the template's ScalingConfig beats the default 2)
        "WideFunction": function("handlers.slow_consume", {"Wide": {"Type": "SQS", "Properties": {
            "Queue": {"Fn::GetAtt": ["WideQueue", "Arn"]}, "BatchSize": 1,
            "ScalingConfig": {"MaximumConcurrency": 3}}}}),
    }
    for resource in resources.values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = str(code_dir)
    return {"Globals": {"Function": {"Runtime": "python3.11", "Timeout": 3}}, "Resources": resources}


@pytest.fixture
def moto_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def wait_for(predicate, timeout=60.0):                # generous: only a failure waits it out
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.1)


def test_sqs_partial_batch_and_schedules_through_workers(code_dir, moto_endpoint, tmp_path):
    context = LocalContext(stack_name="rtsrc", aws_endpoint=moto_endpoint)
    template = Template(document(code_dir), context)
    provision(template, boto_clients(moto_endpoint))
    out = tmp_path / "out"
    out.mkdir()
    runtime = Runtime(template, context, workers_per_function=2, log_dir=tmp_path / "logs", sqs_concurrency=2,
                      extra_env={"OUT_DIR": str(out)}, schedule_scale=0.0005)   # rate(1 hour) → every 1.8 s
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    with runtime:
        assert runtime.upstreams == {}                     # no HTTP-facing function here
        # a worker per batch in flight: the default concurrency (2), the ScalingConfig's (3); 1 for a schedule
        assert {lid: len(w) for lid, w in runtime.workers.items()} == {
            "ConsumerFunction": 2, "TickFunction": 1, "WideFunction": 3}
        assert Counter(p.source.function for p in runtime.pollers) == {"ConsumerFunction": 2, "WideFunction": 3}
        wide_url = template.queue_url("WideQueue")
        for i in range(6):
            sqs.send_message(QueueUrl=wide_url, MessageBody=f"wide-{i}")
        queue_url = template.queue_url("JobsQueue")
        for body in ("ok-1", "bad-1", "ok-2"):
            sqs.send_message(QueueUrl=queue_url, MessageBody=body)
        dlq_url = template.queue_url("JobsDLQ")

        def in_dlq():
            got = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=0)
            return [m["Body"] for m in got.get("Messages", [])] == ["bad-1"]

        wait_for(in_dlq)
        consumed = read_lines(out / "consumed.jsonl")
        assert Counter(c["body"] for c in consumed) == {"ok-1": 1, "ok-2": 1, "bad-1": 2}
        assert sorted(c["count"] for c in consumed if c["body"] == "bad-1") == ["1", "2"]

        assert runtime.fire_schedule("TickFunction") == {"ticked": "Scheduled Event"}
        wait_for(lambda: len(read_lines(out / "ticks.jsonl")) >= 2)   # fired now + by the clock
        tick = read_lines(out / "ticks.jsonl")[-1]
        assert tick["source"] == "aws.events" and tick["resources"][0].endswith(":rule/rtsrc-TickFunctionHourly")

        wait_for(lambda: len(read_lines(out / "slow.jsonl")) == 6)
        slow = read_lines(out / "slow.jsonl")
        assert sorted(b for s in slow for b in s["bodies"]) == [f"wide-{i}" for i in range(6)]
        # three batches ran at once, each on a worker of its own (the least busy one)
        most = max(sum(1 for other in slow if other["start"] <= s["start"] < other["end"]) for s in slow)
        assert most == 3
        assert len({s["pid"] for s in slow}) == 3
    pids = [w.process.pid for workers in runtime.workers.values() for w in workers]
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
