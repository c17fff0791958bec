"""Non-HTTP entry points of the users service."""
from __future__ import annotations

import json

from meridian.batch import process_sqs_batch
from meridian.events import detail_of
from meridian.observability import logger
from users import profiles

_REACTIONS = {
    "user.registered": profiles.on_user_registered,
}


def _handle(record) -> None:
    detail_type, detail = detail_of(json.loads(record.body))
    reaction = _REACTIONS.get(detail_type)
    if reaction is None:
        logger.info("ignored platform event", extra={"detail_type": detail_type})
        return
    reaction(detail)


@logger.inject_lambda_context(clear_state=True)
def on_platform_event(event, context):
    """UsersEventsQueue (EventBridge → SQS): idempotent reactions; failed records are retried."""
    return process_sqs_batch(event, context, _handle)
