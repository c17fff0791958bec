"""The signing key set at run time: read from Secrets Manager (SIGNING_KEYS_SECRET_ARN), cached.

The secret is cached with `meridian.aws` (5 minutes per execution environment) and its parsed
set per secret value. The format: auth/key_set.py.

When the secret holds no usable key set (an empty secret made by CloudFormation, or a
random string), the service initializes it once: it writes a fresh set with a fixed
ClientRequestToken, so of several cold starts racing only one version is created and
the others re-read it.
"""
from __future__ import annotations

import json
import threading

from meridian import aws
from meridian.errors import ServiceUnavailable
from meridian.observability import logger

from .key_set import KeySet, new_key_set_document, parse_key_set

INIT_REQUEST_TOKEN = "meridian-signing-keys-initial-version-0001"  # 32–64 chars, idempotent init

_lock = threading.Lock()
_parsed: dict[str, KeySet] = {}


def _secret_id() -> str:
    from meridian.config import require_env

    return require_env("SIGNING_KEYS_SECRET_ARN")


def _read_raw(secret_id: str, *, fresh: bool = False) -> str | None:
    if fresh:
        aws.forget_secrets()
    try:
        return aws.secret_string(secret_id)
    except Exception as error:  # an empty secret has no version yet: ResourceNotFoundException
        code = getattr(error, "response", {}).get("Error", {}).get("Code")
        if code == "ResourceNotFoundException":
            return None
        raise


def current_key_set() -> KeySet:
    """The key set (cached with the secret, 5 minutes); initializes an empty secret once."""
    secret_id = _secret_id()
    try:
        raw = _read_raw(secret_id)
    except Exception as error:
        logger.exception("signing keys unreadable")
        raise ServiceUnavailable("Signing keys are unavailable.", retry_after=5) from error
    key_set = _parsed.get(raw or "")
    if key_set is None:
        key_set = parse_key_set(raw)
        if key_set is None:
            key_set = _initialize(secret_id)
        else:
            with _lock:
                _parsed.clear()
                _parsed[raw] = key_set
    return key_set


def _initialize(secret_id: str) -> KeySet:
    client = aws.client("secretsmanager")
    document = new_key_set_document()
    try:
        client.put_secret_value(SecretId=secret_id, SecretString=json.dumps(document),
                                ClientRequestToken=INIT_REQUEST_TOKEN)
        logger.info("initialized the signing key set", extra={"kid": document["active_kid"]})
    except Exception as error:  # someone else initialized it first (same request token, other value)
        logger.info("signing key set initialization lost a race or failed",
                    extra={"error": type(error).__name__})
    key_set = parse_key_set(_read_raw(secret_id, fresh=True))
    if key_set is None:
        raise ServiceUnavailable("Signing keys are unavailable.", retry_after=5)
    return key_set
