"""The HTTP app every service builds on: a Chalice app that

* routes API Gateway *proxy* events (`/api/v1/<service>/{proxy+}`) to Chalice's own
  route table, so the same code runs behind a proxy resource on AWS and locally;
* maps typed `DomainError`s (and anything unexpected) to `application/problem+json`;
* maps an AWS dependency that cannot answer (DynamoDB, SQS, … unreachable, timing out, 5xx,
  throttled; botocore's errors or pynamodb's wrappers of them: `aws.outage`) to 503 with
  Retry-After, never a 500 — here and nowhere else;
* echoes / assigns `X-Request-Id` and puts it in every log line;
* records every admin action (a 2xx to a non-GET of an admin or super_admin) on the audit trail
  (`meridian.audit`);
* puts the security headers, `X-Request-Id` and CORS for the storefront origin on every response
  and answers CORS preflights (`meridian.http_headers`: on AWS there is no nginx to add them);
* serves `GET /api/v1/<service>/health` and `GET /api/v1/<service>/openapi.json`;
* writes JSON with Decimal as strings and `charset=utf-8`.
"""
from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from chalice import Chalice, Response

from . import apidoc, audit, aws, http_headers, jsonutil
from .errors import (
    PROBLEM_CONTENT_TYPE,
    BadRequest,
    DomainError,
    MethodNotAllowed,
    NotFound,
    ServiceUnavailable,
    UnsupportedMediaType,
    ValidationFailed,
    problem_body,
    problem_from_error,
)
from .observability import logger

JSON_CONTENT_TYPE = "application/json; charset=utf-8"

_current: dict[str, Any] = {"app": None}


def current_app() -> ServiceApp:
    return _current["app"]


def current_request():
    return _current["app"].current_request


class _Route:
    __slots__ = ("pattern", "regex", "names", "specificity")

    def __init__(self, pattern: str):
        self.pattern = pattern
        parts, names = [], []
        for segment in pattern.strip("/").split("/"):
            if segment.startswith("{") and segment.endswith("}"):
                name = segment[1:-1]
                if name.endswith("+"):
                    names.append(name[:-1])
                    parts.append(f"(?P<{name[:-1]}>.+)")
                else:
                    names.append(name)
                    parts.append(f"(?P<{name}>[^/]+)")
            else:
                parts.append(re.escape(segment))
        self.regex = re.compile("^/" + "/".join(parts) + "/?$")
        self.names = names
        # literal segments win over parameters: '/products/internal' before '/products/{id}'
        self.specificity = [0 if s.startswith("{") else 1 for s in pattern.strip("/").split("/")]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    merged = {"Content-Type": JSON_CONTENT_TYPE}
    merged.update(headers or {})
    return Response(body=jsonutil.dumps(body) if body is not None else "", status_code=status, headers=merged)


def _json_of(response: Response) -> Any:
    """The body of a JSON response as data (None when empty or not JSON)."""
    if not response.body or "json" not in str(response.headers.get("Content-Type", "")):
        return None
    return json.loads(response.body) if isinstance(response.body, str) else None


def problem_response(error: DomainError, request_id: str | None) -> Response:
    return Response(body=jsonutil.dumps(problem_from_error(error, request_id)), status_code=error.status,
                    headers={"Content-Type": PROBLEM_CONTENT_TYPE, **error.headers})


def _log_outage(cause: BaseException, answer: ServiceUnavailable) -> None:
    logger.warning("a dependency is unavailable: 503", extra={
        "error": f"{type(cause).__name__}: {cause}"[:500], "retry_after": answer.retry_after})


