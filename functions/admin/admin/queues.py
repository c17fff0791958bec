"""Queue depths and dead letters: list what failed, and send it back.

What admins see of a dead letter is redacted (`meridian.redaction`), with the reason it failed
(`meridian.dead_letters`: the consumer hands its last attempt over with the error). A redrive sends
the original message back (without those attributes), a whole queue's or one message's.

moto has no SQS StartMessageMoveTask, so a redrive moves messages itself:
receive from the DLQ → send to the source queue → delete from the DLQ. A message is
deleted only after it was sent, so a crash in between can duplicate, never lose, a
message (consumers are idempotent).
"""
from __future__ import annotations

import json
import os
import uuid
from functools import lru_cache

from meridian import aws
from meridian.audit import describe
from meridian.dead_letters import OURS
from meridian.errors import NotFound, ValidationFailed

MAX_MESSAGES_LOOKED_AT = 1000       # per queue and redrive: a bound on one request's work


@lru_cache(maxsize=1)
def queues() -> dict[str, dict[str, str]]:
    return json.loads(os.environ["QUEUES"])


def _depth(url: str) -> dict[str, int]:
    attrs = aws.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return {"visible": int(attrs.get("ApproximateNumberOfMessages", 0)),
            "in_flight": int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0))}


def depths() -> dict[str, dict]:
    return {name: {"queue": _depth(q["queue"]), "dead_letters": _depth(q["dlq"])} for name, q in queues().items()}


def _named(name: str | None) -> dict[str, dict[str, str]]:
    if name is None:
        return queues()
    if name not in queues():
        raise ValidationFailed({"queue": [f"Unknown queue. Known: {', '.join(sorted(queues()))}."]})
    return {name: queues()[name]}


def dead_letters(name: str | None = None, per_queue: int = 10) -> list[tuple[str, dict]]:
    """A look at up to `per_queue` messages of each DLQ (they stay in the DLQ): (queue name, SQS message)
    pairs (what admins see of them: admin/views.py)."""
    sqs = aws.client("sqs")
    found = []
    for queue_name, q in _named(name).items():
        messages = sqs.receive_message(QueueUrl=q["dlq"], MaxNumberOfMessages=min(10, per_queue), VisibilityTimeout=0,
                                       AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])
        found.extend((queue_name, m) for m in messages)
    return found


def redrive(name: str | None = None, max_messages: int = 100) -> dict[str, int]:
    """Move up to `max_messages` per DLQ back to its source queue (the audit log says how many)."""
    sqs = aws.client("sqs")
    moved = {queue_name: _move_back(sqs, q, max_messages) for queue_name, q in _named(name).items()}
    describe(action="dead_letters.redrive", target=f"queue:{name or '*'}", after={"moved": moved})
    return moved


def redrive_one(name: str, message_id: str) -> dict[str, int]:
    """Move the dead letter `message_id` of queue `name` back; 404 when either is not there."""
    q = queues().get(name)
    if q is None or not _move_back(aws.client("sqs"), q, 1, only=message_id):
        raise NotFound(f"No dead letter {message_id} in {name}.")
    moved = {name: 1}
    describe(action="dead_letters.redrive", target=f"queue:{name}", after={"moved": moved, "message_id": message_id})
    return moved


def _move_back(sqs, q: dict[str, str], limit: int, only: str | None = None) -> int:
    """Up to `limit` messages (or the one with id `only`) from the DLQ to its source queue. Messages
    looked at and not moved stay invisible while this runs (none is looked at twice), then are made
    visible again at once."""
    moved, passed_over = 0, []
    while moved < limit and len(passed_over) < MAX_MESSAGES_LOOKED_AT:
        batch = sqs.receive_message(QueueUrl=q["dlq"], MaxNumberOfMessages=10, VisibilityTimeout=60,
                                    AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])
        if not batch:
            break
        for m in batch:
            if moved >= limit or (only is not None and m["MessageId"] != only):
                passed_over.append(m["ReceiptHandle"])
            else:
                _send_back(sqs, q, m)
                moved += 1
    _make_visible(sqs, q["dlq"], passed_over)
    return moved


def _make_visible(sqs, url: str, receipt_handles: list[str]) -> None:
    """Messages received but not moved: back in the DLQ's listing now, not after the visibility timeout."""
    for start in range(0, len(receipt_handles), 10):
        sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
            for i, handle in enumerate(receipt_handles[start:start + 10])])


def _send_back(sqs, q: dict[str, str], m: dict) -> None:
    """The original message to its source queue (without our dead-letter attributes), then out of the DLQ."""
    send = {"QueueUrl": q["queue"], "MessageBody": m["Body"]}
    attributes = {k: v for k, v in (m.get("MessageAttributes") or {}).items() if k not in OURS}
    if attributes:
        send["MessageAttributes"] = attributes
    if q["queue"].endswith(".fifo"):
        send["MessageGroupId"] = m["Attributes"].get("MessageGroupId", "redrive")
        send["MessageDeduplicationId"] = f"redrive-{uuid.uuid4().hex}"
    sqs.send_message(**send)
    sqs.delete_message(QueueUrl=q["dlq"], ReceiptHandle=m["ReceiptHandle"])
