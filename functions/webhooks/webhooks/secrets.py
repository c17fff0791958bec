"""Endpoint signing secrets: `whsec_` + 32 random bytes (base64url), one Secrets Manager secret per
endpoint named <ENDPOINT_SECRET_PREFIX><endpoint id> (the only names the functions' roles may touch).
The secret is answered once, by the route that registers the endpoint; it is never stored in the
table, logged, audited or answered again."""
from __future__ import annotations

import base64
import secrets as _random

from meridian import aws
from meridian.config import require_env

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.urlsafe_b64encode(_random.token_bytes(32)).decode().rstrip("=")


def store(endpoint_id: str, secret: str) -> str:
    """Create the endpoint's secret; its ARN."""
    name = require_env("ENDPOINT_SECRET_PREFIX") + endpoint_id
    response = aws.client("secretsmanager").create_secret(
        Name=name, SecretString=secret, Description="Signing secret of a merchant webhook endpoint.")
    return response["ARN"]


def read(secret_arn: str) -> str:
    return aws.secret_string(secret_arn)


def remove(secret_arn: str) -> None:
    aws.client("secretsmanager").delete_secret(SecretId=secret_arn, ForceDeleteWithoutRecovery=True)
