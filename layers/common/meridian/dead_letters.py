"""A message's last failed attempt hands it to its dead-letter queue with the reason it failed.

SQS moves a message to the DLQ by itself after maxReceiveCount receives, but it does not say why.
So on the attempt SQS would give up on (`ApproximateReceiveCount >= MAX_RECEIVE_COUNT`, one
template parameter that also sets every queue's RedrivePolicy), the batch loop
(`meridian.batch`) sends the message to the function's DEAD_LETTER_QUEUE_URL itself, with the
error as message attributes (below), and reports the record done so SQS deletes it from the
source queue. If that send fails, the record stays failed and SQS's own redrive still moves it
(without the error): never lost, at worst unexplained. On a FIFO DLQ the deduplication id is the
message id, so a handover repeated after a crash is stored once.

Attributes: `meridian-last-error` ("<type>: <message>", secrets redacted, at most 1,000
characters), `meridian-failed-at` (ISO time), `meridian-receive-count`. A redrive removes them.
"""
from __future__ import annotations

import os
from typing import Any

from . import aws
from .clock import iso
from .observability import count, logger
from .redaction import redacted

LAST_ERROR = "meridian-last-error"
FAILED_AT = "meridian-failed-at"
RECEIVE_COUNT = "meridian-receive-count"
OURS = (LAST_ERROR, FAILED_AT, RECEIVE_COUNT)
MAX_ERROR_CHARS = 1000
_SQS_MAX_ATTRIBUTES = 10


def error_text(error: BaseException) -> str:
    return str(redacted(f"{type(error).__name__}: {error}"))[:MAX_ERROR_CHARS]


def _receives(record: Any) -> int:
    return int((record.raw_event.get("attributes") or {}).get("ApproximateReceiveCount") or 0)


def _is_last_attempt(record: Any) -> bool:
    limit = int(os.environ.get("MAX_RECEIVE_COUNT") or 0)
    return bool(os.environ.get("DEAD_LETTER_QUEUE_URL")) and limit > 0 and _receives(record) >= limit


def _carried_attributes(record: Any) -> dict[str, dict]:
    """The message's own attributes, in SendMessage's shape (ours dropped; room left for ours)."""
    carried = {}
    for name, value in (record.raw_event.get("messageAttributes") or {}).items():
        if name in OURS or len(carried) >= _SQS_MAX_ATTRIBUTES - len(OURS):
            continue
        data_type = value.get("dataType") or "String"
        binary = data_type.startswith("Binary")
        carried[name] = {"DataType": data_type, "BinaryValue" if binary else "StringValue":
                         value.get("binaryValue" if binary else "stringValue")}
    return carried


def hand_over(record: Any, error: BaseException) -> bool:
    """On the last attempt, send `record` to the DLQ with `error`; True when it is there."""
    if not _is_last_attempt(record):
        return False
    url = os.environ["DEAD_LETTER_QUEUE_URL"]
    receives = str(_receives(record))
    message = {"QueueUrl": url, "MessageBody": record.body, "MessageAttributes": {
        **_carried_attributes(record),
        LAST_ERROR: {"DataType": "String", "StringValue": error_text(error)},
        FAILED_AT: {"DataType": "String", "StringValue": iso()},
        RECEIVE_COUNT: {"DataType": "Number", "StringValue": receives}}}
    if url.endswith(".fifo"):
        message["MessageGroupId"] = (record.raw_event.get("attributes") or {}).get("MessageGroupId") or "dead-letters"
        message["MessageDeduplicationId"] = record.message_id
    try:
        aws.client("sqs").send_message(**message)
    except Exception:  # noqa: BLE001 - SQS's own redrive still moves it, without the reason
        logger.exception("could not hand a failed message to its DLQ", extra={"message_id": record.message_id})
        return False
    logger.error("message dead-lettered", extra={"message_id": record.message_id, "receives": receives,
                                                  "error": message["MessageAttributes"][LAST_ERROR]["StringValue"]})
    count("MessagesDeadLettered")
    return True
