"""Idempotent checkout with Powertools idempotency (DynamoDB table IDEMPOTENCY_TABLE_NAME).

The key is (user, Idempotency-Key): two users may use the same key. The request body is
the payload that must match: the same key with another body → 422. While the first
request with a key is still running, a second one waits for its result (and answers the
same), so two concurrent requests with one key place one order.
"""
from __future__ import annotations

import functools
import time
from typing import Any

from meridian.config import int_env, require_env
from meridian.errors import Conflict, Unprocessable, ValidationFailed

MAX_KEY_LENGTH = 255
WAIT_FOR_FIRST_SECONDS = 8.0


@functools.lru_cache(maxsize=1)
def _idempotent_checkout():
    """(the idempotent checkout, its config), built on the first checkout, not at cold start.

    Powertools' idempotency package (~20 ms) and its DynamoDB client (~70 ms) are only
    needed by POST /orders; reads and cancels never pay for them.
    """
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )
    from meridian.aws import client_config

    persistence = DynamoDBPersistenceLayer(table_name=require_env("IDEMPOTENCY_TABLE_NAME"),
                                           boto_config=client_config())
    config = IdempotencyConfig(event_key_jmespath="[user_id, key]", payload_validation_jmespath="body",
                               raise_on_no_idempotency_key=True,
                               expires_after_seconds=int_env("IDEMPOTENCY_TTL_SECONDS", 86400))
    checkout_once = idempotent_function(data_keyword_argument="request", config=config,
                                        persistence_store=persistence)(_checkout_once)
    return checkout_once, config


def check_key(key: str | None) -> str:
    if not key or not key.strip():
        raise ValidationFailed({"Idempotency-Key": ["This header is required to place an order."]})
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed({"Idempotency-Key": [f"At most {MAX_KEY_LENGTH} characters."]})
    return key.strip()


def _checkout_once(request: dict) -> dict:
    # the stored keys are prefixed with this function's module.qualname: keep the name
    from . import checkout

    body = checkout.place_order(user_id=request["user_id"], email=request["email"], request=request["order"],
                                actor=request["actor"])
    return {"status": 201, "body": body}


def place_order_once(*, user_id: str, key: str, body: Any, order: dict, email: str | None, actor: str,
                     lambda_context=None) -> dict:
    """Checkout once per (user, key): {status, body} — the stored first answer on a repeat."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    checkout_once, config = _idempotent_checkout()
    if lambda_context is not None:
        config.register_lambda_context(lambda_context)
    request = {"user_id": user_id, "key": key, "body": body, "order": order, "email": email, "actor": actor}
    deadline = time.monotonic() + WAIT_FOR_FIRST_SECONDS
    while True:
        try:
            return checkout_once(request=request)
        except IdempotencyValidationError:
            raise Unprocessable("This Idempotency-Key was already used with a different request body.") from None
        except IdempotencyAlreadyInProgressError:
            if time.monotonic() > deadline:
                raise Conflict("A request with this Idempotency-Key is still in progress; retry shortly.",
                               headers={"Retry-After": "1"}) from None
            time.sleep(0.1)
