"""Non-HTTP entry points of the orders service."""
from __future__ import annotations

import json

from meridian.batch import process_sqs_batch
from meridian.observability import logger


def _payment_event(record) -> str:
    from orders import payment_events

    body = json.loads(record.body)
    return payment_events.apply(body["detail-type"], body["detail"])


@logger.inject_lambda_context(clear_state=True)
def on_payment_event(event, context):
    """payment.succeeded / failed / refunded from the bus (via SQS): move the order.

    Partial batch response with a deadline (meridian.batch): failed records, and those the timeout
    leaves no room for, come back (then go to the DLQ); the handler never raises."""
    return process_sqs_batch(event, context, _payment_event)


def _order_email(record) -> str:
    from orders import emails

    body = json.loads(record.body)
    return emails.send(body["order_id"], body["kind"])


@logger.inject_lambda_context(clear_state=True)
def send_order_email(event, context):
    """Send queued order emails through SES (each once)."""
    return process_sqs_batch(event, context, _order_email)


@logger.inject_lambda_context(clear_state=True)
def reconcile(event, context):
    """Scheduled: cancel expired pending orders, abandon orphaned intents, mark paid orders whose webhook was lost.
    The run's time is the scheduled event's `time` (EventBridge's; now when absent)."""
    from meridian.clock import parse_iso
    from orders import reconciliation

    at = (event or {}).get("time") if isinstance(event, dict) else None
    return reconciliation.reconcile(parse_iso(at) if at else None)
