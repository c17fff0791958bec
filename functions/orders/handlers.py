"""Non-HTTP entry points of the orders service."""
from __future__ import annotations

import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from meridian.observability import logger


def _processor() -> BatchProcessor:
    """Partial batch responses: failed records come back (then go to the DLQ); never raise."""
    return BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def _payment_event(record) -> str:
    from orders import payment_events

    body = json.loads(record.body)
    return payment_events.apply(body["detail-type"], body["detail"])


@logger.inject_lambda_context(clear_state=True)
def on_payment_event(event, context):
    """payment.succeeded / failed / refunded from the bus (via SQS): move the order."""
    return process_partial_response(event=event, record_handler=_payment_event,
                                    processor=_processor(), context=context)


def _order_email(record) -> str:
    from orders import emails

    body = json.loads(record.body)
    return emails.send(body["order_id"], body["kind"])


@logger.inject_lambda_context(clear_state=True)
def send_order_email(event, context):
    """Send queued order emails through SES (each once)."""
    return process_partial_response(event=event, record_handler=_order_email,
                                    processor=_processor(), context=context)


@logger.inject_lambda_context(clear_state=True)
def reconcile(event, context):
    """Scheduled: cancel expired pending orders, mark paid orders whose webhook was lost."""
    from orders import reconciliation

    return reconciliation.reconcile()
