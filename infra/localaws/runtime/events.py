"""Pure translation between HTTP and Lambda payloads (no sockets, no clock of its own).

* `api_gateway_v1_event`   HTTP request → API Gateway REST proxy event (payload 1.0)
* `function_url_event`     HTTP request → Lambda function-URL event (payload 2.0)
* `http_response_from_v1` / `http_response_from_v2`  handler result → HTTP response
* `problem_response`       an application/problem+json response (timeouts, bad results)

The worker (infra/localaws/runtime/worker.py) parses bytes into `HttpRequest` and writes
`HttpResponse` back; everything in between lives here so it is unit-testable.
"""
from __future__ import annotations

import base64
import importlib.util
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl

from infra.localaws import config
from infra.localaws.config import API_STAGE  # SAM's implicit API stage


# what a harness configures (`configure`; workers get it through their context file)
def _absolute(path: str | Path) -> str:
    return str(Path(path).absolute()) if str(path) else ""   # workers chdir to their code before loading it


_settings: dict[str, str] = {"path_matcher": _absolute(config.PATH_MATCHER),
                             "problem_type_base": config.PROBLEM_TYPE_BASE}
_routing: ModuleType | None = None


class NoPathMatcher(RuntimeError):
    """No path matcher configured: the runtime cannot route API requests."""


def configure(*, path_matcher: str | Path | None = None, problem_type_base: str | None = None) -> None:
    """The project's settings of the runtime, as its harness passes them (None keeps the current one):
    `path_matcher`, the file of API Gateway's path-template matcher the deployed code routes with too;
    `problem_type_base`, the problem+json `type` prefix of the runtime's own answers."""
    global _routing
    if path_matcher is not None and _absolute(path_matcher) != _settings["path_matcher"]:
        _settings["path_matcher"] = _absolute(path_matcher)
        _routing = None
    if problem_type_base is not None:
        _settings["problem_type_base"] = problem_type_base


def settings() -> dict[str, str]:
    return dict(_settings)


def _path_matcher() -> ModuleType:
    """The configured path matcher (a standard-library-only module with `best_match(templates, path)`),
    loaded from its file under a name of the runtime's own: a source copy of the functions' package in
    sys.modules would shadow the one each function imports from its own build."""
    global _routing
    if _routing is None:
        path = _settings["path_matcher"]
        if not path:
            raise NoPathMatcher("no path matcher configured: pass path_matcher (a harness does) "
                                "or set LOCALAWS_PATH_MATCHER")
        spec = importlib.util.spec_from_file_location("infra.localaws.runtime._path_matcher", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _routing = module
    return _routing


def __getattr__(name: str) -> Any:
    if name == "routing":   # the one matcher, shared with the app's own router
        return _path_matcher()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


ACCOUNT_ID = "123456789012"
PROBLEM_CONTENT_TYPE = "application/problem+json"
JSON_CONTENT_TYPE = "application/json"

_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript",
               "application/x-www-form-urlencoded", "application/graphql", "application/yaml")
_TEXT_SUFFIXES = ("+json", "+xml")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass
class HttpRequest:
    method: str
    target: str                                    # as on the request line: path[?query], still encoded
    headers: list[tuple[str, str]] = field(default_factory=list)   # in order, original case
    body: bytes = b""
    peer_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"

    @property
    def raw_path(self) -> str:
        return self.target.split("?", 1)[0] or "/"

    @property
    def raw_query(self) -> str:
        return self.target.split("?", 1)[1] if "?" in self.target else ""

    def header(self, name: str, default: str | None = None) -> str | None:
        wanted = name.lower()
        found = default
        for key, value in self.headers:
            if key.lower() == wanted:
                found = value
        return found


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    def header_values(self, name: str) -> list[str]:
        wanted = name.lower()
        return [v for k, v in self.headers if k.lower() == wanted]


# ---------------------------------------------------------------------------- shared pieces
def source_ip(request: HttpRequest) -> str:
    """The client address: X-Real-IP (nginx), else the first X-Forwarded-For hop, else the peer."""
    real_ip = request.header("x-real-ip")
    if real_ip:
        return real_ip.strip()
    forwarded = request.header("x-forwarded-for")
    if forwarded:
        return forwarded.split(",")[0].strip()
    return request.peer_ip


def is_text(content_type: str | None) -> bool:
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith(_TEXT_TYPES) or media.endswith(_TEXT_SUFFIXES)


def encode_body(body: bytes, content_type: str | None) -> tuple[str | None, bool]:
    """(body, isBase64Encoded) as API Gateway / function URLs hand a body to Lambda."""
    if not body:
        return None, False
    if is_text(content_type):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def query_pairs(raw_query: str) -> list[tuple[str, str]]:
    return parse_qsl(raw_query, keep_blank_values=True)


def _request_time(epoch: float) -> str:
    t = time.gmtime(epoch)
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


# ---------------------------------------------------------------------------- API Gateway v1
@dataclass(frozen=True)
class ApiResource:
    """One `Api` event of a function: its template path (e.g. /api/items/{proxy+}) and method."""
    path: str
    method: str = "ANY"

    def matches_method(self, method: str) -> bool:
        return self.method.upper() in ("ANY", "X-AMAZON-APIGATEWAY-ANY-METHOD", method.upper())


def match_resource(resources: list[ApiResource], raw_path: str, method: str
                   ) -> tuple[ApiResource, dict[str, str]] | None:
    """The most specific template resource matching the path (literal segments win), with its params:
    the configured path matcher, which the deployed code routes with too."""
    candidates = [r for r in resources if r.matches_method(method)]
    found = _path_matcher().best_match((r.path for r in candidates), raw_path)
    if found is None:
        return None
    template, params = found
    return next(r for r in candidates if r.path == template), params


