"""Access-token verification and role-based access control, used by every service.

Tokens are asymmetric JWTs (EdDSA or RS256) with a `kid`. Verification pins the
algorithm to the key's own, requires and checks iss, aud, exp, iat, sub, jti (and nbf
when present), refuses a lifetime (exp - iat) over MAX_TOKEN_LIFETIME_SECONDS (15 minutes: a
token minted for a year with the real key is still refused), and finds keys in the auth
service's JWKS (cached; refetched once, at most every 30 s, when an unknown kid shows up,
which is how key rotation is picked up).
The JWKS is at `<API base URL>/api/v1/auth/.well-known/jwks.json` (`config.jwks_url()`: the
base URL comes from the SSM parameter named by API_BASE_URL_PARAMETER).
"""
from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import Forbidden, Unauthorized

if TYPE_CHECKING:
    import jwt  # imported on first verification instead: PyJWT + cryptography cost ~40 ms of cold start

ROLES = ("customer", "admin", "super_admin")
ALLOWED_ALGORITHMS = ("EdDSA", "RS256")
LEEWAY_SECONDS = 30
MAX_TOKEN_LIFETIME_SECONDS = 900     # exp - iat of an access token: 15 minutes at most, whoever signed it


def role_rank(role: str) -> int:
    try:
        return ROLES.index(role)
    except ValueError:
        return -1


def role_at_least(role: str, minimum: str) -> bool:
    return role_rank(role) >= role_rank(minimum) >= 0


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: str
    claims: dict[str, Any] = field(default_factory=dict)

    @property
    def email(self) -> str | None:
        return self.claims.get("email")

    def is_at_least(self, minimum: str) -> bool:
        return role_at_least(self.role, minimum)

    def may_see(self, owner_id: str | None) -> bool:
        """Whether this principal sees a record owned by `owner_id`: its owner or an admin. Callers
        answer 404 otherwise, never 403: another user's record does not exist for them."""
        return owner_id == self.user_id or self.is_at_least("admin")


class JwksKeySource:
    """Public keys by kid, from a JWKS URL (default: config.jwks_url()), or a static set in tests."""

    def __init__(self, url: str | None = None, *, ttl: float = 300.0, refetch_interval: float = 30.0):
        self.url = url
        self.ttl = ttl
        self.refetch_interval = refetch_interval
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = 0.0
        self._static = False
        self._lock = threading.Lock()

    def use_static(self, jwks: dict) -> None:
        self._keys = self._parse(jwks)
        self._static = True
        self._fetched_at = time.monotonic()

    @staticmethod
    def _parse(jwks: dict) -> dict[str, jwt.PyJWK]:
        import jwt

        keys = {}
        for data in jwks.get("keys", []):
            if data.get("kid") and data.get("alg") in ALLOWED_ALGORITHMS:
                keys[data["kid"]] = jwt.PyJWK(data)
        return keys

    def _fetch(self) -> None:
        import requests

        from .config import jwks_url
        from .resilience import DEFAULT_TIMEOUT

        url = self.url or jwks_url()
        response = requests.get(url, timeout=DEFAULT_TIMEOUT)
        response.raise_for_status()
        self._keys = self._parse(response.json())
        self._fetched_at = time.monotonic()

    def key(self, kid: str) -> jwt.PyJWK | None:
        with self._lock:
            age = time.monotonic() - self._fetched_at
            if not self._static and (not self._keys or age > self.ttl or
                                     (kid not in self._keys and age > self.refetch_interval)):
                try:
                    self._fetch()
                except Exception as exc:  # keep serving the cached keys
                    if not self._keys:
                        from .errors import ServiceUnavailable
                        raise ServiceUnavailable("Token keys are unavailable.", retry_after=5) from exc
            return self._keys.get(kid)


key_source = JwksKeySource()


def verify_access_token(token: str, *, source: JwksKeySource | None = None) -> Principal:
    import jwt

    source = source or key_source
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise Unauthorized("The access token is malformed.") from None
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in ALLOWED_ALGORITHMS or not kid:
        raise Unauthorized("The access token's algorithm or key id is not accepted.")
    key = source.key(kid)
    if key is None or key.algorithm_name != alg:
        raise Unauthorized("The access token was signed by an unknown key.")
    try:
        claims = jwt.decode(
            token, key.key, algorithms=[key.algorithm_name],
            audience=os.environ.get("JWT_AUDIENCE", "meridian-api"),
            issuer=os.environ.get("JWT_ISSUER", "https://meridian.local/auth"),
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "sub", "jti", "iss", "aud"], "verify_nbf": True},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The access token has expired.") from None
    except jwt.PyJWTError:
        raise Unauthorized("The access token is invalid.") from None
    lifetime = claims["exp"] - claims["iat"]
    if not isinstance(lifetime, (int, float)) or lifetime > MAX_TOKEN_LIFETIME_SECONDS:
        raise Unauthorized(f"The access token lives longer than {MAX_TOKEN_LIFETIME_SECONDS // 60} minutes.")
    if claims.get("role") not in ROLES:
        raise Unauthorized("The access token carries no known role.")
    return Principal(user_id=claims["sub"], role=claims["role"], claims=claims)


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorized("An access token is required.")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Use the Bearer scheme.")
    return token.strip()


def authenticate() -> Principal:
    """The verified principal of the current request (cached on the request)."""
    from .api import current_request

    request = current_request()
    cached = getattr(request, "_meridian_principal", None)
    if cached is not None:
        return cached
    principal = verify_access_token(bearer_token((request.headers or {}).get("authorization")))
    request._meridian_principal = principal
    return principal


def principal() -> Principal:
    return authenticate()


def require_role(minimum: str) -> Callable:
    """View decorator: 401 without a valid token, 403 below `minimum` (customer < admin < super_admin)."""
    if minimum not in ROLES:
        raise ValueError(f"unknown role {minimum}")

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            who = authenticate()
            if not who.is_at_least(minimum):
                raise Forbidden(f"This action needs the {minimum} role.")
            return view(*args, **kwargs)

        guarded.__required_role__ = minimum
        return guarded

    return decorate
