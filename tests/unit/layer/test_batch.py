"""meridian.batch: partial batch responses, and the deadline that ends a batch before the function's timeout."""
from __future__ import annotations

import json
import uuid

import pytest
from meridian import batch

from tests.lambda_testing import LambdaContext


class Clock:
    """time.monotonic for meridian.batch and the context's remaining time: moves only when told."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


class Context:
    def __init__(self, clock: Clock, timeout_ms: int):
        self.clock, self.deadline = clock, clock.now + timeout_ms / 1000
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - self.clock.now) * 1000))


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(batch, "time", clock)
    monkeypatch.setattr(batch, "_environment_warm", True)     # not this environment's first record
    return clock


def event(bodies, groups=None) -> dict:
    records = []
    for i, body in enumerate(bodies):
        attributes = {"ApproximateReceiveCount": "1"}
        if groups:
            attributes["MessageGroupId"] = groups[i]
        records.append({"messageId": f"m{i}", "receiptHandle": f"r{i}", "body": json.dumps(body),
                        "attributes": attributes, "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q", "awsRegion": "us-east-1"})
    return {"Records": records}


def failed_ids(result: dict) -> list[str]:
    return [item["itemIdentifier"] for item in result["batchItemFailures"]]


class Handler:
    """Records what it ran; each record takes `seconds` of the clock; bodies 'bad' raise."""

    def __init__(self, clock: Clock | None = None, seconds: float = 1.0):
        self.clock, self.seconds, self.ran = clock, seconds, []

    def __call__(self, record):
        body = json.loads(record.body)
        self.ran.append(body)
        if self.clock is not None:
            self.clock.now += self.seconds
        if body.startswith("bad"):
            raise ValueError(f"cannot handle {body}")
        return body


def test_every_record_done_is_an_empty_failure_list():
    handler = Handler()
    assert batch.process_sqs_batch(event(["a", "b"]), LambdaContext(), handler) == {"batchItemFailures": []}
    assert handler.ran == ["a", "b"]


def test_a_failing_record_is_reported_and_the_others_run():
    handler = Handler()
    result = batch.process_sqs_batch(event(["a", "bad", "c"]), LambdaContext(), handler)
    assert failed_ids(result) == ["m1"] and handler.ran == ["a", "bad", "c"]


def test_an_entirely_failed_batch_is_reported_not_raised():
    result = batch.process_sqs_batch(event(["bad-1", "bad-2"]), LambdaContext(), Handler())
    assert failed_ids(result) == ["m0", "m1"]


def test_without_a_context_there_is_no_deadline():
    handler = Handler()
    assert batch.process_sqs_batch(event(["a", "b", "c"]), None, handler) == {"batchItemFailures": []}


def test_the_deadline_leaves_the_rest_for_redelivery_and_runs_nothing_twice(clock):
    """6 s timeout, 1 s per record, 1.5 s margin: a record starts only while > 1.5 s + 1 s (slowest) are left."""
    bodies = [f"r{i}" for i in range(10)]
    handler = Handler(clock, seconds=1.0)
    result = batch.process_sqs_batch(event(bodies), Context(clock, 6000), handler, margin_ms=1500)
    # started at 6 s, 5 s, 4 s and 3 s left; at 2 s left (≤ 2.5 s) it stops
    assert handler.ran == ["r0", "r1", "r2", "r3"]
    assert failed_ids(result) == [f"m{i}" for i in range(4, 10)]
    assert clock.now - 1000.0 == 4.0                                 # well inside the 6 s timeout

    # SQS redelivers the reported ones (and only them): each record has now run exactly once
    redelivered = [bodies[int(mid[1:])] for mid in failed_ids(result)]
    again = batch.process_sqs_batch(event(redelivered), Context(clock, 60_000), handler, margin_ms=1500)
    assert again == {"batchItemFailures": []}
    assert sorted(handler.ran) == sorted(bodies) and len(handler.ran) == len(bodies)


def test_little_time_left_runs_one_record_and_reports_the_rest(clock):
    """The first record always runs (a batch makes progress whatever the margin); nothing after it."""
    handler = Handler(clock, seconds=0.1)
    result = batch.process_sqs_batch(event(["a", "b", "c"]), Context(clock, 200), handler, margin_ms=1500)
    assert handler.ran == ["a"]
    assert failed_ids(result) == ["m1", "m2"]


def test_the_slowest_record_so_far_widens_the_margin(clock):
    durations = iter([0.1, 3.0, 0.1, 0.1, 0.1])

    def handler(record):
        clock.now += next(durations)

    # 10 s: 0.1 s → 9.9 s left; 3 s → 6.9 s left; then a record needs 1 s + 3 s left: 6.9 ✓ → 6.8 ✓ → 6.7 ✓
    result = batch.process_sqs_batch(event(["a", "b", "c", "d", "e"]), Context(clock, 10_000), handler,
                                     margin_ms=1000)
    assert result == {"batchItemFailures": []}
    durations = iter([3.0, 3.0, 3.0])
    # 10 s: 3 s → 7 s left (> 4 ✓) → 4 s left (≤ 1 s + 3 s): the third is left, though 4 s > 3 s
    result = batch.process_sqs_batch(event(["a", "b", "c"]), Context(clock, 10_000), handler, margin_ms=1000)
    assert failed_ids(result) == ["m2"]


def test_the_margin_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(batch.SAFETY_MARGIN_ENV, "250")
    assert batch.safety_margin_ms() == 250
    monkeypatch.setenv(batch.SAFETY_MARGIN_ENV, "lots")
    assert batch.safety_margin_ms() == batch.DEFAULT_SAFETY_MARGIN_MS
    monkeypatch.delenv(batch.SAFETY_MARGIN_ENV)
    assert batch.safety_margin_ms() == batch.DEFAULT_SAFETY_MARGIN_MS


# ------------------------------------------------------------------ FIFO
def test_fifo_failure_skips_the_rest_of_its_group_only():
    handler = Handler()
    result = batch.process_sqs_batch(event(["a1", "bad-a2", "b1", "a3", "b2"], groups="AABAB"), LambdaContext(),
                                     handler, fifo=True)
    assert failed_ids(result) == ["m1", "m3"]
    assert handler.ran == ["a1", "bad-a2", "b1", "b2"]                # a3 never ran: a2 must come first


def test_fifo_without_group_skipping_fails_everything_after_a_failure():
    handler = Handler()
    result = batch.process_sqs_batch(event(["a1", "bad-a2", "b1"], groups="AAB"), LambdaContext(), handler,
                                     fifo=True, skip_group_on_error=False)
    assert failed_ids(result) == ["m1", "m2"] and handler.ran == ["a1", "bad-a2"]


def test_fifo_deadline_ends_the_batch_in_order(clock):
    handler = Handler(clock, seconds=1.0)
    result = batch.process_sqs_batch(event(["a1", "b1", "a2", "b2", "a3"], groups="ABABA"), Context(clock, 4000),
                                     handler, fifo=True, margin_ms=1000)
    # 4 s → 3 s left (> 1 + 1 ✓) → 2 s left (≤ 2): a2, b2 and a3 wait for the next delivery, in order
    assert handler.ran == ["a1", "b1"]
    assert failed_ids(result) == ["m2", "m3", "m4"]


def test_an_environments_first_record_does_not_count_as_the_slowest(clock, monkeypatch):
    """Its lazy initialisation (imports, SDK clients, first secret reads) says nothing about the next record."""
    monkeypatch.setattr(batch, "_environment_warm", False)
    durations = iter([5.0, 0.2, 0.2, 0.2])

    def handler(record):
        clock.now += next(durations)

    # 10 s: the cold first record takes 5 s → 5 s left > 1.5 s + 0.2 s: the rest runs (5 s + 1.5 s would not)
    result = batch.process_sqs_batch(event(["a", "b", "c", "d"]), Context(clock, 10_000), handler, margin_ms=1500)
    assert result == {"batchItemFailures": []}
    assert batch._environment_warm is True