def api_gateway_v1_event(request: HttpRequest, resource: ApiResource, path_parameters: dict[str, str],
                         request_id: str, *, stage: str = API_STAGE, api_id: str = "local",
                         now: float | None = None) -> dict[str, Any]:
    """An API Gateway REST API proxy event (payload 1.0) as Lambda receives it."""
    now = time.time() if now is None else now
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        multi_headers.setdefault(name, []).append(value)
    multi_query: dict[str, list[str]] = {}
    for name, value in query_pairs(request.raw_query):
        multi_query.setdefault(name, []).append(value)
    body, is_base64 = encode_body(request.body, request.header("content-type"))
    method = request.method.upper()
    ip = source_ip(request)
    return {
        "resource": resource.path,
        "path": request.raw_path,
        "httpMethod": method,
        "headers": {k: v[-1] for k, v in multi_headers.items()} or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": api_id,
            "resourceId": "local",
            "resourcePath": resource.path,
            "httpMethod": method,
            "path": f"/{stage}{request.raw_path}",
            "stage": stage,
            "protocol": request.protocol,
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTime": _request_time(now),
            "requestTimeEpoch": int(now * 1000),
            "domainName": request.header("host", "localhost"),
            "identity": {"sourceIp": ip, "userAgent": request.header("user-agent"),
                         "accountId": None, "caller": None, "user": None, "userArn": None,
                         "cognitoIdentityId": None, "cognitoIdentityPoolId": None,
                         "cognitoAuthenticationType": None, "cognitoAuthenticationProvider": None,
                         "accessKey": None, "apiKey": None, "apiKeyId": None},
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


# ---------------------------------------------------------------------------- function URL v2
def function_url_event(request: HttpRequest, request_id: str, *, url_id: str = "local",
                       now: float | None = None) -> dict[str, Any]:
    """A Lambda function-URL event (payload 2.0): lower-case comma-joined headers, cookies apart."""
    now = time.time() if now is None else now
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    query: dict[str, str] = {}
    for name, value in query_pairs(request.raw_query):
        query[name] = f"{query[name]},{value}" if name in query else value
    body, is_base64 = encode_body(request.body, request.header("content-type"))
    domain = request.header("host", f"{url_id}.lambda-url.us-east-1.on.aws")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": url_id,
            "domainName": domain,
            "domainPrefix": domain.split(".", 1)[0],
            "http": {"method": request.method.upper(), "path": request.raw_path, "protocol": request.protocol,
                     "sourceIp": source_ip(request), "userAgent": request.header("user-agent")},
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": _request_time(now),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": is_base64,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if body is not None:
        event["body"] = body
    return event


# ---------------------------------------------------------------------------- results → HTTP
class MalformedResult(ValueError):
    """The handler's result cannot be turned into an HTTP response (API Gateway answers 502)."""


def _body_bytes(result: dict[str, Any]) -> bytes:
    body = result.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedResult("body must be a string")
    if result.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except ValueError as error:
            raise MalformedResult("isBase64Encoded body is not valid base64") from error
    return body.encode("utf-8")


def _status(result: dict[str, Any]) -> int:
    try:
        status = int(result.get("statusCode"))
    except (TypeError, ValueError) as error:
        raise MalformedResult("statusCode must be an integer") from error
    if not 100 <= status <= 599:
        raise MalformedResult(f"statusCode {status} is out of range")
    return status


def _merged_headers(result: dict[str, Any]) -> list[tuple[str, str]]:
    """`headers` and `multiValueHeaders` together; a name in both keeps all multi values (API Gateway)."""
    single = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise MalformedResult("headers must be objects")
    out: list[tuple[str, str]] = []
    multi_names = {k.lower() for k in multi}
    for name, value in single.items():
        if name.lower() not in multi_names:
            out.append((name, str(value)))
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedResult("multiValueHeaders values must be lists")
        out.extend((name, str(v)) for v in values)
    return out


def http_response_from_v1(result: Any) -> HttpResponse:
    """API Gateway REST proxy integration: the result must be {statusCode, headers?, multiValueHeaders?, body?}."""
    if not isinstance(result, dict) or "statusCode" not in result:
        raise MalformedResult("a proxy result needs a statusCode")
    return HttpResponse(_status(result), _merged_headers(result), _body_bytes(result))


def http_response_from_v2(result: Any, dumps=json.dumps) -> HttpResponse:
    """Function URL (payload 2.0): a result without statusCode is the JSON body of a 200."""
    if not (isinstance(result, dict) and "statusCode" in result):
        return HttpResponse(200, [("Content-Type", JSON_CONTENT_TYPE)], dumps(result).encode("utf-8"))
    headers = _merged_headers(result)
    cookies = result.get("cookies") or []
    if not isinstance(cookies, list):
        raise MalformedResult("cookies must be a list")
    headers.extend(("Set-Cookie", str(c)) for c in cookies)
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", JSON_CONTENT_TYPE))
    return HttpResponse(_status(result), headers, _body_bytes(result))


def problem_response(status: int, title: str, type_slug: str, detail: str, request_id: str,
                     headers: list[tuple[str, str]] | None = None) -> HttpResponse:
    """An RFC 9457 problem answered by the runtime itself, not by a function: `type` is the configured
    problem_type_base + `type_slug`."""
    body = {"type": f"{_settings['problem_type_base']}{type_slug}", "title": title,
            "status": status, "detail": detail, "request_id": request_id}
    return HttpResponse(status, [("Content-Type", PROBLEM_CONTENT_TYPE), *(headers or [])],
                        json.dumps(body).encode("utf-8"))
