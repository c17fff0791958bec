"""boto3 clients, one per service per execution environment.

Endpoints come from the standard AWS_ENDPOINT_URL (moto / LocalStack locally,
nothing on AWS). boto3 is imported lazily to keep cold starts short.
"""
from __future__ import annotations

import threading
import time
from functools import cache

_lock = threading.Lock()


@cache
def client(service: str):
    import boto3
    from botocore.config import Config

    with _lock:
        return boto3.session.Session().client(
            service, config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 3, "mode": "standard"})
        )


_secret_cache: dict[str, tuple[float, str]] = {}


def secret_string(secret_id: str, *, max_age: float = 300.0) -> str:
    """A secret's current value, cached per execution environment for `max_age` seconds."""
    cached = _secret_cache.get(secret_id)
    now = time.monotonic()
    if cached and now - cached[0] < max_age:
        return cached[1]
    value = client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    _secret_cache[secret_id] = (now, value)
    return value


def forget_secrets() -> None:
    _secret_cache.clear()
