"""Queue depths and dead letters: list what failed, and send it back.

What admins see of a dead letter is redacted (`redacted`): values under secret-bearing keys
(client_secret, token, password, secret, api key, authorization, signature) and strings that
look like credentials (a payment intent's `pi_…_secret_…`, Stripe `sk_`/`rk_`/`whsec_` keys)
become "[redacted]". A redrive sends the original message, untouched.

moto has no SQS StartMessageMoveTask, so a redrive moves messages itself:
receive from the DLQ → send to the source queue → delete from the DLQ. A message is
deleted only after it was sent, so a crash in between can duplicate, never lose, a
message (consumers are idempotent).
"""
from __future__ import annotations

import json
import os
import re
import uuid
from functools import lru_cache

from meridian import aws
from meridian.errors import ValidationFailed


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


REDACTED = "[redacted]"
_SECRET_KEY = re.compile(r"secret|token|password|passwd|api[_-]?key|authorization|signature|credential", re.I)
_SECRET_TEXT = re.compile(r"\bpi_[A-Za-z0-9]+_secret_[A-Za-z0-9]+|\b(?:sk|rk)_(?:test|live)_[A-Za-z0-9]+|"
                          r"\bwhsec_[A-Za-z0-9]+")


def redacted(value: object) -> object:
    """`value` with secrets replaced (see the module's documentation)."""
    if isinstance(value, dict):
        return {k: REDACTED if _SECRET_KEY.search(str(k)) else redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redacted(v) for v in value]
    if isinstance(value, str):
        return _SECRET_TEXT.sub(REDACTED, value)
    return value


def _preview(body: str) -> object:
    try:
        return redacted(json.loads(body))
    except ValueError:
        return redacted(body[:2000])


def dead_letters(name: str | None = None, per_queue: int = 10) -> list[dict]:
    """A look at up to `per_queue` messages of each DLQ (they stay in the DLQ)."""
    sqs = aws.client("sqs")
    found = []
    for queue_name, q in _named(name).items():
        messages = sqs.receive_message(QueueUrl=q["dlq"], MaxNumberOfMessages=min(10, per_queue),
                                       VisibilityTimeout=0, AttributeNames=["All"]).get("Messages", [])
        for m in messages:
            found.append({"queue": queue_name, "message_id": m["MessageId"], "body": _preview(m["Body"]),
                          "receive_count": int(m["Attributes"].get("ApproximateReceiveCount", 0)),
                          "first_sent_at": m["Attributes"].get("SentTimestamp")})
    return found


def redrive(name: str | None = None, max_messages: int = 100) -> dict[str, int]:
    """Move up to `max_messages` per DLQ back to its source queue."""
    sqs = aws.client("sqs")
    moved: dict[str, int] = {}
    for queue_name, q in _named(name).items():
        fifo = q["queue"].endswith(".fifo")
        count = 0
        while count < max_messages:
            batch = sqs.receive_message(QueueUrl=q["dlq"], MaxNumberOfMessages=min(10, max_messages - count),
                                        VisibilityTimeout=30, AttributeNames=["All"],
                                        MessageAttributeNames=["All"]).get("Messages", [])
            if not batch:
                break
            for m in batch:
                send = {"QueueUrl": q["queue"], "MessageBody": m["Body"]}
                if m.get("MessageAttributes"):
                    send["MessageAttributes"] = m["MessageAttributes"]
                if fifo:
                    send["MessageGroupId"] = m["Attributes"].get("MessageGroupId", "redrive")
                    send["MessageDeduplicationId"] = f"redrive-{uuid.uuid4().hex}"
                sqs.send_message(**send)
                sqs.delete_message(QueueUrl=q["dlq"], ReceiptHandle=m["ReceiptHandle"])
                count += 1
        moved[queue_name] = count
    return moved
