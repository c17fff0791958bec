"""SQS event sources with Lambda's event-source-mapping semantics.

For every `Type: SQS` event of a function in template.yaml, pollers receive from the queue
(long polls of `wait_seconds`, so they stop promptly), hand up to BatchSize messages to the
function as one `aws:sqs` event, and then delete what succeeded:

* handler error (or timeout)                 → delete nothing;
* success, no ReportBatchItemFailures        → delete the whole batch;
* success with `batchItemFailures`           → delete every record not listed; an invalid
  list (empty/unknown itemIdentifier) fails the whole batch, as Lambda does;
* FIFO queues: a failed record fails every later record of its message group too;
  those later records are made visible again at once (the group stays locked by the
  failed one), which keeps group order on moto too.

Records left undeleted become visible again after the queue's visibility timeout, and
the queue's RedrivePolicy (maxReceiveCount) moves them to its DLQ.

Concurrency, as Lambda scales an event source: `concurrency` pollers per source (the SQS
event's `ScalingConfig.MaximumConcurrency`, else the stack's default), each with a batch of
its own in flight, sharing one `ReceiveGate`:

* receives are taken one at a time (moto's ReceiveMessage is not atomic across threads: two
  overlapping calls can hand out one message twice, or one FIFO group to two batches); an
  idle poller waits for the gate while another long-polls, so a quiet queue sees one long
  poll, and a message arriving at it goes out at once in a batch of its own;
* FIFO: the gate remembers which message groups are in flight, so one group never has two
  batches in flight while several groups run side by side, and it paces short polls instead
  of long ones while a group is in flight (moto's long poll spins then);
* the pollers that take batches grow from one while receives show a backlog (half a batch or
  more) and shrink as long polls come back empty: a light load keeps to one warm worker.
"""
from __future__ import annotations

import base64
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .invocation import Invocation

log = logging.getLogger("localaws.runtime.sqs")
MAX_RECEIVE = 10                        # SQS ReceiveMessage maximum per call
MIN_CONCURRENCY, MAX_CONCURRENCY = 2, 1000   # Lambda's bounds of ScalingConfig.MaximumConcurrency


@dataclass(frozen=True)
class SqsEventSource:
    function: str
    event_name: str
    queue_url: str
    queue_arn: str
    batch_size: int = 10
    report_batch_item_failures: bool = False
    enabled: bool = True
    maximum_concurrency: int | None = None   # ScalingConfig.MaximumConcurrency, when the template sets it

    @property
    def fifo(self) -> bool:
        return self.queue_arn.endswith(".fifo")

    def concurrency(self, default: int) -> int:
        """Batches in flight at most: MaximumConcurrency when set, else the stack's default (at least 1)."""
        return max(1, self.maximum_concurrency if self.maximum_concurrency is not None else default)


def _queue_logical_id(queue: Any) -> str:
    if isinstance(queue, dict) and "Fn::GetAtt" in queue:
        target = queue["Fn::GetAtt"]
        return (target if isinstance(target, list) else target.split("."))[0]
    raise ValueError(f"an SQS event's Queue must be !GetAtt <Queue>.Arn, not {queue!r}")


def _maximum_concurrency(props: dict[str, Any], where: str) -> int | None:
    value = (props.get("ScalingConfig") or {}).get("MaximumConcurrency")
    if value is None:
        return None
    number = int(value)
    if not MIN_CONCURRENCY <= number <= MAX_CONCURRENCY:      # what Lambda refuses at deploy time
        raise ValueError(f"{where}: ScalingConfig.MaximumConcurrency must be {MIN_CONCURRENCY}–{MAX_CONCURRENCY}, "
                         f"not {value!r}")
    return number


