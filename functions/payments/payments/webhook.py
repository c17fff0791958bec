"""The webhook receiver (function URL): verify, queue, answer — nothing else.

Stripe's scheme (`payments/signature.py`): `Stripe-Signature` over the raw body, with the
endpoint's signing secret (`whsec_…`, WEBHOOK_SECRET_ARN) and WEBHOOK_TOLERANCE_SECONDS.
The sandbox gateway signs the same way, so the receiver needs no gateway setting.
A verified event goes to the FIFO queue with group = its payment intent (events of one
intent are processed in order, one at a time) and dedup id = the event id (a redelivery
within 5 minutes is dropped by SQS; later ones by the processor's conditional write).
"""
from __future__ import annotations

import base64
import json

from meridian import aws, jsonutil
from meridian.config import int_env, require_env
from meridian.observability import count, logger

from .signature import HEADER, InvalidSignature, verify_webhook_signature
from .states import intent_id_of

QUEUE_URL = require_env("WEBHOOK_QUEUE_URL")
SECRET_ARN = require_env("WEBHOOK_SECRET_ARN")
TOLERANCE = int_env("WEBHOOK_TOLERANCE_SECONDS", 300)
_SAFE_ID = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")


def _answer(status: int, body: dict) -> dict:
    return {"statusCode": status, "headers": {"Content-Type": "application/json; charset=utf-8"},
            "body": json.dumps(body)}


def _problem(status: int, title: str, detail: str, slug: str) -> dict:
    body = {"type": f"https://meridian.dev/problems/{slug}", "title": title, "status": status, "detail": detail}
    response = _answer(status, body)
    response["headers"]["Content-Type"] = "application/problem+json"
    return response


def _bad(detail: str) -> dict:
    count("WebhooksRejected")
    return _problem(400, "Bad Request", detail, "bad-request")


def _raw_body(event: dict) -> bytes:
    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()


def _ok_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 128 and set(value) <= _SAFE_ID


def receive(event: dict) -> dict:
    method = ((event.get("requestContext") or {}).get("http") or {}).get("method", "POST").upper()
    if method != "POST":
        response = _problem(405, "Method Not Allowed", "Webhooks are POSTed.", "method-not-allowed")
        response["headers"]["Allow"] = "POST"
        return response
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    raw = _raw_body(event)
    try:
        verify_webhook_signature(headers.get(HEADER.lower()), raw, aws.secret_string(SECRET_ARN).strip(),
                                 tolerance=TOLERANCE)
    except InvalidSignature as exc:
        logger.warning("webhook signature rejected", extra={"reason": str(exc)})
        return _bad("The webhook signature is invalid or its timestamp is outside the tolerance.")
    try:
        payload = jsonutil.loads_request(raw)
        event_id, intent_id = payload["id"], intent_id_of(payload)
        payload["type"]  # noqa: B018 - required field
    except jsonutil.JsonTooComplex as error:
        return _bad(f"The webhook body is not a gateway event: {error}")
    except (ValueError, KeyError, TypeError, AttributeError):
        return _bad("The webhook body is not a gateway event.")
    if not _ok_id(event_id) or (intent_id is not None and not _ok_id(intent_id)):
        return _bad("The webhook event carries an invalid id.")
    aws.client("sqs").send_message(QueueUrl=QUEUE_URL, MessageBody=raw.decode(),
                                   MessageGroupId=intent_id or "no-intent", MessageDeduplicationId=event_id)
    count("WebhooksAccepted")
    return _answer(200, {"received": True})

