"""SQS event-source semantics: partial batch failures, all-or-nothing, FIFO groups, redrive to the DLQ."""
from __future__ import annotations

import json
import threading
import time
from collections import Counter

import boto3
import pytest
from moto import mock_aws

from infra.harness import config as harness_config
from infra.localaws.runtime.invocation import Invocation
from infra.localaws.runtime.sqs_poller import (
    ReceiveGate,
    SqsEventSource,
    SqsPoller,
    failed_message_ids,
    sqs_event,
    sqs_event_sources,
    start_pollers,
    stop_pollers,
)
from infra.localaws.template import LocalContext, Template

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:q"


def source(report=True, fifo=False, batch_size=10, url="https://sqs.us-east-1.amazonaws.com/123456789012/q"):
    arn = QUEUE_ARN + (".fifo" if fifo else "")
    return SqsEventSource("Fn", "Ev", url + (".fifo" if fifo else ""), arn, batch_size, report)


def records(*specs):
    """specs: message ids, or (id, group) pairs."""
    out = []
    for spec in specs:
        mid, group = spec if isinstance(spec, tuple) else (spec, None)
        attributes = {"ApproximateReceiveCount": "1"}
        if group:
            attributes["MessageGroupId"] = group
        out.append({"messageId": mid, "attributes": attributes})
    return out


# ---------------------------------------------------------------------------- pure rules
def test_handler_error_keeps_every_record():
    assert failed_message_ids(records("a", "b"), Invocation({"errorType": "X"}, "X"), source()) == {"a", "b"}


def test_without_report_batch_item_failures_success_deletes_all():
    outcome = Invocation({"batchItemFailures": [{"itemIdentifier": "a"}]})
    assert failed_message_ids(records("a", "b"), outcome, source(report=False)) == set()


@pytest.mark.parametrize("payload", [None, {}, {"batchItemFailures": []}, {"batchItemFailures": None}, "ok"])
def test_empty_or_null_responses_are_complete_success(payload):
    assert failed_message_ids(records("a", "b"), Invocation(payload), source()) == set()


def test_only_listed_records_are_kept():
    outcome = Invocation({"batchItemFailures": [{"itemIdentifier": "b"}]})
    assert failed_message_ids(records("a", "b", "c"), outcome, source()) == {"b"}


@pytest.mark.parametrize("failures", [[{"itemIdentifier": "zzz"}], [{"itemIdentifier": ""}], [{"itemIdentifier": None}],
                                      [{"id": "a"}], ["a"], "a"])
def test_invalid_batch_item_failures_fail_the_whole_batch(failures):
    outcome = Invocation({"batchItemFailures": failures})
    assert failed_message_ids(records("a", "b"), outcome, source()) == {"a", "b"}


def test_fifo_failure_also_fails_later_records_of_its_group():
    batch = records(("a1", "A"), ("b1", "B"), ("a2", "A"), ("a3", "A"), ("b2", "B"))
    outcome = Invocation({"batchItemFailures": [{"itemIdentifier": "a2"}]})
    assert failed_message_ids(batch, outcome, source(fifo=True)) == {"a2", "a3"}


