"""Ports, paths and names of the local stack, in one place.

Every value can be overridden by the environment variable of the same name, so a
test stack can run beside a `make up` stack on free ports.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("MERIDIAN_STATE_DIR", ROOT / ".local"))
STACK_NAME = os.environ.get("STACK_NAME", "meridian")
REGION = os.environ.get("AWS_REGION", "us-east-1")

AWS_PORT = int(os.environ.get("AWS_PORT", "4566"))
# AWS's DynamoDB Local (infra/dynamodb_local): the stack's DynamoDB; moto keeps the other AWS APIs
DYNAMODB_PORT = int(os.environ.get("DYNAMODB_PORT", "4569"))
GATEWAY_HTTPS_PORT = int(os.environ.get("GATEWAY_HTTPS_PORT", "8443"))
GATEWAY_HTTP_PORT = int(os.environ.get("GATEWAY_HTTP_PORT", "8080"))
# plain-HTTP listener on 127.0.0.1 for service-to-service calls (API_BASE_URL locally): no TLS, no rate limits
GATEWAY_INTERNAL_PORT = int(os.environ.get("GATEWAY_INTERNAL_PORT", "8081"))
WORKERS_PER_FUNCTION = int(os.environ.get("WORKERS_PER_FUNCTION", "2"))
# batches in flight per SQS event source (pollers, and workers of the function), as Lambda scales an event
# source mapping; an SQS event's ScalingConfig.MaximumConcurrency in template.yaml wins over it
SQS_CONCURRENCY = int(os.environ.get("SQS_CONCURRENCY", "4"))

# gateway rate limits (nginx limit_req): strict zone for login/register, general zone per client IP
GATEWAY_AUTH_RATE = os.environ.get("GATEWAY_AUTH_RATE", "10r/m")
GATEWAY_AUTH_BURST = int(os.environ.get("GATEWAY_AUTH_BURST", "10"))
GATEWAY_GENERAL_RATE = os.environ.get("GATEWAY_GENERAL_RATE", "100r/s")
GATEWAY_GENERAL_BURST = int(os.environ.get("GATEWAY_GENERAL_BURST", "200"))
# paths that use the strict zone; address the gateway listens on (HTTPS and HTTP); body size limit
GATEWAY_STRICT_PATHS = ("/api/v1/auth/login", "/api/v1/auth/register")
GATEWAY_LISTEN_ADDRESS = os.environ.get("GATEWAY_LISTEN_ADDRESS", "127.0.0.1")
GATEWAY_CLIENT_MAX_BODY_SIZE = os.environ.get("GATEWAY_CLIENT_MAX_BODY_SIZE", "1m")
GATEWAY_HSTS_MAX_AGE = int(os.environ.get("GATEWAY_HSTS_MAX_AGE", "31536000"))
# SAM's implicit API stage: API_BASE_URL ends with /Prod on AWS, and so does the internal listener's locally
API_STAGE = "Prod"
# where function URLs are served through the gateway (function URLs have no stage)
FUNCTION_URL_PATHS = {"PaymentsWebhookFunction": "/webhooks/payments"}

# local stand-ins for external services (FX feed, card payment gateway)
FX_STUB_PORT = int(os.environ.get("FX_STUB_PORT", "8091"))
SANDBOX_PORT = int(os.environ.get("SANDBOX_PORT", "8092"))
SANDBOX_CONTROL_PORT = int(os.environ.get("SANDBOX_CONTROL_PORT", "8093"))   # its test controls: loopback, no nginx

# the authorizing IAM proxy (infra/iam/proxy.py) every function calls AWS through
IAM_PROXY_PORT = int(os.environ.get("IAM_PROXY_PORT", "4567"))

AWS_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                   "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}
