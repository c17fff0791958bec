"""Configuration from environment variables (template.yaml sets them).

A service module reads its settings at import time with `require_env`, so a missing
variable fails the cold start with the variable's name instead of failing later.

The API's own base URL is not an environment variable (on AWS that would be a circular
dependency: the API refers to every HTTP function). Every function gets
API_BASE_URL_PARAMETER, the name of an SSM String parameter holding the base URL with its
stage (`https://<id>.execute-api.<region>.amazonaws.com/Prod` on AWS, the local gateway's
internal listener locally); `api_base_url()` reads it once per execution environment.
"""
from __future__ import annotations

import os


class MissingConfiguration(RuntimeError):
    pass


def require_env(name: str) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        raise MissingConfiguration(f"environment variable {name} is required but not set")
    return value


API_BASE_URL_PARAMETER = "API_BASE_URL_PARAMETER"
JWKS_PATH = "/api/v1/auth/.well-known/jwks.json"


def api_base_url() -> str:
    """The API's base URL, stage included, without a trailing slash (SSM, cached per cold start).

    MissingConfiguration when the variable or the parameter does not exist; ServiceUnavailable
    (503) when SSM cannot be read right now (nothing cached: the next call asks again).
    """
    name = require_env(API_BASE_URL_PARAMETER)
    from . import aws

    try:
        value = aws.parameter(name)
    except Exception as error:  # noqa: BLE001 - botocore's errors, imported lazily
        response = getattr(error, "response", None)
        code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
        if code == "ParameterNotFound":
            raise MissingConfiguration(f"SSM parameter {name} ({API_BASE_URL_PARAMETER}) does not exist") from None
        from .errors import ServiceUnavailable

        raise ServiceUnavailable(f"The API's base URL could not be read from SSM ({type(error).__name__}).",
                                 retry_after=1) from error
    return value.strip().rstrip("/")


def jwks_url() -> str:
    """Where the auth service publishes the public keys that verify access tokens."""
    return api_base_url() + JWKS_PATH


def optional_env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise MissingConfiguration(f"environment variable {name} must be an integer, got {raw!r}") from exc


def seconds_env(name: str, default: float) -> float:
    """A duration (seconds or hours, as the name says) from the environment; never money."""
    raw = os.environ.get(name)
    if raw in (None, ""):
        return float(default)
    try:
        return float(raw)
    except ValueError as exc:
        raise MissingConfiguration(f"environment variable {name} must be a number, got {raw!r}") from exc
