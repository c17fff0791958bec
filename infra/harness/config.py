"""This shop's dev stack: its state folder, its stand-in services' ports, and the gateway
settings that name its own routes. Generic defaults (AWS ports, workers, limits) are in
infra/localaws/config.py; every value here too can be overridden by the environment
variable of its name.
"""
from __future__ import annotations

import os
from pathlib import Path

from infra.localaws.config import ROOT

STATE_DIR = Path(os.environ.get("MERIDIAN_STATE_DIR", ROOT / ".local"))
STACK_NAME = os.environ.get("STACK_NAME", "meridian")

# local stand-ins for external services (FX feed, card payment gateway)
FX_STUB_PORT = int(os.environ.get("FX_STUB_PORT", "8091"))
SANDBOX_PORT = int(os.environ.get("SANDBOX_PORT", "8092"))
SANDBOX_CONTROL_PORT = int(os.environ.get("SANDBOX_CONTROL_PORT", "8093"))   # its test controls: loopback, no nginx
# a merchant's webhook endpoint stand-in (loopback, no nginx), the one loopback target webhooks may have here
WEBHOOK_RECEIVER_PORT = int(os.environ.get("WEBHOOK_RECEIVER_PORT", "8094"))
# the first retry of a merchant webhook waits at most this (AWS: the template's 30): a test sees a retry in seconds
WEBHOOK_RETRY_BASE_SECONDS = os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", "1")
# every function reads localization's locales again after this (AWS: the template's 60): an admin's new locale
# serves within seconds here
LOCALES_CACHE_TTL_SECONDS = os.environ.get("LOCALES_CACHE_TTL_SECONDS", "2")

# the web app (web/: storefront at /, admin console at /admin/), built by `make web` into WEB_DIST
WEB_DIST = Path(os.environ.get("MERIDIAN_WEB_DIST", ROOT / "web" / "dist"))
WEB_APPS = {"/admin/": "admin/index.html", "/": "index.html"}

# the gateway's strict rate-limit zone: sign-in and registration
GATEWAY_STRICT_PATHS = ("/api/v1/auth/login", "/api/v1/auth/register")
GATEWAY_STRICT_DETAIL = "Too many sign-in attempts from this address; retry after Retry-After seconds."
# problem+json `type` URIs of what the gateway and the runtime answer themselves (as meridian.errors)
PROBLEM_TYPE_BASE = "https://meridian.dev/problems/"
# API Gateway's path matcher, the layer's meridian.routing (ServiceApp routes with it too): the local
# runtime loads it from its file (LOCALAWS_PATH_MATCHER overrides it)
PATH_MATCHER = Path(os.environ.get("LOCALAWS_PATH_MATCHER") or ROOT / "layers" / "common" / "meridian" / "routing.py")
# internal APIs (/api/v1/<service>/internal/...): 404 on the public listeners
GATEWAY_BLOCKED_PATTERN = "^/api/v1/[^/]+/internal(?:/|$)"
# where function URLs are served through the gateway (function URLs have no stage)
FUNCTION_URL_PATHS = {"PaymentsWebhookFunction": "/webhooks/payments"}
# every service with API events answers GET <this>/health
HEALTH_PATH = "/api/v1/{service}/health"
# the strict zone's rate and burst (sign-in), per client IP
GATEWAY_AUTH_RATE = os.environ.get("GATEWAY_AUTH_RATE", "10r/m")
GATEWAY_AUTH_BURST = int(os.environ.get("GATEWAY_AUTH_BURST", "10"))