def test_sqs_event_record_shape():
    message = {"MessageId": "m1", "ReceiptHandle": "rh", "Body": "hello", "MD5OfBody": "x",
               "Attributes": {"ApproximateReceiveCount": "2", "MessageGroupId": "g"},
               "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "order"},
                                     "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}}}
    event = sqs_event([message], source(fifo=True), "eu-west-1")
    record = event["Records"][0]
    assert record["messageId"] == "m1" and record["receiptHandle"] == "rh" and record["body"] == "hello"
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == QUEUE_ARN + ".fifo"
    assert record["awsRegion"] == "eu-west-1"
    assert record["attributes"] == {"ApproximateReceiveCount": "2", "MessageGroupId": "g"}
    assert record["messageAttributes"]["kind"]["stringValue"] == "order"
    assert record["messageAttributes"]["blob"]["binaryValue"] == "AAE="


def test_template_sqs_sources():
    template = Template(context=LocalContext(stack_name=harness_config.STACK_NAME))   # as the harness names it
    sources = {s.function: s for s in sqs_event_sources(template)}
    webhooks = sources["PaymentsEventProcessorFunction"]
    assert webhooks.fifo and webhooks.report_batch_item_failures and webhooks.batch_size == 10
    assert webhooks.queue_url.endswith("/meridian-payment-webhooks.fifo")
    assert webhooks.queue_arn == "arn:aws:sqs:us-east-1:123456789012:meridian-payment-webhooks.fifo"


def scaling_template(scaling: dict | None) -> Template:
    props = {"Queue": {"Fn::GetAtt": ["JobsQueue", "Arn"]}, "BatchSize": 5}
    if scaling is not None:
        props["ScalingConfig"] = scaling
    return Template({"Resources": {
        "JobsQueue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "jobs"}},
        "Fn": {"Type": "AWS::Serverless::Function", "Properties": {
            "CodeUri": "x", "Handler": "h.h", "Events": {"Jobs": {"Type": "SQS", "Properties": props}}}}}})


def test_scaling_config_maximum_concurrency_wins_over_the_default():
    [source] = sqs_event_sources(scaling_template({"MaximumConcurrency": 7}))
    assert source.maximum_concurrency == 7 and source.concurrency(default=4) == 7
    [source] = sqs_event_sources(scaling_template(None))
    assert source.maximum_concurrency is None and source.concurrency(default=4) == 4
    assert source.concurrency(default=0) == 1


@pytest.mark.parametrize("value", [1, 1001])
def test_maximum_concurrency_outside_lambdas_bounds_is_refused(value):
    with pytest.raises(ValueError, match="MaximumConcurrency"):
        sqs_event_sources(scaling_template({"MaximumConcurrency": value}))


# ---------------------------------------------------------------------------- against moto
class RecordingFunction:
    """Stands in for a worker: records what it saw, fails records whose body starts with 'bad'."""

    def __init__(self, raise_on=None):
        self.seen: list[str] = []
        self.raise_on = raise_on
        self.lock = threading.Lock()

    def __call__(self, logical_id, event):
        bodies = [r["body"] for r in event["Records"]]
        with self.lock:
            self.seen.extend(bodies)
        if self.raise_on and self.raise_on in bodies:
            return Invocation({"errorType": "ValueError", "errorMessage": "boom"}, "ValueError")
        return Invocation({"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]
                                                 if self.fails(r["body"])]})

    def fails(self, body):
        """'bad…' always fails; 'flaky…' fails the first time it is seen."""
        return body.startswith("bad") or (body.startswith("flaky") and self.seen.count(body) == 1)


@pytest.fixture
def sqs(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


def make_queue(sqs, name, max_receive=2, fifo=False):
    suffix = ".fifo" if fifo else ""
    extra = {"FifoQueue": "true", "ContentBasedDeduplication": "true"} if fifo else {}
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq{suffix}", Attributes=extra)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName=f"{name}{suffix}", Attributes={
        **extra, "VisibilityTimeout": "1",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive)})})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn, dlq_url


def dlq_bodies(sqs, dlq_url):
    messages = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    return sorted(m["Body"] for m in messages)


