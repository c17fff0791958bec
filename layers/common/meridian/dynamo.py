"""PynamoDB helpers: exact Decimal numbers and UTC timestamps.

PynamoDB's NumberAttribute returns float; money must never pass through float.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from pynamodb.attributes import Attribute, UnicodeAttribute
from pynamodb.constants import NUMBER
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex


class DecimalAttribute(Attribute[Decimal]):
    attr_type = NUMBER

    def serialize(self, value: Decimal) -> str:
        if isinstance(value, float):
            raise TypeError("DecimalAttribute refuses float; use Decimal")
        return format(Decimal(value), "f")

    def deserialize(self, value: str) -> Decimal:
        return Decimal(value)


# a database that hangs must fail well inside a function's Timeout (10 s): pynamodb's defaults
# (15 s connect, 30 s read, 4 attempts) would outlive it; these make the worst case ~10 s less
CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 3
MAX_RETRY_ATTEMPTS = 1


def table_meta(table_name: str):
    """A PynamoDB Meta class for a service's table (endpoint from AWS_ENDPOINT_URL)."""
    import os

    from .aws import guard_dynamodb_outages

    guard_dynamodb_outages()  # an unreachable database is a 503, never a "condition failed"

    class Meta:
        pass

    Meta.table_name = table_name
    Meta.connect_timeout_seconds = CONNECT_TIMEOUT_SECONDS
    Meta.read_timeout_seconds = READ_TIMEOUT_SECONDS
    Meta.max_retry_attempts = MAX_RETRY_ATTEMPTS
    Meta.region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        Meta.host = endpoint
    return Meta


def share_connection(*models):
    """Let several PynamoDB models of ONE table use one connection (one botocore client).

    PynamoDB builds a connection per model class, each with its own botocore session, and
    creating one costs ~100 ms (cold starts, tests). Pass the model that declares the table's
    indexes first. Returns the shared pynamodb Connection (for TransactWrite).
    """
    first = models[0]._get_connection()
    for model in models[1:]:
        if model.Meta.table_name != first.table_name:
            raise ValueError(f"{model.__name__} is on another table")
        model._connection = first
    return first.connection


def generic_index(number: int, name: str | None = None) -> type[GlobalSecondaryIndex]:
    """The index `gsi<number>` on (gsi<number>pk, gsi<number>sk), projecting everything.

    Every service table declares its indexes in this one overloaded shape (template.yaml),
    and each model gives its own meaning to the keys.
    """
    meta = type("Meta", (), {"index_name": f"gsi{number}", "projection": AllProjection()})
    return type(name or f"Gsi{number}", (GlobalSecondaryIndex,), {
        "Meta": meta,
        f"gsi{number}pk": UnicodeAttribute(hash_key=True),
        f"gsi{number}sk": UnicodeAttribute(range_key=True),
    })


def condition_failed(error: BaseException) -> bool:
    """Whether a single-item write (pynamodb's PutError/UpdateError/DeleteError, or botocore's
    ClientError) was refused because its condition did not hold."""
    code = getattr(error, "cause_response_code", None)
    if code is None:
        response = getattr(error, "response", None)
        code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return code == "ConditionalCheckFailedException"


def applied(write: Callable[[], object]) -> bool:
    """Run one conditional single-item write: True when it was applied, False when its condition did
    not hold; any other failure raises."""
    try:
        write()
    except Exception as error:
        if condition_failed(error):
            return False
        raise
    return True


def cancellation_codes(error) -> list[str | None]:
    """Per-item cancellation codes of a pynamodb TransactWriteError (None for the items that were fine)."""
    reasons = getattr(error, "cancellation_reasons", None) or []
    return [getattr(r, "code", None) if r is not None else None for r in reasons]
