"""Test helpers shared by every service's tests (not used at run time)."""
from __future__ import annotations

import time
import uuid

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from meridian.auth import key_source


class TokenFactory:
    """Issues access tokens with a throw-away Ed25519 key and installs its JWKS as the verifier's keys."""

    def __init__(self, issuer: str = "https://meridian.local/auth", audience: str = "meridian-api"):
        self.issuer, self.audience = issuer, audience
        self.kid = f"test-{uuid.uuid4().hex[:8]}"
        self.private_key = Ed25519PrivateKey.generate()
        public_jwk = jwt.algorithms.OKPAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        public_jwk.update({"kid": self.kid, "alg": "EdDSA", "use": "sig"})
        self.jwks = {"keys": [public_jwk]}
        key_source.use_static(self.jwks)

    def token(self, sub: str | None = None, role: str = "customer", ttl: int = 900, **overrides) -> str:
        now = int(time.time())
        claims = {"sub": sub or str(uuid.uuid4()), "role": role, "iss": self.issuer, "aud": self.audience,
                  "iat": now, "exp": now + ttl, "jti": str(uuid.uuid4())}
        claims.update(overrides)
        return jwt.encode(claims, self.private_key, algorithm="EdDSA", headers={"kid": self.kid})

    def header(self, sub: str | None = None, role: str = "customer", **kw) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(sub, role, **kw)}"}


def point_api_base_url(url: str) -> None:
    """Tests (moto): set the SSM parameter named by API_BASE_URL_PARAMETER to `url` and forget the
    value this execution environment cached, as a new deployment's cold start would see it."""
    import os

    from meridian import aws

    aws.client("ssm").put_parameter(Name=os.environ["API_BASE_URL_PARAMETER"], Value=url, Type="String",
                                    Overwrite=True)
    aws.forget_parameters()


class LambdaContext:
    """A minimal Lambda context for calling handlers in tests."""

    def __init__(self, function_name: str = "test", timeout_ms: int = 10_000):
        self.aws_request_id = str(uuid.uuid4())
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.memory_limit_in_mb = 512
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "test"
        self._deadline = time.monotonic() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class ApiResponse:
    def __init__(self, result: dict):
        import base64
        import json

        self.status = result["statusCode"]
        self.headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
        self.multi_headers = {k.lower(): v for k, v in (result.get("multiValueHeaders") or {}).items()}
        body = result.get("body") or ""
        if result.get("isBase64Encoded"):
            body = base64.b64decode(body).decode()
        self.text = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None


_UNSET = object()


class ServiceSignature:
    """An X-Service-Authorization value still to be made: ApiClient signs, as `service`, exactly
    the request it sends (method, path, query, body) with a fresh nonce. Whatever is given here
    is signed instead of what is sent (a test of a tampered request)."""

    def __init__(self, service: str, *, method: str | None = None, path: str | None = None, query=_UNSET,
                 body=_UNSET, now: int | None = None):
        self.service, self.method, self.path, self.query, self.body, self.now = service, method, path, query, body, now

    def value(self, method: str, path: str, query, body) -> str:
        from meridian import service_auth

        return service_auth.sign(self.service, self.method or method, self.path or path,
                                 query=query if self.query is _UNSET else self.query,
                                 body=body if self.body is _UNSET else self.body, now=self.now)


def service_headers(service: str, method: str | None = None, path: str | None = None, **overrides) -> dict:
    """Headers of an internal call signed by `service` (see ServiceSignature); for ApiClient."""
    from meridian.service_auth import HEADER

    return {HEADER: ServiceSignature(service, method=method, path=path, **overrides)}


class ApiClient:
    """Calls a ServiceApp with API Gateway REST proxy events (v1), as API Gateway would.

    `path` is the event's path: the request's path below the API's stage (/api/v1/...). A
    ServiceSignature header value is signed over the request as sent."""

    def __init__(self, app, resource_prefix: str | None = None):
        self.app = app
        self.resource = (resource_prefix or app.prefix) + "/{proxy+}"

    def request(self, method: str, path: str, *, json=None, headers: dict | None = None,
                query: dict | None = None, body: str | None = None) -> ApiResponse:
        import json as _json

        sent = {"Content-Type": "application/json", "Host": "localhost"}
        sent.update(headers or {})
        if json is not None:
            body = _json.dumps(json)
        query = query or {}
        multi = {k: (v if isinstance(v, list) else [v]) for k, v in query.items()}
        for name, value in list(sent.items()):
            if isinstance(value, ServiceSignature):
                sent[name] = value.value(method, path, multi, body or "")
        event = {
            "resource": self.resource,
            "path": path,
            "httpMethod": method.upper(),
            "headers": sent,
            "multiValueHeaders": {k: [v] for k, v in sent.items()},
            "queryStringParameters": {k: v[-1] for k, v in multi.items()} or None,
            "multiValueQueryStringParameters": multi or None,
            "pathParameters": {"proxy": path.split("/", 4)[-1]},
            "stageVariables": None,
            "requestContext": {"resourcePath": self.resource, "httpMethod": method.upper(), "path": path,
                               "stage": "local", "requestId": str(uuid.uuid4()),
                               "identity": {"sourceIp": "127.0.0.1"}},
            "body": body,
            "isBase64Encoded": False,
        }
        return ApiResponse(self.app(event, LambdaContext()))

    def get(self, path: str, **kw) -> ApiResponse:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw) -> ApiResponse:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw) -> ApiResponse:
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw) -> ApiResponse:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw) -> ApiResponse:
        return self.request("DELETE", path, **kw)


def signed_by(request, base_url: str) -> str:
    """The service that signed a `requests` request ServiceClient sent (a fake callee's check), as the
    callee would verify it: path below `base_url`, query, body, nonce (in TABLE_NAME). 401 error otherwise."""
    from urllib.parse import urlsplit

    from meridian import service_auth

    body = request.body or b""
    return service_auth.verify(request.headers.get(service_auth.HEADER), request.method,
                               service_auth.relative_path(request.url, base_url), query=urlsplit(request.url).query,
                               body=body)


def serve_in_process(mock, base_url: str, app) -> None:
    """Answer HTTP calls to `app`'s routes under `base_url` (e.g. ServiceClient's) in process.

    `mock` is a `responses.RequestsMock(assert_all_requests_are_fired=False)` (a callback is
    registered per method); `base_url` the API's base URL with its stage
    (http://services.test/Prod). Like API Gateway, the app's event has the URL's path below the
    base URL (no stage), the decoded query and the body as sent.
    """
    import re
    from urllib.parse import parse_qsl, urlsplit

    import responses
    from meridian.api import _current
    from meridian.service_auth import relative_path

    def answer(request):
        split = urlsplit(request.url)
        query: dict[str, list[str]] = {}
        for key, value in parse_qsl(split.query, keep_blank_values=True):
            query.setdefault(key, []).append(value)
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        caller = _current["app"]        # the calling app, when the caller is one in this process too
        try:
            result = ApiClient(app).request(request.method, relative_path(request.url, base_url), query=query,
                                            body=body, headers=dict(request.headers))
        finally:
            _current["app"] = caller
        return result.status, {k: v for k, v in result.headers.items() if k != "content-length"}, result.text

    pattern = re.compile(re.escape(base_url.rstrip("/") + app.prefix) + r"(/[^?]*)?(\?.*)?$")
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        mock.add_callback(getattr(responses, method), pattern, callback=answer)