class ServiceApp(Chalice):
    """Chalice app of one service, mounted at /api/v1/<service>."""

    def __init__(self, service: str, *, title: str | None = None, version: str = "1.0.0",
                 schemas: str | None = None):
        super().__init__(app_name=f"meridian-{service}")
        self.service = service
        self.prefix = f"/api/v1/{service}"
        self.title = title or f"Meridian {service} API"
        self.version = version
        self.schemas_module = schemas       # where the contracts' schema names are found (meridian.apidoc)
        self.contracts: dict[tuple[str, str], apidoc.Contract] = {}
        self.extra_routes: dict[tuple[str, str], tuple[str, str, apidoc.Contract]] = {}
        self._document: dict | None = None
        self._document_lock = threading.Lock()
        self._compiled: list[_Route] | None = None
        aws.guard_dynamodb_outages()  # before any DynamoDB client exists (they are made on first use)
        self._register_builtin_routes()

    # ------------------------------------------------------------------ routing
    def route(self, path: str, *, absolute: bool = False, **kwargs: Any) -> Callable:
        """Like Chalice.route, but paths are relative to /api/v1/<service> (unless `absolute`, for a
        path of its own API event outside the prefix) and errors map to problems. The route's contract
        for its OpenAPI document (body, query, responses, errors, params, auth: `meridian.apidoc`) is
        declared here too."""
        full = path if absolute else self.prefix + ("" if path == "/" else path)
        contract = apidoc.Contract.from_kwargs(kwargs)
        for method in kwargs.get("methods") or ["GET"]:
            self.contracts[(full, method.upper())] = contract
        register = super().route(full, **kwargs)

        def decorator(view: Callable) -> Callable:
            @functools.wraps(view)
            def guarded(*args: Any, **kw: Any) -> Any:
                try:
                    result = view(*args, **kw)
                except DomainError as error:
                    if isinstance(error, ServiceUnavailable) and error.__cause__ is not None:
                        _log_outage(error.__cause__, error)  # raised by aws.guard_dynamodb_outages
                    return problem_response(error, self.request_id)
                except Exception as error:
                    unavailable = aws.outage(error)
                    if unavailable is None:
                        raise  # a bug: Chalice's 500, made a problem in _finish
                    _log_outage(error, unavailable)
                    return problem_response(unavailable, self.request_id)
                response = result if isinstance(result, Response) else json_response(result)
                if audit.is_admin_action(self.current_request, response.status_code):
                    audit.record_admin_action(service=self.service, view=view.__name__, request=self.current_request,
                                              path_params=kw, status=response.status_code,
                                              body=result if response is not result else _json_of(response),
                                              request_id=self.request_id)
                return response

            self._compiled = self._document = None
            return register(guarded)

        return decorator

    def _routes(self) -> list[_Route]:
        if self._compiled is None:
            routes = [_Route(p) for p in self.routes]
            routes.sort(key=lambda r: r.specificity, reverse=True)
            self._compiled = routes
        return self._compiled

    def _resolve(self, path: str) -> tuple[str, dict[str, str]] | None:
        for route in self._routes():
            match = route.regex.match(path)
            if match:
                return route.pattern, {k: unquote(v) for k, v in match.groupdict().items()}
        return None

    # ------------------------------------------------------------------ entry point
    @property
    def request_id(self) -> str | None:
        return getattr(self, "_request_id", None)

    def __call__(self, event: dict, context: Any) -> dict:
        _current["app"] = self
        request_id = http_headers.request_id_for(event, context)
        self._request_id = request_id
        logger.append_keys(request_id=request_id)
        method = (event.get("httpMethod") or event.get("requestContext", {}).get("httpMethod") or "GET").upper()
        path = event.get("path") or "/"
        origin = http_headers.header_value(event.get("headers"), "Origin")
        preflight = False
        try:
            resolved = self._resolve(path)
            if method == "OPTIONS" and (resolved is None or "OPTIONS" not in self.routes[resolved[0]]):
                # CORS preflight (on AWS API Gateway's own OPTIONS methods answer it; locally we do)
                preflight = True
                allow = {"Allow": ", ".join(sorted({*self.routes[resolved[0]], "OPTIONS"}))} if resolved else {}
                result = {"statusCode": 204, "headers": allow, "body": ""}
            else:
                result = self._dispatch(event, context, method, path, resolved)
        except DomainError as error:
            result = problem_response(error, request_id).to_dict()
        result = self._finish(result, request_id, http_headers.cors_headers(origin, preflight=preflight))
        logger.remove_keys(["request_id"])
        return result

    def _dispatch(self, event: dict, context: Any, method: str, path: str,
                  resolved: tuple[str, dict[str, str]] | None) -> dict:
        if resolved is None:
            raise NotFound(f"No route for {path}.")
        pattern, params = resolved
        if method not in self.routes[pattern] and not (method == "HEAD" and "GET" in self.routes[pattern]):
            raise MethodNotAllowed(f"{method} is not allowed on {path}.",
                                   headers={"Allow": ", ".join(sorted(self.routes[pattern]))})
        if method == "HEAD":
            method = "GET"
        event = dict(event, httpMethod=method, pathParameters=params or None,
                     requestContext=dict(event.get("requestContext") or {}, resourcePath=pattern,
                                         httpMethod=method))
        return super().__call__(event, context)

    def _finish(self, result: dict, request_id: str, cors: dict[str, str]) -> dict:
        headers = result.setdefault("headers", {})
        status = result.get("statusCode", 200)
        if status == 500 and "Code" in (result.get("body") or ""):
            result["body"] = jsonutil.dumps(problem_body(500, "Internal Server Error",
                                                         "An unexpected error occurred.", "internal", request_id))
            headers["Content-Type"] = PROBLEM_CONTENT_TYPE
        elif status in (400, 415) and '"Code"' in (result.get("body") or ""):
            # Chalice's own errors (bad JSON body, content type) become problems too
            message = json.loads(result["body"]).get("Message", "Bad request")
            error = BadRequest(message) if status == 400 else UnsupportedMediaType(message)
            result["body"] = jsonutil.dumps(problem_from_error(error, request_id))
            headers["Content-Type"] = PROBLEM_CONTENT_TYPE
        return http_headers.finish_response(result, request_id, cors=cors)

    # ------------------------------------------------------------------ built-in routes
    def _register_builtin_routes(self) -> None:
        @self.route("/health", methods=["GET"], responses={200: "HealthSchema"})
        def health():
            """Liveness of this service."""
            return {"status": "ok", "service": self.service}

        @self.route("/openapi.json", methods=["GET"], responses={200: apidoc.ANY_DOCUMENT})
        def openapi():
            """This service's OpenAPI 3 document."""
            return self.openapi_document()

    def document_route(self, path: str, method: str, *, name: str, summary: str, **contract: Any) -> None:
        """Document an operation that is not a Chalice route (a function URL such as the payment webhook),
        with the same contract keywords as `route`."""
        self.extra_routes[(path, method.upper())] = (name, summary, apidoc.Contract.from_kwargs(contract))
        self._document = None

    def openapi_document(self) -> dict:
        """This service's OpenAPI 3 document (meridian.apidoc), built on first use and kept."""
        with self._document_lock:
            if self._document is None:
                self._document = apidoc.build(self)
            return self._document

    # ------------------------------------------------------------------ request helpers
    def json_body(self) -> Any:
        """The request body parsed as JSON (within jsonutil's depth and size bounds); 400 problem when not."""
        request = self.current_request
        raw = request.raw_body
        if not raw:
            return None
        try:
            return jsonutil.loads_request(raw)
        except jsonutil.JsonTooComplex as error:
            raise BadRequest(str(error)) from None
        except (ValueError, UnicodeDecodeError):
            raise BadRequest("The request body is not valid JSON.") from None

    def optional_json_body(self) -> Any:
        """The body of a route whose body may be left out: `{}` when there is none; otherwise a JSON object
        (`null`, a list, a number … is a 400, never taken for no body)."""
        if not self.current_request.raw_body:
            return {}
        parsed = self.json_body()
        if not isinstance(parsed, dict):
            raise ValidationFailed({"_schema": ["The body must be a JSON object (or be left out)."]})
        return parsed

    def header(self, name: str) -> str | None:
        return (self.current_request.headers or {}).get(name.lower())

    def query(self, name: str) -> str | None:
        params = self.current_request.query_params or {}
        return params.get(name)

    def query_params(self, *allowed: str) -> dict[str, str | None]:
        """The query parameters a route takes, each its value or None. Any other is a 400 naming it: the
        same on every route, so a filter a route does not implement is refused, never silently ignored."""
        params = self.current_request.query_params or {}
        unknown = sorted(set(params) - set(allowed))
        if unknown:
            raise ValidationFailed({name: [f"Not a query parameter of this route (it takes: "
                                           f"{', '.join(allowed) or 'none'})."] for name in unknown})
        return {name: params.get(name) for name in allowed}

