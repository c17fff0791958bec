"""HTTP client for calling sibling services' APIs.

Every call has a timeout, retries idempotent requests with backoff + full jitter,
goes through the callee's circuit breaker, forwards X-Request-Id, and turns "the
callee is down" into ServiceUnavailable (503 with Retry-After) for our own caller.
The base URL is API_BASE_URL (API Gateway on AWS; the local gateway's internal port
locally).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pybreaker

from . import jsonutil, resilience, service_auth
from .errors import ServiceUnavailable

IDEMPOTENT = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}


class UpstreamError(Exception):
    """The callee answered 5xx (counted by the breaker)."""

    def __init__(self, status: int, body: Any):
        super().__init__(f"upstream answered {status}")
        self.status = status
        self.body = body


@dataclass
class ServiceResponse:
    status: int
    body: Any
    headers: dict[str, str]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


_session = None


def _http():
    global _session
    if _session is None:
        import requests

        _session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=8, pool_maxsize=16)
        _session.mount("http://", adapter)
        _session.mount("https://", adapter)
        _session.verify = os.environ.get("MERIDIAN_CA_BUNDLE") or True
    return _session


class ServiceClient:
    def __init__(self, service: str, *, caller: str | None = None,
                 timeout: tuple[float, float] = resilience.DEFAULT_TIMEOUT, attempts: int = 3,
                 base_url: str | None = None):
        self.service = service
        self.caller = caller or os.environ.get("POWERTOOLS_SERVICE_NAME", "unknown")
        self.timeout = timeout
        self.attempts = attempts
        self._base_url = base_url
        self.breaker = resilience.breaker(f"service:{service}", fail_max=5, reset_timeout=15)

    @property
    def base_url(self) -> str:
        return (self._base_url or os.environ["API_BASE_URL"]).rstrip("/")

    def request(self, method: str, path: str, *, json: Any = None, params: dict | None = None,
                headers: dict[str, str] | None = None, internal: bool = False,
                authorization: str | None = None) -> ServiceResponse:
        """Call `/api/v1/<service><path>`; 503 ServiceUnavailable when the callee is down."""
        import requests

        method = method.upper()
        url = f"{self.base_url}/api/v1/{self.service}{path}"
        sent = {"Accept": "application/json"}
        from .api import current_app

        app = current_app()
        if app is not None and app.request_id:
            sent["X-Request-Id"] = app.request_id
        if authorization:
            sent["Authorization"] = authorization
        if internal:
            sent[service_auth.HEADER] = service_auth.sign(self.caller, method, urlsplit(url).path)
        sent.update(headers or {})
        data = jsonutil.dumps(json).encode() if json is not None else None
        if data is not None:
            sent["Content-Type"] = "application/json"

        def once() -> ServiceResponse:
            response = _http().request(method, url, data=data, params=params, headers=sent, timeout=self.timeout)
            body = response.json() if response.content and "json" in response.headers.get("Content-Type", "") else None
            if response.status_code >= 500:
                raise UpstreamError(response.status_code, body)
            return ServiceResponse(response.status_code, body, dict(response.headers))

        def guarded() -> ServiceResponse:
            return self.breaker.call(once)

        retry_on = (requests.ConnectionError, requests.Timeout, UpstreamError) if method in IDEMPOTENT \
            else (requests.ConnectionError,)
        try:
            return resilience.retry(guarded, attempts=self.attempts, base=0.05, cap=0.5, retry_on=retry_on)
        except pybreaker.CircuitBreakerError:
            raise ServiceUnavailable(f"The {self.service} service is unavailable.", retry_after=15) from None
        except (requests.RequestException, UpstreamError) as exc:
            raise ServiceUnavailable(f"The {self.service} service did not answer ({exc}).", retry_after=5) from None

    def get(self, path: str, **kw: Any) -> ServiceResponse:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> ServiceResponse:
        return self.request("POST", path, **kw)
