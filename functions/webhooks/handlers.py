"""Non-HTTP entry points of the webhooks service."""
from __future__ import annotations

import json

from meridian.batch import process_sqs_batch
from meridian.events import detail_of
from meridian.observability import logger


def _order_event(record) -> int:
    from webhooks import deliveries

    detail_type, detail = detail_of(json.loads(record.body))
    return deliveries.fan_out(detail_type, detail)


@logger.inject_lambda_context(clear_state=True)
def fan_out(event, context):
    """Order events from the bus (via SQS): one delivery per subscribed, enabled endpoint."""
    return process_sqs_batch(event, context, _order_event)


def _delivery(record) -> str:
    from webhooks import deliveries

    message = json.loads(record.body)
    result = deliveries.attempt(message)
    logger.info("webhook delivery", extra={"delivery_id": message["delivery_id"], "result": result})
    return result


@logger.inject_lambda_context(clear_state=True)
def deliver(event, context):
    """Messages of the deliveries queue: one attempt each (or a re-delay until it is due)."""
    return process_sqs_batch(event, context, _delivery)