def queue_is_empty(sqs, url):
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    counts = (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"])
    return counts == ("0", "0")


def run_until(predicate, poller, timeout=60.0):     # generous: only a failure waits it out
    poller.start()
    try:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, "condition not reached in time"
            time.sleep(0.1)
    finally:
        poller.stop()


def test_failing_record_reaches_dlq_and_others_are_processed_once(sqs):
    url, arn, dlq_url = make_queue(sqs, "orders")
    for body in ("ok-1", "ok-2", "bad-1", "ok-3", "ok-4"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    function = RecordingFunction()
    poller = SqsPoller(SqsEventSource("Fn", "Ev", url, arn, 10, True), sqs, function, wait_seconds=1)
    run_until(lambda: dlq_bodies(sqs, dlq_url) == ["bad-1"], poller)
    seen = Counter(function.seen)
    assert seen == {"ok-1": 1, "ok-2": 1, "ok-3": 1, "ok-4": 1, "bad-1": 2}     # maxReceiveCount = 2
    assert queue_is_empty(sqs, url)


def test_handler_error_deletes_nothing_so_the_whole_batch_is_redriven(sqs):
    url, arn, dlq_url = make_queue(sqs, "emails")
    for body in ("poison", "innocent"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    function = RecordingFunction(raise_on="poison")
    poller = SqsPoller(SqsEventSource("Fn", "Ev", url, arn, 10, True), sqs, function, wait_seconds=1)
    run_until(lambda: dlq_bodies(sqs, dlq_url) == ["innocent", "poison"], poller)
    assert Counter(function.seen) == {"poison": 2, "innocent": 2}


def test_without_report_batch_item_failures_success_deletes_the_batch(sqs):
    url, arn, dlq_url = make_queue(sqs, "audit")
    for body in ("ok-1", "bad-but-ignored"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    function = RecordingFunction()
    poller = SqsPoller(SqsEventSource("Fn", "Ev", url, arn, 10, False), sqs, function, wait_seconds=1)
    run_until(lambda: queue_is_empty(sqs, url) and len(function.seen) == 2, poller)
    assert Counter(function.seen) == {"ok-1": 1, "bad-but-ignored": 1} and dlq_bodies(sqs, dlq_url) == []


def test_batch_size_is_respected(sqs):
    url, arn, _ = make_queue(sqs, "small")
    for i in range(5):
        sqs.send_message(QueueUrl=url, MessageBody=f"ok-{i}")
    sizes = []

    def function(logical_id, event):
        sizes.append(len(event["Records"]))
        return Invocation(None)

    poller = SqsPoller(SqsEventSource("Fn", "Ev", url, arn, 2, True), sqs, function, wait_seconds=1)
    run_until(lambda: sum(sizes) == 5, poller)
    assert max(sizes) <= 2 and sum(sizes) == 5


def test_fifo_keeps_group_order_through_a_transient_failure(sqs):
    url, arn, dlq_url = make_queue(sqs, "webhooks", fifo=True)
    for body, group in (("a-1", "A"), ("flaky-a-2", "A"), ("a-3", "A"), ("b-1", "B")):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group)
    function = RecordingFunction()
    poller = SqsPoller(SqsEventSource("Fn", "Ev", url, arn, 10, True), sqs, function, wait_seconds=1)
    run_until(lambda: queue_is_empty(sqs, url) and function.seen.count("a-3") == 2, poller)
    group_a = [b for b in function.seen if "a-" in b]
    # a-3 comes after flaky-a-2 every time: it is kept with it, then handed over behind it
    assert group_a == ["a-1", "flaky-a-2", "a-3", "flaky-a-2", "a-3"]
    assert function.seen.count("b-1") == 1 and dlq_bodies(sqs, dlq_url) == []


def test_fifo_permanent_failure_takes_the_rest_of_its_group_to_the_dlq(sqs):
    url, arn, dlq_url = make_queue(sqs, "payments", fifo=True)
    for body, group in (("a-1", "A"), ("bad-a-2", "A"), ("a-3", "A"), ("b-1", "B")):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group)
    function = RecordingFunction()
    poller = SqsPoller(SqsEventSource("Fn", "Ev", url, arn, 10, True), sqs, function, wait_seconds=1)
    run_until(lambda: dlq_bodies(sqs, dlq_url) == ["a-3", "bad-a-2"] and queue_is_empty(sqs, url), poller)
    # as on AWS: a-3 is received with bad-a-2 each time, so it reaches maxReceiveCount with it, never ahead of it
    assert [b for b in function.seen if "a-" in b] == ["a-1", "bad-a-2", "a-3", "bad-a-2", "a-3"]
    assert function.seen.count("b-1") == 1


def test_poller_stops_promptly(sqs):
    url, arn, _ = make_queue(sqs, "idle")
    polling = threading.Event()

    class SignallingSqs:
        """The real client; tells the test when the poller is inside a long poll."""

        def receive_message(self, **kwargs):
            polling.set()
            return sqs.receive_message(**kwargs)

        def __getattr__(self, name):
            return getattr(sqs, name)

    poller = SqsPoller(SqsEventSource("Fn", "Ev", url, arn, 10, True), SignallingSqs(), RecordingFunction(),
                       wait_seconds=1)
    poller.start()
    assert polling.wait(30), "the poller never polled"
    started = time.monotonic()
    poller.stop(timeout=20)
    # it leaves at the end of the current long poll (wait_seconds=1) instead of polling again; the
    # bound is generous and below the join timeout, so a poller that ignored stop() fails here
    assert not poller.alive
    assert time.monotonic() - started < 15


def test_fifo_records_behind_a_failure_are_released_not_the_failure():
    from infra.localaws.runtime.sqs_poller import released_behind_first_failure

    batch = records(("a1", "A"), ("a2", "A"), ("a3", "A"), ("b1", "B"), ("b2", "B"))
    assert released_behind_first_failure(batch, {"a2", "a3", "b1", "b2"}) == {"a3", "b2"}


# ---------------------------------------------------------------------------- concurrency
def test_standard_queue_has_n_batches_in_flight_at_once(sqs):
    url, arn, _ = make_queue(sqs, "wide")
    for i in range(12):
        sqs.send_message(QueueUrl=url, MessageBody=f"ok-{i}")
    together = threading.Barrier(3, timeout=30)      # every invocation waits until 3 are running at once
    seen, lock = [], threading.Lock()

    def function(logical_id, event):
        together.wait()
        with lock:
            seen.extend(r["body"] for r in event["Records"])
        return Invocation({"batchItemFailures": []})

    pollers = start_pollers(SqsEventSource("Fn", "Ev", url, arn, 1, True), sqs, function, 3, wait_seconds=1)
    try:
        deadline = time.monotonic() + 60
        while len(seen) < 12:
            assert time.monotonic() < deadline, f"only {seen} processed (a barrier broke: fewer than 3 in flight)"
            time.sleep(0.05)
    finally:
        stop_pollers(pollers)
    assert Counter(seen) == {f"ok-{i}": 1 for i in range(12)}         # each once: receives never overlap
    gate = pollers[0].gate
    assert all(p.gate is gate for p in pollers) and gate.max_in_flight == 3 and gate.in_flight == 0
    assert queue_is_empty(sqs, url)


def test_fifo_groups_run_side_by_side_but_one_group_never_has_two_batches(sqs):
    url, arn, dlq_url = make_queue(sqs, "groups", fifo=True)
    groups = "ABCDEF"
    for i in range(5):
        for group in groups:
            sqs.send_message(QueueUrl=url, MessageBody=f"{group}-{i}", MessageGroupId=group)
    running: dict[str, int] = {}
    order: dict[str, list[int]] = {g: [] for g in groups}
    overlaps, lock = [], threading.Lock()

    def function(logical_id, event):
        mine = {r["attributes"]["MessageGroupId"] for r in event["Records"]}
        with lock:
            if mine & set(running):
                overlaps.append(sorted(mine & set(running)))
            for group in mine:
                running[group] = running.get(group, 0) + 1
        time.sleep(0.2)                               # long enough for the other pollers to receive meanwhile
        with lock:
            for record in event["Records"]:
                group, index = record["body"].split("-")
                order[group].append(int(index))
            for group in mine:
                running.pop(group)
        return Invocation({"batchItemFailures": []})

    source = SqsEventSource("Fn", "Ev", url, arn, 3, True)       # 3 per batch: a group needs several batches
    pollers = start_pollers(source, sqs, function, 4, wait_seconds=1)
    try:
        deadline = time.monotonic() + 60
        while sum(len(v) for v in order.values()) < 30:
            assert time.monotonic() < deadline, f"not everything processed: {order}"
            time.sleep(0.05)
    finally:
        stop_pollers(pollers)
    assert overlaps == []                                              # never two batches of one group
    assert order == {g: [0, 1, 2, 3, 4] for g in groups}               # each once, in order
    assert pollers[0].gate.max_in_flight >= 2                          # and groups did run side by side
    assert queue_is_empty(sqs, url) and dlq_bodies(sqs, dlq_url) == []


def test_gate_holds_back_a_group_that_already_has_a_batch_in_flight():
    gate = ReceiveGate(fifo=True)

    def message(mid, group):
        return {"MessageId": mid, "Attributes": {"MessageGroupId": group}}

    taken, busy = gate.claim([message("a1", "A"), message("b1", "B")])
    assert [m["MessageId"] for m in taken] == ["a1", "b1"] and busy == [] and gate.groups_in_flight() == {"A", "B"}
    taken_again, busy = gate.claim([message("a2", "A"), message("c1", "C")])
    assert [m["MessageId"] for m in taken_again] == ["c1"] and [m["MessageId"] for m in busy] == ["a2"]
    assert gate.in_flight == 2 == gate.max_in_flight
    gate.finish(taken)
    assert gate.groups_in_flight() == {"C"} and gate.in_flight == 1
    assert gate.claim([message("a2", "A")])[1] == []                   # A is free again


def test_fifo_poller_hands_a_busy_groups_message_back_without_invoking_it(sqs):
    url, arn, _ = make_queue(sqs, "guard", fifo=True)
    sqs.send_message(QueueUrl=url, MessageBody="a-1", MessageGroupId="A")
    source = SqsEventSource("Fn", "Ev", url, arn, 10, True)
    gate = ReceiveGate(fifo=True)
    gate.claim([{"MessageId": "elsewhere", "Attributes": {"MessageGroupId": "A"}}])   # another poller's batch
    function = RecordingFunction()
    poller = SqsPoller(source, sqs, function, gate=gate)
    assert poller.poll_once() == 0 and function.seen == []
    visible = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert visible["Attributes"]["ApproximateNumberOfMessages"] == "1"   # back on the queue at once


def test_fifo_is_long_polled_only_while_nothing_of_it_is_in_flight():
    """moto's long poll spins while a FIFO group with visible messages is in flight: short polls then."""
    gate, stop = ReceiveGate(fifo=True), threading.Event()
    assert gate.turn(1, stop) == 1                                     # idle: a long poll
    batch, _ = gate.claim([{"MessageId": "a1", "Attributes": {"MessageGroupId": "A"}}])
    assert gate.turn(1, stop) == 0                                     # a batch in flight: short polls …
    gate.received(0, backlog=False, waited=False)
    began = time.monotonic()
    assert gate.turn(1, stop) == 0
    assert time.monotonic() - began >= ReceiveGate.FIFO_PAUSE * 0.9   # … paced after an empty one
    gate.visibility_timeout = 30
    gate.finish(batch, held=True)                                      # a failed record holds its group
    assert gate.turn(1, stop) == 0
    assert ReceiveGate(fifo=False).turn(1, stop) == 1                  # standard queues: always long polls


def test_active_pollers_grow_with_a_backlog_and_shrink_on_empty_long_polls():
    gate = ReceiveGate(concurrency=3)
    assert gate.active == 1
    gate.received(10, backlog=True, waited=True)
    gate.received(10, backlog=True, waited=False)
    gate.received(10, backlog=True, waited=False)
    assert gate.active == 3                                            # never beyond the concurrency
    gate.received(2, backlog=False, waited=True)
    assert gate.active == 3                                            # a small batch changes nothing
    gate.received(0, backlog=False, waited=True)
    gate.received(0, backlog=False, waited=True)
    gate.received(0, backlog=False, waited=True)
    assert gate.active == 1                                            # never below one
    stop = threading.Event()
    stop.set()
    assert gate.wait_until_active(0, stop) is False and gate.wait_until_active(2, stop) is False


def test_a_light_load_keeps_to_one_poller(sqs):
    """One message at a time: one batch in flight, so one (warm) worker takes them all."""
    url, arn, _ = make_queue(sqs, "light")
    function = RecordingFunction()
    pollers = start_pollers(SqsEventSource("Fn", "Ev", url, arn, 10, True), sqs, function, 4, wait_seconds=1)
    try:
        for i in range(5):
            sqs.send_message(QueueUrl=url, MessageBody=f"ok-{i}")
            deadline = time.monotonic() + 30
            while len(function.seen) <= i:
                assert time.monotonic() < deadline
                time.sleep(0.02)
    finally:
        stop_pollers(pollers)
    assert function.seen == [f"ok-{i}" for i in range(5)]
    assert pollers[0].gate.max_in_flight == 1 and pollers[0].gate.active == 1
    assert [p.batches for p in pollers] == [5, 0, 0, 0]
