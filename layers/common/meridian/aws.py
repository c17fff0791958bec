"""boto3 clients, one per service per execution environment.

Endpoints come from the standard AWS_ENDPOINT_URL (moto / LocalStack locally,
nothing on AWS). boto3 is imported lazily to keep cold starts short.

Timeouts: connect 2 s, read 5 s, 3 attempts (standard retry mode): an endpoint that refuses or
resets connections, or answers 5xx, fails a call in well under a second; `outage()` says which
errors mean "the service cannot answer" (503 with Retry-After for our caller).
"""
from __future__ import annotations

import sys
import threading
import time
from functools import cache

from .errors import ServiceUnavailable

_lock = threading.Lock()


def client_config():
    """Timeouts that fail a hung dependency well inside a function's Timeout (~7 s at worst)."""
    from botocore.config import Config

    return Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 2, "mode": "standard"})


@cache
def client(service: str):
    import boto3

    guard_dynamodb_outages()
    with _lock:
        return boto3.session.Session().client(service, config=client_config())


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


# ---------------------------------------------------------------------- outages
# An AWS dependency that cannot answer (no connection, a timeout, 5xx, throttled after the SDK's own
# retries) is a 503 with Retry-After for our caller: ServiceUnavailable, decided here and nowhere else.
OUTAGE_RETRY_AFTER = 5        # seconds: unreachable or failing (a restart, a failover)
THROTTLED_RETRY_AFTER = 2     # seconds: throttled even after the SDK's backoff
THROTTLING_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
    "RequestThrottled", "SlowDown", "PriorRequestNotComplete"})
UNAVAILABLE_CODES = frozenset({
    "ServiceUnavailable", "ServiceUnavailableException", "InternalServerError", "InternalFailure",
    "InternalError", "RequestTimeout", "RequestTimeoutException"})
_OUTAGE_DETAIL = "A service this request needs is not available right now; retry after Retry-After seconds."


def _from_answer(status: int | None, code: str | None) -> ServiceUnavailable | None:
    if code in THROTTLING_CODES:
        return ServiceUnavailable(_OUTAGE_DETAIL, retry_after=THROTTLED_RETRY_AFTER)
    if code in UNAVAILABLE_CODES or (status is not None and status >= 500):
        return ServiceUnavailable(_OUTAGE_DETAIL, retry_after=OUTAGE_RETRY_AFTER)
    return None


def outage(error: BaseException | None) -> ServiceUnavailable | None:
    """ServiceUnavailable when `error` means an AWS service could not answer, else None.

    botocore's connection errors (EndpointConnectionError, ConnectTimeoutError, ConnectionClosedError,
    ReadTimeoutError, ...) and ClientErrors of a 5xx or throttling answer, also wrapped: pynamodb's
    GetError/PutError/QueryError/TransactWriteError/... (their `cause`) and `raise ... from` chains.
    A ClientError of the caller's own making (a failed condition, a validation error) is None.
    """
    exceptions = sys.modules.get("botocore.exceptions")   # not loaded: no botocore error can exist
    for _ in range(8):
        if error is None:
            return None
        if isinstance(error, ServiceUnavailable):
            return error
        if exceptions is not None:
            if isinstance(error, (exceptions.ConnectionError, exceptions.HTTPClientError)):
                return ServiceUnavailable(_OUTAGE_DETAIL, retry_after=OUTAGE_RETRY_AFTER)
            if isinstance(error, exceptions.ClientError):
                response = getattr(error, "response", None) or {}
                found = _from_answer(response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
                                     response.get("Error", {}).get("Code"))
                if found is not None:
                    return found
        wrapped = getattr(error, "cause", None)                   # pynamodb's wrapper, or `raise X from Y`
        error = wrapped if isinstance(wrapped, BaseException) else error.__cause__
    return None


def _raise_on_failed_call(exception: BaseException, **_: object) -> None:
    """botocore `after-call-error`: the call got no answer, even after the SDK's retries."""
    found = outage(exception)
    if found is not None:
        raise found from exception


def _raise_on_failed_answer(http_response: object, parsed: dict, **_: object) -> None:
    """botocore `after-call`: the final answer (after the SDK's retries) was 5xx or throttled."""
    status = getattr(http_response, "status_code", 200)
    if status < 400:
        return
    found = _from_answer(status, (parsed or {}).get("Error", {}).get("Code"))
    if found is not None:
        raise found


_OUTAGE_HANDLERS = (("after-call-error.dynamodb", _raise_on_failed_call),
                    ("after-call.dynamodb", _raise_on_failed_answer))


def guard_dynamodb_outages() -> None:
    """Make every DynamoDB client created from now on (boto3's and pynamodb's, which builds its own
    botocore sessions) raise ServiceUnavailable when DynamoDB cannot answer, instead of a ClientError
    or a connection error that pynamodb then wraps in PutError/UpdateError/...

    Domain code reads `except PutError` / `except UpdateError` / `except TransactWriteError` as "the
    condition failed" (a conflict, a missing item, a repeat); an outage must not pass for one (a 409
    for a register that wrote nothing, a 404 for an address that exists). ServiceUnavailable is no
    pynamodb error, so it goes through those handlers to `meridian.api` (503 + Retry-After), or fails
    an SQS record (it comes back). Idempotent; ServiceApp() and `client()` call it.
    """
    import botocore.handlers

    for spec in _OUTAGE_HANDLERS:
        if spec not in botocore.handlers.BUILTIN_HANDLERS:   # read by every new botocore session
            botocore.handlers.BUILTIN_HANDLERS.append(spec)
