"""The HTTP app every service builds on: a Chalice app that

* routes API Gateway *proxy* events (`/api/v1/<service>/{proxy+}`) to Chalice's own
  route table, so the same code runs behind a proxy resource on AWS and locally: the path is
  matched once, by `meridian.routing` (the matcher the local runtime uses too), and Chalice
  dispatches by the route it resolved (`resourcePath`, `pathParameters`);
* checks the request's Content-Type against the route's `content_types` (as Chalice would);
* maps every error to `application/problem+json` in one place (`ServiceApp.error_response`):
  typed `DomainError`s; Chalice's own view errors (`ChaliceViewError`s, e.g. the BadRequestError
  of a body that is not JSON), by their status; an AWS dependency that cannot answer (DynamoDB,
  SQS, … unreachable, timing out, 5xx, throttled; botocore's errors or pynamodb's wrappers of
  them: `aws.outage`) as 503 with Retry-After, never a 500 — here and nowhere else; anything else
  as a 500 (logged with its traceback). Chalice's own last-resort answer is replaced by it too;
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
import sys
import threading
from collections.abc import Callable
from typing import Any

from chalice import Chalice, ChaliceViewError, Response
from chalice.app import RestAPIEventHandler

from . import apidoc, audit, aws, http_headers, jsonutil, routing
from .errors import (
    ERRORS_BY_STATUS,
    PROBLEM_CONTENT_TYPE,
    BadRequest,
    DomainError,
    MethodNotAllowed,
    NotFound,
    ServiceUnavailable,
    UnsupportedMediaType,
    ValidationFailed,
    problem_from_error,
)
from .observability import logger

WARM_UP_SOURCE = "warm-up"   # a warm-up invocation's event: {"source": "warm-up"} (the local runtime sends it)

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
DEFAULT_CONTENT_TYPES = ["application/json"]          # what a route accepts unless it says (Chalice's default)

_current: dict[str, Any] = {"app": None}


def current_app() -> ServiceApp:
    return _current["app"]


def current_request():
    return _current["app"].current_request


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


def _typed(error: BaseException) -> DomainError | None:
    """Our typed error for an exception, or None for a bug."""
    if isinstance(error, DomainError):
        if isinstance(error, ServiceUnavailable) and error.__cause__ is not None:
            _log_outage(error.__cause__, error)    # raised by aws.guard_dynamodb_outages
        return error
    if isinstance(error, ChaliceViewError) and error.STATUS_CODE < 500 and error.STATUS_CODE in ERRORS_BY_STATUS:
        return ERRORS_BY_STATUS[error.STATUS_CODE](str(error))   # e.g. BadRequestError: a body that is not JSON
    unavailable = aws.outage(error) if isinstance(error, Exception) else None
    if unavailable is not None:
        _log_outage(error, unavailable)
    return unavailable


def accepts_media_type(content_type: str, allowed: list[str]) -> bool:
    """Chalice's rule for a route's `content_types`: any of the header's `,`/`;` parts is allowed, or
    either side says */*."""
    content_type = content_type.lower()
    allowed = [kind.lower() for kind in allowed]
    parts = {part.strip() for part in re.split("[,;]", content_type)}
    return "*/*" in content_type or "*/*" in allowed or bool(parts.intersection(allowed))


class _Dispatcher(RestAPIEventHandler):
    """Chalice's REST API handler (chalice==1.34), dispatching by the `resourcePath` ServiceApp resolved.
    Its last-resort answer, for an exception that escaped every view (e.g. Chalice refusing a response
    header), is ServiceApp's problem instead of Chalice's {"Code", "Message"} body."""

    def __init__(self, app: ServiceApp):
        super().__init__(app.routes, app.api, app.log, app.debug,
                         middleware_handlers=list(app._get_middleware_handlers("http")))
        self.app = app

    def _unhandled_exception_to_response(self) -> Response:
        return self.app.error_response(sys.exc_info()[1])


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
        self._router: routing.Router | None = None
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
        content_types = kwargs.pop("content_types", DEFAULT_CONTENT_TYPES)
        register = super().route(full, content_types=["*/*"], **kwargs)   # the check is ours (guarded)

        def decorator(view: Callable) -> Callable:
            @functools.wraps(view)
            def guarded(*args: Any, **kw: Any) -> Any:
                try:
                    content_type = self.current_request.headers.get("content-type", "application/json")
                    if not accepts_media_type(content_type, content_types):
                        raise UnsupportedMediaType(f"Unsupported media type: {content_type}")
                    result = view(*args, **kw)
                except Exception as error:
                    return self.error_response(error)
                response = result if isinstance(result, Response) else json_response(result)
                if audit.is_admin_action(self.current_request, response.status_code):
                    audit.record_admin_action(service=self.service, view=view.__name__, request=self.current_request,
                                              path_params=kw, status=response.status_code,
                                              body=result if response is not result else _json_of(response),
                                              request_id=self.request_id)
                return response

            self._router = self._document = None
            return register(guarded)

        return decorator

    def _resolve(self, path: str) -> tuple[str, dict[str, str]] | None:
        """(route path, path parameters) of the request's path: the one match of a request."""
        if self._router is None:
            self._router = routing.Router(self.routes)
        return self._router.match(path)

    def error_response(self, error: BaseException) -> Response:
        """The one mapping of an exception to its problem+json answer (see the module's documentation)."""
        typed = _typed(error)
        if typed is None:
            path = getattr(self.current_request, "path", None)
            logger.error("unexpected error: 500", exc_info=error, extra={"path": path})
            typed = DomainError("An unexpected error occurred.")
        return problem_response(typed, self.request_id)

    # ------------------------------------------------------------------ entry point
    @property
    def request_id(self) -> str | None:
        return getattr(self, "_request_id", None)

    def __call__(self, event: dict, context: Any) -> dict:
        if isinstance(event, dict) and event.get("source") == WARM_UP_SOURCE:
            return self.warm_up()
        _current["app"] = self
        self.current_request = None          # Chalice's, once the request is dispatched
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
            # no route, a method not allowed (an event that is not API Gateway's fails the invocation, as in Chalice)
            result = self.error_response(error).to_dict()
        result = http_headers.finish_response(result, request_id,
                                              cors=http_headers.cors_headers(origin, preflight=preflight))
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
        # Chalice.__call__, with its REST handler's last-resort answer made ours (_Dispatcher)
        self.lambda_context = context
        handler = _Dispatcher(self)
        self.current_request = handler.create_request_object(event, context)
        return handler(event, context)

    def warm_up(self) -> dict:
        """A warm-up invocation (`{"source": "warm-up"}`; never an HTTP event): what the first request
        would do lazily is done now — the lazy modules (meridian.lazy), the API's base URL (SSM) and, for a service
        with internal routes (which verifies its siblings' signatures, so its role may read it), the service
        secret (Secrets Manager) — so that first request is as fast as the next. Nothing it may not read.
        What provisioned concurrency gives on AWS; the local runtime sends it to each HTTP worker after its cold
        start is measured.
        Best effort: a dependency that cannot answer yet is read on the first request as before."""
        from . import config, lazy, service_auth

        loaded = lazy.load_all()
        steps = [config.api_base_url]
        if any("/internal/" in path for path in self.routes):   # it verifies its siblings' signatures
            steps.append(service_auth.warm)
        for step in steps:
            try:
                step()
            except Exception as error:  # noqa: BLE001 - a warm-up never fails the worker
                logger.info("warm-up step skipped", extra={"step": step.__name__, "error": type(error).__name__})
        return {"warmed": self.service, "modules": loaded}

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

