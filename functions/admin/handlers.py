"""Non-HTTP entry points of the admin service."""
import json

from admin import audit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from meridian.observability import logger

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def _record(record) -> None:
    event = json.loads(record.body)
    created = audit.record_platform_event(event["detail-type"], event["detail"])
    logger.info("audit event", extra={"detail_type": event["detail-type"], "new": created})


@logger.inject_lambda_context
def record_audit_event(event, context):
    """Bus events (product.changed, fx.rates.refreshed) → audit log."""
    return process_partial_response(event=event, record_handler=_record, processor=processor, context=context)
