"""Defaults of a local AWS stack (ports, limits), in one place.

Every value can be overridden by the environment variable of the same name, so a test
stack can run beside another one on free ports. Nothing here names a project's own
functions, routes or paths: a harness passes those in (infra/harness/config.py here).
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]          # the folder holding template.yaml
STATE_DIR = Path(os.environ.get("LOCALAWS_STATE_DIR", ROOT / ".local"))
STACK_NAME = os.environ.get("STACK_NAME", "local")
REGION = os.environ.get("AWS_REGION", "us-east-1")
# API Gateway's path-template matcher ({name}, {name+}, literals first): the file of a standard-library-only
# module the deployed code routes with too, so the local gateway and the app can never match a path
# differently. A project keeps it in its own code and its harness passes it in (LocalAwsSettings.path_matcher);
# nothing is shipped here, so without one the runtime refuses to route API requests
PATH_MATCHER = os.environ.get("LOCALAWS_PATH_MATCHER", "")
# problem+json `type` of the answers the runtime and the gateway give themselves (timeouts, bad results,
# rate limits): this + a slug; a harness passes its own (LocalAwsSettings.problem_type_base)
PROBLEM_TYPE_BASE = os.environ.get("LOCALAWS_PROBLEM_TYPE_BASE", "about:blank#")

AWS_PORT = int(os.environ.get("AWS_PORT", "4566"))
# AWS's DynamoDB Local (infra/localaws/dynamodb_local): the stack's DynamoDB; moto keeps the other AWS APIs
DYNAMODB_PORT = int(os.environ.get("DYNAMODB_PORT", "4569"))
GATEWAY_HTTPS_PORT = int(os.environ.get("GATEWAY_HTTPS_PORT", "8443"))
GATEWAY_HTTP_PORT = int(os.environ.get("GATEWAY_HTTP_PORT", "8080"))
# plain-HTTP listener on 127.0.0.1 for service-to-service calls (API_BASE_URL locally): no TLS, no rate limits
GATEWAY_INTERNAL_PORT = int(os.environ.get("GATEWAY_INTERNAL_PORT", "8081"))
WORKERS_PER_FUNCTION = int(os.environ.get("WORKERS_PER_FUNCTION", "2"))
# batches in flight per SQS event source (pollers, and workers of the function), as Lambda scales an event
# source mapping; an SQS event's ScalingConfig.MaximumConcurrency in template.yaml wins over it
SQS_CONCURRENCY = int(os.environ.get("SQS_CONCURRENCY", "4"))

# gateway rate limits (nginx limit_req): a strict zone for the paths a harness names, a general zone per client IP
GATEWAY_STRICT_RATE = os.environ.get("GATEWAY_STRICT_RATE", "10r/m")
GATEWAY_STRICT_BURST = int(os.environ.get("GATEWAY_STRICT_BURST", "10"))
GATEWAY_GENERAL_RATE = os.environ.get("GATEWAY_GENERAL_RATE", "100r/s")
GATEWAY_GENERAL_BURST = int(os.environ.get("GATEWAY_GENERAL_BURST", "200"))
# address the gateway listens on (HTTPS and HTTP); body size limit; HSTS
GATEWAY_LISTEN_ADDRESS = os.environ.get("GATEWAY_LISTEN_ADDRESS", "127.0.0.1")
GATEWAY_CLIENT_MAX_BODY_SIZE = os.environ.get("GATEWAY_CLIENT_MAX_BODY_SIZE", "1m")
GATEWAY_HSTS_MAX_AGE = int(os.environ.get("GATEWAY_HSTS_MAX_AGE", "31536000"))
# the content security policy of single-page apps the gateway serves (their own scripts, styles and API)
GATEWAY_WEB_CSP = os.environ.get(
    "GATEWAY_WEB_CSP",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
# SAM's implicit API stage: API_BASE_URL ends with /Prod on AWS, and so does the internal listener's locally
API_STAGE = "Prod"

# the authorizing IAM proxy (infra/localaws/iam/proxy.py) every function calls AWS through
IAM_PROXY_PORT = int(os.environ.get("IAM_PROXY_PORT", "4567"))

AWS_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                   "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}
