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


_parameter_cache: dict[str, str] = {}


def parameter(name: str) -> str:
    """An SSM String parameter's value, read once per execution environment (cold start).

    For values fixed for the life of a deployment, such as the API's base URL. Errors (a
    missing parameter, no permission, SSM unreachable) are raised as boto3 raises them and
    nothing is cached, so the next call asks again.
    """
    cached = _parameter_cache.get(name)
    if cached is not None:
        return cached
    value = client("ssm").get_parameter(Name=name)["Parameter"]["Value"]
    _parameter_cache[name] = value
    return value


def forget_parameters() -> None:
    _parameter_cache.clear()
