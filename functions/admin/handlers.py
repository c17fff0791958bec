"""Non-HTTP entry points of the admin service."""
import json

from admin import audit
from meridian.batch import process_sqs_batch
from meridian.observability import logger


def _record(record) -> None:
    event = json.loads(record.body)
    created = audit.record_platform_event(event["detail-type"], event["detail"])
    logger.info("audit event", extra={"detail_type": event["detail-type"], "new": created})


@logger.inject_lambda_context
def record_audit_event(event, context):
    """Bus events (product.changed, fx.rates.refreshed) → audit log."""
    return process_sqs_batch(event, context, _record)