def sqs_event_sources(template) -> list[SqsEventSource]:
    """Every SQS event source of the template, resolved to queue URL and ARN."""
    sources = []
    for function in template.functions():
        for name, event in function.events_of("SQS").items():
            props = event.get("Properties", {})
            queue = _queue_logical_id(props["Queue"])
            sources.append(SqsEventSource(
                function=function.logical_id, event_name=name, queue_url=template.queue_url(queue),
                queue_arn=template.arn(queue), batch_size=int(props.get("BatchSize", 10)),
                report_batch_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
                enabled=bool(props.get("Enabled", True)),
                maximum_concurrency=_maximum_concurrency(props, f"{function.logical_id}.{name}")))
    return sources


# ---------------------------------------------------------------------------- pure semantics
def _attribute_value(value: dict[str, Any]) -> dict[str, Any]:
    binary = value.get("BinaryValue")
    return {
        "stringValue": value.get("StringValue"),
        "binaryValue": base64.b64encode(binary).decode("ascii") if isinstance(binary, bytes) else binary,
        "stringListValues": list(value.get("StringListValues") or []),
        "binaryListValues": [base64.b64encode(b).decode("ascii") if isinstance(b, bytes) else b
                             for b in value.get("BinaryListValues") or []],
        "dataType": value.get("DataType"),
    }


def sqs_record(message: dict[str, Any], source: SqsEventSource, region: str) -> dict[str, Any]:
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": {k: _attribute_value(v) for k, v in (message.get("MessageAttributes") or {}).items()},
        "md5OfBody": message.get("MD5OfBody"),
        "eventSource": "aws:sqs",
        "eventSourceARN": source.queue_arn,
        "awsRegion": region,
    }
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def sqs_event(messages: list[dict[str, Any]], source: SqsEventSource, region: str) -> dict[str, Any]:
    return {"Records": [sqs_record(m, source, region) for m in messages]}


def failed_message_ids(records: list[dict[str, Any]], outcome: Invocation, source: SqsEventSource) -> set[str]:
    """The records to leave on the queue (not delete) after an invocation."""
    every = [r["messageId"] for r in records]
    if outcome.failed:
        return set(every)
    if not source.report_batch_item_failures or not isinstance(outcome.payload, dict):
        return set()
    reported = outcome.payload.get("batchItemFailures")
    if not reported:
        return set()
    if not isinstance(reported, list):
        return set(every)
    failed: set[str] = set()
    for item in reported:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not identifier or identifier not in every:
            return set(every)                      # Lambda: an invalid response fails the batch
        failed.add(identifier)
    if source.fifo:
        failed = _with_later_records_of_same_group(records, failed)
    return failed


def released_behind_first_failure(records: list[dict[str, Any]], retry: set[str]) -> set[str]:
    """FIFO: the kept records that follow an earlier kept record of their group.

    They are made visible at once; their group stays locked by its first failed record
    (in flight), so SQS still hands them out only after it, in order. moto needs this:
    when a group's in-flight messages all become visible together it can deliver them
    out of order.
    """
    seen_groups: set[str] = set()
    released: set[str] = set()
    for record in records:
        if record["messageId"] not in retry:
            continue
        group = record["attributes"].get("MessageGroupId")
        if group in seen_groups:
            released.add(record["messageId"])
        elif group is not None:
            seen_groups.add(group)
    return released


def _with_later_records_of_same_group(records: list[dict[str, Any]], failed: set[str]) -> set[str]:
    blocked_groups: set[str] = set()
    out = set(failed)
    for record in records:
        group = record["attributes"].get("MessageGroupId")
        if group in blocked_groups:
            out.add(record["messageId"])
        elif record["messageId"] in failed and group is not None:
            blocked_groups.add(group)
    return out


# ---------------------------------------------------------------------------- the pollers
def _group(message: dict[str, Any]) -> str | None:
    return (message.get("Attributes") or {}).get("MessageGroupId")


