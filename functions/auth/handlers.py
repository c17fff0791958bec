"""Non-HTTP entry points of the auth service."""
from __future__ import annotations

import json

from auth import emails
from meridian.batch import process_sqs_batch
from meridian.observability import logger


def _send_one(record) -> None:
    message = json.loads(record.body)
    message_id = emails.send(emails.render(message))
    logger.info("account e-mail sent", extra={"kind": message.get("kind"), "ses_message_id": message_id})


@logger.inject_lambda_context(clear_state=True)
def send_email(event, context):
    """AuthEmailQueue → SES; failed records are reported back (partial batch response) and retried."""
    return process_sqs_batch(event, context, _send_one)


@logger.inject_lambda_context(clear_state=True, log_event=False)  # the event holds a password: never logged
def create_first_super_admin(event, context):
    """AuthBootstrapFunction (no event source; `make create-admin` invokes it): the stack's first super_admin.

    `{"email", "password", "name"?, "promote_existing"?}` → `{"user_id", "email", "role", "promoted"}`,
    or `{"error", "message", "errors"?}` having written nothing (rules: auth/bootstrap.py).
    """
    from auth import bootstrap  # marshmallow and argon2 load for this function only

    return bootstrap.create_first_super_admin(event)
