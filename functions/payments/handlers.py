"""Non-HTTP entry points of the payments service."""
from __future__ import annotations

import json

from meridian.batch import process_sqs_batch
from meridian.http_headers import finish_response, request_id_for
from meridian.observability import logger


@logger.inject_lambda_context(clear_state=True)
def receive_webhook(event, context):
    """Function URL: verify the gateway's signature and queue the event (payload v2 in, v2 out)."""
    from payments import webhook

    # security headers and X-Request-Id on every answer: a function URL has no gateway adding them
    return finish_response(webhook.receive(event), request_id_for(event, context))


def _apply(record) -> str:
    from payments import processor

    return processor.apply_event(json.loads(record.body))


@logger.inject_lambda_context(clear_state=True)
def process_webhook_events(event, context):
    """SQS FIFO consumer: apply each event once; a failure (or the batch's deadline) skips the rest of its
    intent's group, reported for redelivery (meridian.batch)."""
    return process_sqs_batch(event, context, _apply, fifo=True)