class ReceiveGate:
    """What the pollers of one event source share.

    * `receiving`: held for a whole receive, so receives never overlap (moto marks messages
      received without a lock across its request threads: two overlapping receives can hand out
      one message twice, or one FIFO group to two batches);
    * FIFO: the message groups that have a batch in flight. A receive that hands out a message
      of such a group (SQS and moto do not, unless a visibility timeout ran out mid-batch) gives
      it back to the queue instead of invoking a second batch of that group;
    * FIFO pacing (`turn`): moto's long poll spins on the CPU for its whole wait while the queue
      has visible messages of a group in flight, which a FIFO queue has whenever a batch of a group
      with more messages runs, or a failed record holds its group until its visibility timeout. So
      a FIFO queue is long-polled only while none of our batches is in flight and no failure holds
      a group; otherwise it is short-polled, one poller at a time, with a pause that grows while
      nothing comes (FIFO_PAUSE … FIFO_PAUSE_MAX) and ends when a batch finishes (its groups are free);
    * scaling (`active`): as Lambda scales an event source's pollers with the backlog, only the first
      `active` pollers take batches. It starts at 1, grows by one (up to `concurrency`) each time a
      receive comes back with at least half a batch (messages are waiting) and shrinks by one when a
      long poll comes back empty. A light load thus keeps to one warm worker instead of spreading over cold
      ones (whose first batches pay their lazy initialisation), and a backlog brings every poller in;
    * how many batches are in flight now and at most (what tests report).
    """

    FIFO_PAUSE, FIFO_PAUSE_MAX = 0.05, 0.5
    DEFAULT_HOLD = 300.0       # seconds a failed FIFO record may hold its group when the queue cannot say

    def __init__(self, fifo: bool = False, concurrency: int = 1):
        self.fifo = fifo
        self.concurrency = max(1, concurrency)
        self.active = 1
        self.receiving = threading.Lock()
        self._cond = threading.Condition()
        self._groups: dict[str, int] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self._pause = self.FIFO_PAUSE
        self._next_poll_at = 0.0
        self._held_until = 0.0
        self.visibility_timeout: float | None = None

    # ---------------------------------------------------------------- batches in flight
    def claim(self, messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(the batch to invoke, messages whose group already has a batch in flight); the batch is now in flight."""
        with self._cond:
            taken, busy = [], []
            if self.fifo:
                for message in messages:
                    group = _group(message)
                    (busy if group is not None and self._groups.get(group) else taken).append(message)
                for group in {_group(m) for m in taken} - {None}:
                    self._groups[group] = self._groups.get(group, 0) + 1
            else:
                taken = list(messages)
            if taken:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            return taken, busy

    def finish(self, batch: list[dict[str, Any]], *, held: bool = False) -> None:
        """The batch is no longer in flight: its groups are free again (`held`: a failed record of it stays
        in flight on the queue until its visibility timeout, holding its group there)."""
        if not batch:
            return
        with self._cond:
            self.in_flight -= 1
            if self.fifo:
                for group in {_group(m) for m in batch} - {None}:
                    left = self._groups.get(group, 0) - 1
                    if left > 0:
                        self._groups[group] = left
                    else:
                        self._groups.pop(group, None)
                if held:
                    hold = self.visibility_timeout if self.visibility_timeout is not None else self.DEFAULT_HOLD
                    self._held_until = max(self._held_until, time.monotonic() + hold)
                self._pause, self._next_poll_at = self.FIFO_PAUSE, 0.0   # groups freed: poll at once
                self._cond.notify_all()

    def groups_in_flight(self) -> set[str]:
        with self._cond:
            return set(self._groups)

    # ---------------------------------------------------------------- FIFO pacing (callers hold `receiving`)
    def turn(self, wait_seconds: int, stop: threading.Event) -> int:
        """The WaitTimeSeconds of the next receive, after the pause that is due (see the class doc)."""
        if not self.fifo:
            return wait_seconds
        with self._cond:
            while True:
                now = time.monotonic()
                if self.in_flight == 0 and now >= self._held_until:
                    return wait_seconds
                if now >= self._next_poll_at or stop.is_set():
                    return 0
                self._cond.wait(min(self._next_poll_at - now, 0.5))

    def received(self, count: int, *, backlog: bool, waited: bool) -> None:
        """After a receive: `backlog` (at least half a batch came: messages are waiting), `waited` (a long poll)."""
        with self._cond:
            if backlog and self.active < self.concurrency:
                self.active += 1
                self._cond.notify_all()
            elif not count and waited and self.active > 1:
                self.active -= 1
            if not self.fifo:
                return
            if count:
                self._pause, self._next_poll_at = self.FIFO_PAUSE, 0.0
            else:
                self._next_poll_at = time.monotonic() + self._pause
                self._pause = min(self.FIFO_PAUSE_MAX, self._pause * 2)

    # ---------------------------------------------------------------- scaling
    def wait_until_active(self, index: int, stop: threading.Event) -> bool:
        """Block poller `index` while it is beyond the active ones; False when asked to stop."""
        with self._cond:
            while index >= self.active:
                if stop.is_set():
                    return False
                self._cond.wait(0.5)
            return not stop.is_set()


class SqsPoller:
    """One poller thread: receive → invoke → delete what succeeded. An event source runs `concurrency`
    of them sharing a `ReceiveGate` (see `start_pollers`).

    `settle_in_background`: the deletes (and FIFO releases) of a finished batch go to a thread of the
    poller's own, in order, while the poller receives its next batch, so its worker does not sit idle
    for them; `stop()` finishes what is queued there.
    """

    def __init__(self, source: SqsEventSource, sqs_client: Any, invoke: Callable[[str, dict], Invocation], *,
                 region: str = "us-east-1", wait_seconds: int = 1, error_backoff: float = 1.0,
                 gate: ReceiveGate | None = None, index: int = 0, settle_in_background: bool = False):
        self.source = source
        self.sqs = sqs_client
        self.invoke = invoke
        self.region = region
        self.wait_seconds = wait_seconds
        self.error_backoff = error_backoff
        self.gate = gate or ReceiveGate(source.fifo)
        self.index = index
        self.batches = 0
        self._stop = threading.Event()
        suffix = f"-{index}" if index else ""
        self._thread = threading.Thread(target=self._run, name=f"sqs-{source.function}-{source.event_name}{suffix}",
                                        daemon=True)
        self._settling: queue.Queue | None = queue.Queue() if settle_in_background else None
        self._settler = threading.Thread(target=self._settle_loop, name=f"{self._thread.name}-settle", daemon=True) \
            if settle_in_background else None

    def start(self) -> None:
        if self._settler is not None:
            self._settler.start()
        self._thread.start()

    def request_stop(self) -> None:
        self._stop.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._settler is not None and self._settler.is_alive():
            self._settling.put(None)                # after what is queued: every finished batch is settled
            self._settler.join(timeout)

    def _settle(self, work: Callable[[], None]) -> None:
        if self._settling is None:
            work()
        else:
            self._settling.put(work)

    def _settle_loop(self) -> None:
        while (work := self._settling.get()) is not None:
            try:
                work()
            except Exception:  # noqa: BLE001 - undeleted messages come back after the visibility timeout
                log.exception("poller %s/%s could not settle a batch", self.source.function, self.source.event_name)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            if not self.gate.wait_until_active(self.index, self._stop):
                return
            try:
                self.poll_once()
                failures = 0
            except Exception:  # keep polling: moto restarting, a worker being replaced, ...
                failures += 1
                log.exception("poller %s/%s failed", self.source.function, self.source.event_name)
                self._stop.wait(min(10.0, self.error_backoff * failures))

    def _visibility_timeout(self) -> float | None:
        try:
            answer = self.sqs.get_queue_attributes(QueueUrl=self.source.queue_url, AttributeNames=["VisibilityTimeout"])
            return float(answer["Attributes"]["VisibilityTimeout"])
        except Exception:  # noqa: BLE001 - the gate's default hold applies
            return None

    def receive(self) -> list[dict[str, Any]]:
        """Up to BatchSize messages: one (long) poll, then immediate receives while each came back full.

        Only one poller of the event source receives at a time (the gate); the others wait here.
        """
        messages: list[dict[str, Any]] = []
        with self.gate.receiving:
            if self.source.fifo and self.gate.visibility_timeout is None:
                self.gate.visibility_timeout = self._visibility_timeout()
            wait = first_wait = self.gate.turn(self.wait_seconds, self._stop)
            while len(messages) < self.source.batch_size and not self._stop.is_set():
                wanted = min(MAX_RECEIVE, self.source.batch_size - len(messages))
                answer = self.sqs.receive_message(
                    QueueUrl=self.source.queue_url, WaitTimeSeconds=wait, MaxNumberOfMessages=wanted,
                    MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"])
                received = answer.get("Messages") or []
                messages.extend(received)
                if len(received) < wanted:      # the queue had no more just now: no empty receive to find out
                    break
                wait = 0
            backlog = len(messages) >= (self.source.batch_size + 1) // 2      # at least half a batch was waiting
            self.gate.received(len(messages), backlog=backlog, waited=first_wait > 0)
        return messages

    def poll_once(self) -> int:
        """One receive → invoke → delete round; the number of records handed to the function."""
        messages, busy = self.gate.claim(self.receive())
        if busy:
            log.warning("%s: %d message(s) of a FIFO group with a batch in flight go back to the queue",
                        self.source.function, len(busy))
            self.release(busy)
        if not messages:
            return 0
        try:
            event = sqs_event(messages, self.source, self.region)
            try:
                outcome = self.invoke(self.source.function, event)
            except OSError as error:
                log.warning("could not invoke %s: %s", self.source.function, error)
                unavailable = "Runtime.Unavailable"
                outcome = Invocation({"errorType": unavailable, "errorMessage": str(error)}, unavailable)
            retry = failed_message_ids(event["Records"], outcome, self.source)
            if outcome.failed:
                log.warning("%s failed on a batch of %d from %s: %s", self.source.function, len(messages),
                            self.source.queue_arn, outcome.error_type)
        except BaseException:
            self.gate.finish(messages, held=True)   # nothing deleted: SQS redelivers after the visibility timeout
            raise
        released = released_behind_first_failure(event["Records"], retry) if self.source.fifo and retry else set()
        # the gate frees the groups first: until the deletes below, the queue itself keeps them locked
        self.gate.finish(messages, held=bool(retry))
        done = [m for m in messages if m["MessageId"] not in retry]
        back = [m for m in messages if m["MessageId"] in released]

        def settle() -> None:
            self.delete(done)
            self.release(back)

        self._settle(settle)
        self.batches += 1
        return len(messages)

    def release(self, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), MAX_RECEIVE):
            chunk = messages[start:start + MAX_RECEIVE]
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.source.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                         for i, m in enumerate(chunk)])

    def delete(self, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), MAX_RECEIVE):
            chunk = messages[start:start + MAX_RECEIVE]
            answer = self.sqs.delete_message_batch(
                QueueUrl=self.source.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)])
            for failure in answer.get("Failed") or []:
                log.warning("could not delete a message from %s: %s", self.source.queue_arn, failure)


def start_pollers(source: SqsEventSource, sqs_client: Any, invoke: Callable[[str, dict], Invocation],
                  concurrency: int, **options: Any) -> list[SqsPoller]:
    """`concurrency` started pollers for one event source, sharing one gate (and the thread-safe client)."""
    gate = ReceiveGate(source.fifo, concurrency)
    options.setdefault("settle_in_background", True)
    pollers = [SqsPoller(source, sqs_client, invoke, gate=gate, index=i, **options) for i in range(max(1, concurrency))]
    for poller in pollers:
        poller.start()
    return pollers


def stop_pollers(pollers: Iterable[SqsPoller], timeout: float = 10.0) -> None:
    """Ask every poller to stop at once (each may be in a long poll), then wait for each."""
    pollers = list(pollers)
    for poller in pollers:
        poller.request_stop()
    for poller in pollers:
        poller.stop(timeout)
