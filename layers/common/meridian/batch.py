"""Every SQS handler's batch loop, in one place: partial batch responses with a deadline.

    def on_event(event, context):
        return process_sqs_batch(event, context, handle_one)               # standard queue
        return process_sqs_batch(event, context, handle_one, fifo=True)    # FIFO queue

Each record goes to `record_handler(record)` (Powertools' SQSRecord; a `lambda_context`
parameter gets the context). A record that raises is reported in `batchItemFailures`, so
SQS redelivers only it (the event source needs `FunctionResponseTypes:
[ReportBatchItemFailures]`); the batch never raises because every record failed.

**Deadline.** A batch must not outlive the function's timeout: a timed-out invocation has no
response, so SQS redelivers the *whole* batch after the visibility timeout, the records
already done included, and every time-out counts towards maxReceiveCount (the DLQ). So a
record after the first starts only while the remaining time
(`context.get_remaining_time_in_millis()`) exceeds the slowest record of this batch so far
plus a safety margin (SQS_BATCH_SAFETY_MARGIN_MS, default 1500 ms: single records can be
several times slower than their neighbours when a sibling call or an AWS call queues). The
very first record an execution environment runs does not count as the slowest: it carries the
environment's lazy initialisation (imports, SDK clients, the first SSM and secret reads) and
says nothing about the next one. Once no further record fits, every record not yet started is
reported in `batchItemFailures` (none is run, so none is done twice) and SQS hands it out
again after the queue's visibility timeout. The first record of a batch always runs, so a
batch makes progress whatever the margin.

**Last attempt.** A record that raises on the receive SQS would dead-letter it after goes to
the DLQ with its error, and counts as done here (`meridian.dead_letters`).

**FIFO** (`fifo=True`): Powertools' SqsFifoPartialProcessor; a failed record fails the records
after it of its message group (`skip_group_on_error=True`, the default here) or every record
after it (`False`), so a group's order holds. Records left by the deadline fail likewise: the
deadline only ever ends a batch, so nothing runs after a skipped record.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    SqsFifoPartialProcessor,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.exceptions import (
    SQSFifoCircuitBreakerError,
    SQSFifoMessageGroupCircuitBreakerError,
)

from . import dead_letters
from .observability import count, logger

SAFETY_MARGIN_ENV = "SQS_BATCH_SAFETY_MARGIN_MS"
DEFAULT_SAFETY_MARGIN_MS = 1500


class DeadlineReached(Exception):
    """A record not started because the batch ran out of time; SQS redelivers it."""


def safety_margin_ms() -> int:
    raw = os.environ.get(SAFETY_MARGIN_ENV)
    try:
        return max(0, int(raw)) if raw else DEFAULT_SAFETY_MARGIN_MS
    except ValueError:
        return DEFAULT_SAFETY_MARGIN_MS


_NOT_OWN_FAILURES = (DeadlineReached, SQSFifoCircuitBreakerError, SQSFifoMessageGroupCircuitBreakerError)
_environment_warm = False      # has this execution environment finished a record yet (see the module doc)


class Deadline:
    """Whether another record fits in the time left: `remaining > margin + slowest record so far`."""

    def __init__(self, context: Any, margin_ms: int):
        self.remaining = getattr(context, "get_remaining_time_in_millis", None) if context is not None else None
        self.margin_ms = margin_ms
        self.started = 0
        self.slowest_ms = 0.0
        self.reached = False
        self.remaining_when_reached: int | None = None

    def allows_another(self) -> bool:
        if self.reached:
            return False
        if self.started == 0 or self.remaining is None:
            return True
        left = self.remaining()
        if left > self.margin_ms + self.slowest_ms:
            return True
        self.reached, self.remaining_when_reached = True, left
        return False

    def time(self, run: Callable[[], Any]) -> Any:
        global _environment_warm
        self.started += 1
        began = time.monotonic()
        try:
            return run()
        finally:
            if _environment_warm:
                self.slowest_ms = max(self.slowest_ms, (time.monotonic() - began) * 1000)
            _environment_warm = True


class _DeadlineMixin:
    """Checks the deadline before each record; a record past it is a failure without running."""

    deadline: Deadline
    margin_ms: int

    def _prepare(self):
        super()._prepare()
        self.deadline = Deadline(getattr(self, "lambda_context", None), self.margin_ms)
        self.deferred = 0

    def _process_record(self, record: dict):
        if not self.deadline.allows_another():
            self.deferred += 1
            if hasattr(self, "_current_group_id"):       # the FIFO processor keeps the group of its record
                self._current_group_id = (record.get("attributes") or {}).get("MessageGroupId")
            error = DeadlineReached(f"{self.deadline.remaining_when_reached} ms left: not started, SQS redelivers it")
            # no traceback: the processor's logger only warns about records that raised
            return self.failure_handler(record=self._to_batch_type(record, event_type=self.event_type,
                                                                    model=self.model),
                                        exception=(DeadlineReached, error, None))
        return self.deadline.time(lambda: super(_DeadlineMixin, self)._process_record(record))

    def failure_handler(self, record, exception):
        """A record that raised on its last attempt goes to the DLQ with its error (`meridian.dead_letters`);
        records skipped (deadline, a FIFO group's earlier failure) are not failures of their own."""
        error = exception[1]
        if isinstance(error, Exception) and not isinstance(error, _NOT_OWN_FAILURES) \
                and dead_letters.hand_over(record, error):
            return self.success_handler(record=record, result=None)
        return super().failure_handler(record, exception)

    def _clean(self):
        if self.deferred:
            logger.warning("batch deadline: records left for redelivery",
                           extra={"deferred": self.deferred, "started": self.deadline.started,
                                  "remaining_ms": self.deadline.remaining_when_reached,
                                  "margin_ms": self.margin_ms, "slowest_record_ms": round(self.deadline.slowest_ms)})
            count("SqsRecordsDeferredByDeadline", self.deferred)
        super()._clean()


class SqsBatchProcessor(_DeadlineMixin, BatchProcessor):
    def __init__(self, margin_ms: int | None = None):
        super().__init__(event_type=EventType.SQS, raise_on_entire_batch_failure=False, logger=logger)
        self.margin_ms = safety_margin_ms() if margin_ms is None else margin_ms


class SqsFifoBatchProcessor(_DeadlineMixin, SqsFifoPartialProcessor):
    def __init__(self, margin_ms: int | None = None, skip_group_on_error: bool = True):
        super().__init__(skip_group_on_error=skip_group_on_error, logger=logger)
        self.raise_on_entire_batch_failure = False       # report every failed record, never raise
        self.margin_ms = safety_margin_ms() if margin_ms is None else margin_ms


def process_sqs_batch(event: dict, context: Any, record_handler: Callable, fifo: bool = False, *,
                      skip_group_on_error: bool = True, margin_ms: int | None = None) -> dict:
    """Run `record_handler` on each record of an SQS event; `{"batchItemFailures": [...]}` (see module doc)."""
    processor = (SqsFifoBatchProcessor(margin_ms, skip_group_on_error) if fifo else SqsBatchProcessor(margin_ms))
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
