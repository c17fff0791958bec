"""Test helpers shared by every service's tests (not used at run time)."""
from __future__ import annotations

import time
import uuid

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .auth import key_source


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


class ApiClient:
    """Calls a ServiceApp with API Gateway REST proxy events (v1), as API Gateway would."""

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
