"""Idempotency-Key, once for every service: Powertools' idempotency utility on the service's own table.

    status, body = idempotency.run_once(scope, key, request, action, required=False)

`action()` returns (status, body) and runs at most once per (scope, key); `scope` says what the key
is for and whose it is (`"orders:checkout:<user>"`, `"products:create:<admin>"`: two users may use
the same key); `request` is what must match on a repeat (the body, the target).

  - the key is trimmed; blank or absent → `action()` runs without idempotency, or 400 when `required`;
    longer than MAX_KEY_LENGTH (255) characters → 400;
  - the same key with the same request → the first (status, body), nothing is done again;
  - the same key with another request → 422;
  - while the first request with a key is still running, a second one waits for its answer (up to
    WAIT_FOR_FIRST_SECONDS) and answers the same; after that → 409 with Retry-After: 1;
  - an action that raises frees the key (the request may be retried with it);
  - records live IDEMPOTENCY_TTL_SECONDS (default 24 h) in the table IDEMPOTENCY_TABLE_NAME (pk `id`,
    TTL `expiration`: Powertools' DynamoDBPersistenceLayer), one table per service that uses it.

Powertools' idempotency package (~20 ms) and its DynamoDB client (~70 ms) are imported on the first
request that carries a key, never on a cold start: reads and other writes do not pay for them.
"""
from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from typing import Any

from . import aws, jsonutil
from .config import int_env, require_env
from .errors import Conflict, Unprocessable, ValidationFailed

MAX_KEY_LENGTH = 255
WAIT_FOR_FIRST_SECONDS = 8.0
HEADER = "Idempotency-Key"


def checked_key(key: str | None, *, required: bool = False) -> str | None:
    """The trimmed key; None when blank or absent (400 when `required`); 400 when too long."""
    if key is None or not key.strip():
        if required:
            raise ValidationFailed({HEADER: ["This header is required."]})
        return None
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed({HEADER: [f"At most {MAX_KEY_LENGTH} characters."]})
    return key.strip()


def _run(request: dict, action: Callable[[], tuple[int, Any]]) -> dict:
    # the stored keys are prefixed with this function's module.qualname: keep the name
    status, body = action()
    return {"status": status, "body": json.loads(jsonutil.dumps(body))}   # what a replay answers, exactly


@functools.lru_cache(maxsize=1)
def _idempotent(dynamodb):
    """(the idempotent `_run`, its config) on the `dynamodb` client, built on first use, not at cold start."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    persistence = DynamoDBPersistenceLayer(table_name=require_env("IDEMPOTENCY_TABLE_NAME"), boto3_client=dynamodb)
    config = IdempotencyConfig(event_key_jmespath="[scope, key]", payload_validation_jmespath="request",
                               raise_on_no_idempotency_key=True,
                               expires_after_seconds=int_env("IDEMPOTENCY_TTL_SECONDS", 86400))
    run = idempotent_function(data_keyword_argument="request", config=config, persistence_store=persistence)(_run)
    return run, config


def _lambda_context():
    """The running invocation's Lambda context, if any: Powertools then holds a key "in progress" only until
    that invocation's timeout (a request whose Lambda died frees its key then, not after the TTL)."""
    from .api import current_app

    app = current_app()
    context = getattr(app, "lambda_context", None) if app is not None else None
    if context is None or context.get_remaining_time_in_millis() <= 0:
        return None
    return context


def run_once(scope: str, key: str | None, request: Any, action: Callable[[], tuple[int, Any]], *,
             required: bool = False) -> tuple[int, Any]:
    """(status, body) of `action`, run at most once per (scope, key); see the module's documentation."""
    key = checked_key(key, required=required)
    if key is None:
        return action()
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    run, config = _idempotent(aws.client("dynamodb"))   # the execution environment's one DynamoDB client
    config.register_lambda_context(_lambda_context())      # None: no timeout known, held until done or the TTL
    payload = {"scope": scope, "key": key, "request": request}
    deadline = time.monotonic() + WAIT_FOR_FIRST_SECONDS
    while True:
        try:
            first = run(request=payload, action=action)
            return first["status"], first["body"]
        except IdempotencyValidationError:
            raise Unprocessable("This Idempotency-Key was already used with a different request.") from None
        except IdempotencyAlreadyInProgressError:
            if time.monotonic() > deadline:
                raise Conflict("A request with this Idempotency-Key is still in progress; retry shortly.",
                               headers={"Retry-After": "1"}) from None
            time.sleep(0.1)
