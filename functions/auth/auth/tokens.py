"""Access tokens (signed JWTs) and opaque tokens (refresh, e-mail verification, reset).

Access token: EdDSA (or RS256, whatever the active key is), header `kid`, claims sub,
role, iss, aud, iat, nbf, exp (≤ 15 minutes), jti. Verification is in the common layer
(meridian.auth.verify_access_token).

Opaque tokens: 32 random bytes (256 bits) from `secrets`, URL-safe; only their SHA-256
is stored (a fast hash is right here: the input is 256 random bits, not a password).
"""
from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

from . import settings, signing_keys


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int

    def to_json(self) -> dict:
        return {"access_token": self.token, "token_type": "Bearer", "expires_in": self.expires_in}


def issue_access_token(user_id: str, role: str, email: str | None = None, *, email_verified: bool = False,
                       now: int | None = None) -> AccessToken:
    """`email` rides along so services can name the actor (the audit log) without asking auth; `email_verified`
    so orders can hand a customer the orders they placed as a guest with that address."""
    issued = int(now if now is not None else time.time())
    ttl = settings.ACCESS_TOKEN_TTL_SECONDS
    claims = {"sub": user_id, "role": role, "iss": settings.ISSUER, "aud": settings.AUDIENCE,
              "iat": issued, "nbf": issued, "exp": issued + ttl, "jti": str(uuid.uuid4())}
    if email:
        claims["email"] = email
        claims["email_verified"] = bool(email_verified)
    import jwt  # PyJWT + cryptography load with the first token, not on a cold start

    key = signing_keys.current_key_set().active
    token = jwt.encode(claims, key.private_key, algorithm=key.alg, headers={"kid": key.kid, "typ": "JWT"})
    return AccessToken(token=token, expires_in=ttl)


def new_opaque_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_opaque_token(token: object) -> bool:
    return isinstance(token, str) and 20 <= len(token) <= 128 and token.replace("-", "").replace("_", "").isalnum()
