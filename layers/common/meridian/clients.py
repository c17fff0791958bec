"""The one client for calling sibling services' APIs.

Every call has a timeout, retries idempotent requests (and a POST its caller marks `idempotent=True`,
when the callee acts once per key) with backoff + full jitter, goes
through the callee's circuit breaker and forwards X-Request-Id. Internal calls
(`internal=True`) carry a service signature (`meridian.service_auth`) over the path relative
to the API root, the query and the body, made afresh for every attempt (the receiver refuses
a nonce it has seen).

The base URL is the API's, stage included (`config.api_base_url()`: the SSM parameter named
by API_BASE_URL_PARAMETER; API Gateway on AWS, the local gateway's internal listener here).

Answers become our own typed errors here and nowhere else:

* the callee is down (no connection, timeout, 5xx, breaker open) → ServiceUnavailable (503
  with Retry-After; the callee's own Retry-After when it sent one);
* any other answer → `ServiceResponse.result(action, ...)` returns a 2xx's body and raises
  otherwise: a status the caller lists in `errors` becomes that error, built from the callee's
  problem+json (its `detail`; ValidationFailed its field `errors`, under the caller's `field`;
  the extension members the caller names in `members`, no others), or the caller's own error
  instance as it is. A status the caller does not list: the callee's verdict on what we sent
  (400, 404, 405, 409, 413, 415, 422: the request carried the shopper's or admin's input, such
  as a cursor or a filter) becomes the same error, built from its problem (a refusal is not an
  outage); 401/403 (our own credentials refused), 408, 429 and any other status mean the callee
  could not `action` for us → ServiceUnavailable.

    response = ServiceClient("products").post("/internal/reservations", json=body, internal=True)
    reservation = response.result("reserve stock", errors={409: Conflict, 404: ValidationFailed},
                                  field="items", members=("product_id", "sku"))
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import pybreaker

from . import config, jsonutil, resilience, service_auth
from .errors import (
    ERRORS_BY_STATUS,  # our error for a callee's status, when the caller passes that status through as it is
    DomainError,
    ServiceUnavailable,
    TooManyRequests,
    ValidationFailed,
)

IDEMPOTENT = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}
DEFAULT_RETRY_AFTER = 5

# what a callee says about the request itself, passed on even when the caller does not list it
VERDICTS_ON_THE_REQUEST = frozenset({400, 404, 405, 409, 413, 415, 422})
# RFC 9457 members (and ours) that are never copied as extension members
_PROBLEM_MEMBERS = {"type", "title", "status", "detail", "instance", "request_id", "errors", "headers"}

# what a listed status becomes: an error class (built from the problem) or an instance (as is);
# None: the class of that status in ERRORS_BY_STATUS
Translation = type[DomainError] | DomainError | None


@dataclass
class ServiceResponse:
    status: int
    body: Any
    headers: dict[str, str]
    service: str = field(default="", compare=False)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def problem(self) -> dict[str, Any]:
        """The body when it is an object (problem+json on errors), else {}."""
        return self.body if isinstance(self.body, dict) else {}

    @property
    def detail(self) -> str:
        detail = self.problem.get("detail")
        if isinstance(detail, str) and detail:
            return detail
        return f"{self.service or 'the service'} answered {self.status}"

    def retry_after(self, default: int = DEFAULT_RETRY_AFTER) -> int:
        """The callee's Retry-After (seconds), else `default`."""
        raw = next((v for k, v in (self.headers or {}).items() if k.lower() == "retry-after"), None)
        try:
            return max(1, int(str(raw).strip()))
        except (TypeError, ValueError):
            return default

    def unavailable(self, action: str | None = None) -> ServiceUnavailable:
        """ServiceUnavailable for our caller: the callee could not do `action` for us."""
        doing = f" could not {action}" if action else " is unavailable"
        return ServiceUnavailable(f"The {self.service} service{doing} ({self.status}: {self.detail}).",
                                  retry_after=self.retry_after() if self.status in (429, 503) else DEFAULT_RETRY_AFTER)

    def error(self, action: str, *, errors: Mapping[int, Translation] | Iterable[int] = (),
              field: str | None = None, members: Iterable[str] = ()) -> DomainError:
        """Our typed error for this (failed) answer; see the module's documentation."""
        table = dict(errors) if isinstance(errors, Mapping) else {status: None for status in errors}
        if self.status not in table:
            if self.status in VERDICTS_ON_THE_REQUEST:
                per_field = self.status == 400 and isinstance(self.problem.get("errors"), dict)
                return self._build(ValidationFailed if per_field else ERRORS_BY_STATUS[self.status],
                                   field=field, members=())
            return self.unavailable(action)
        wanted = table[self.status]
        if isinstance(wanted, DomainError):
            return wanted
        kind = wanted or ERRORS_BY_STATUS.get(self.status)
        if kind is None:
            return self.unavailable(action)
        return self._build(kind, field=field, members=members)

    def _build(self, kind: type[DomainError], *, field: str | None, members: Iterable[str]) -> DomainError:
        problem = self.problem
        if issubclass(kind, ValidationFailed):
            found = problem.get("errors")
            errors = found if isinstance(found, dict) and found else {field or "request": [self.detail]}
            if field:
                errors = {k if k.startswith(field) else f"{field}.{k}": v for k, v in errors.items()}
            return kind(errors)
        if issubclass(kind, (ServiceUnavailable, TooManyRequests)):
            return kind(self.detail, retry_after=self.retry_after())
        error = kind(self.detail)
        error.extra.update({name: problem[name] for name in members
                            if name in problem and name not in _PROBLEM_MEMBERS})
        return error

    def result(self, action: str, *, errors: Mapping[int, Translation] | Iterable[int] = (),
               field: str | None = None, members: Iterable[str] = (), shape: type | None = None) -> Any:
        """The body of a 2xx answer; otherwise raise `error(...)`.

        `shape` (e.g. dict): a 2xx body of another type means the callee could not `action`
        either (ServiceUnavailable).
        """
        if not self.ok:
            raise self.error(action, errors=errors, field=field, members=members)
        if shape is not None and not isinstance(self.body, shape):
            raise ServiceUnavailable(f"The {self.service} service could not {action} (unreadable answer).",
                                     retry_after=DEFAULT_RETRY_AFTER)
        return self.body


class UpstreamError(Exception):
    """The callee answered 5xx (counted by the breaker; retried when the method is idempotent)."""

    def __init__(self, response: ServiceResponse):
        super().__init__(f"upstream answered {response.status}")
        self.response = response
        self.status = response.status
        self.body = response.body


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
                 timeout: tuple[float, float] = resilience.DEFAULT_TIMEOUT, attempts: int = 3):
        self.service = service
        self.caller = caller or os.environ.get("POWERTOOLS_SERVICE_NAME", "unknown")
        self.timeout = timeout
        self.attempts = attempts
        self.breaker = resilience.breaker(f"service:{service}", fail_max=5, reset_timeout=15)

    @property
    def base_url(self) -> str:
        """The API's base URL with its stage (e.g. https://<id>.execute-api.<region>.amazonaws.com/Prod)."""
        return config.api_base_url()

    def request(self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None,
                headers: dict[str, str] | None = None, internal: bool = False,
                authorization: str | None = None, idempotent: bool | None = None,
                timeout: tuple[float, float] | None = None) -> ServiceResponse:
        """Call `/api/v1/<service><path>`; 503 ServiceUnavailable when the callee is down.

        `path` may carry a query string; `params` are added to it. `idempotent=True`: the callee makes this
        POST once per key it carries (e.g. an order id), so a timeout or a 5xx is retried like a GET; by default
        only GET, HEAD, PUT, DELETE and OPTIONS are. `timeout`: this call's (connect, read), when it needs
        more than the client's (resilience.timeout_for).
        """
        import requests

        method = method.upper()
        base = self.base_url
        route, _, query = path.partition("?")
        pairs = service_auth.query_pairs(query) + service_auth.query_pairs(params)
        url = f"{base}/api/v1/{self.service}{route}" + (f"?{urlencode(pairs, quote_via=quote, safe='-_.~')}"
                                                       if pairs else "")
        relative = service_auth.relative_path(url, base)     # /api/v1/<service>/...: the callee event's path
        sent = {"Accept": "application/json"}
        from .api import current_app

        app = current_app()
        if app is not None and app.request_id:
            sent["X-Request-Id"] = app.request_id
        if authorization:
            sent["Authorization"] = authorization
        sent.update(headers or {})
        data = jsonutil.dumps(json).encode() if json is not None else None
        if data is not None:
            sent["Content-Type"] = "application/json"

        def once() -> ServiceResponse:
            attempt = dict(sent)
            if internal:
                # a fresh timestamp and nonce per attempt: the receiver refuses a nonce twice
                attempt[service_auth.HEADER] = service_auth.sign(self.caller, method, relative, query=pairs,
                                                                 body=data or b"")
            response = _http().request(method, url, data=data, headers=attempt, timeout=timeout or self.timeout)
            body = response.json() if response.content and "json" in response.headers.get("Content-Type", "") else None
            answer = ServiceResponse(response.status_code, body, dict(response.headers), self.service)
            if response.status_code >= 500:
                raise UpstreamError(answer)
            return answer

        def guarded() -> ServiceResponse:
            return self.breaker.call(once)

        if idempotent is None:
            idempotent = method in IDEMPOTENT
        retry_on = (requests.ConnectionError, requests.Timeout, UpstreamError) if idempotent \
            else (requests.ConnectionError,)
        try:
            return resilience.retry(guarded, attempts=self.attempts, base=0.05, cap=0.5, retry_on=retry_on)
        except pybreaker.CircuitBreakerError:
            raise ServiceUnavailable(f"The {self.service} service is unavailable.", retry_after=15) from None
        except UpstreamError as exc:
            raise exc.response.unavailable() from None
        except requests.RequestException as exc:
            raise ServiceUnavailable(f"The {self.service} service did not answer ({exc}).",
                                     retry_after=DEFAULT_RETRY_AFTER) from None

    def get(self, path: str, **kw: Any) -> ServiceResponse:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> ServiceResponse:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> ServiceResponse:
        return self.request("PUT", path, **kw)
