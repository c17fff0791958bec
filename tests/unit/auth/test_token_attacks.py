"""Forged and broken access tokens against the common layer's verifier, keyed by the real JWKS."""
import base64
import hashlib
import hmac
import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from meridian.api import ServiceApp
from meridian.auth import principal, require_role, verify_access_token
from meridian.errors import Unauthorized

from tests.lambda_testing import ApiClient


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(**overrides):
    now = int(time.time())
    claims = {"sub": str(uuid.uuid4()), "role": "customer", "iss": "https://meridian.local/auth",
              "aud": "meridian-api", "iat": now, "exp": now + 600, "jti": str(uuid.uuid4())}
    claims.update(overrides)
    return claims


@pytest.fixture
def signer(auth, modules):
    """Signs like the auth service (its active key), with claims we choose."""
    key = modules.signing_keys.current_key_set().active

    def sign(claims=None, headers=None, private_key=None):
        return jwt.encode(claims or _claims(), private_key or key.private_key, algorithm="EdDSA",
                          headers={"kid": key.kid, **(headers or {})})

    sign.kid = key.kid
    sign.public_jwk = key.public_jwk()
    return sign


@pytest.fixture
def protected():
    app = ServiceApp("demo")

    @app.route("/mine", methods=["GET"])
    @require_role("customer")
    def mine():
        """Needs a customer."""
        return {"user_id": principal().user_id}

    return ApiClient(app)


def test_a_genuine_token_passes(signer, protected):
    claims = _claims()
    response = protected.get("/api/v1/demo/mine", headers={"Authorization": f"Bearer {signer(claims)}"})
    assert response.status == 200 and response.json == {"user_id": claims["sub"]}


def _refused(protected, token):
    response = protected.get("/api/v1/demo/mine", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 401, response.json
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"
    with pytest.raises(Unauthorized):
        verify_access_token(token)
    return response


def test_alg_none_is_refused(signer, protected):
    header = _b64(json.dumps({"alg": "none", "kid": signer.kid, "typ": "JWT"}).encode())
    _refused(protected, f"{header}.{_b64(json.dumps(_claims()).encode())}.")


def test_hs256_signed_with_the_public_key_is_refused(signer, protected):
    public_bytes = base64.urlsafe_b64decode(signer.public_jwk["x"] + "==")
    pem = Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    for secret in (public_bytes, pem, json.dumps(signer.public_jwk).encode()):
        header = _b64(json.dumps({"alg": "HS256", "kid": signer.kid, "typ": "JWT"}).encode())
        payload = _b64(json.dumps(_claims()).encode())
        signature = _b64(hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        _refused(protected, f"{header}.{payload}.{signature}")


def test_expired_token_is_refused(signer, protected):
    now = int(time.time())
    response = _refused(protected, signer(_claims(iat=now - 3600, exp=now - 120)))
    assert "expired" in response.json["detail"]


def test_not_yet_valid_token_is_refused(signer, protected):
    now = int(time.time())
    _refused(protected, signer(_claims(nbf=now + 600)))


def test_wrong_audience_or_issuer_is_refused(signer, protected):
    _refused(protected, signer(_claims(aud="someone-else")))
    _refused(protected, signer(_claims(iss="https://evil.example/auth")))


def test_missing_required_claims_are_refused(signer, protected):
    for claim in ("sub", "exp", "jti", "iat"):
        claims = _claims()
        del claims[claim]
        _refused(protected, signer(claims))
    _refused(protected, signer(_claims(role="root")))


def test_tampered_payload_is_refused(signer, protected):
    header, payload, signature = signer(_claims()).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["role"] = "super_admin"
    _refused(protected, f"{header}.{_b64(json.dumps(claims).encode())}.{signature}")


def test_unknown_kid_or_foreign_key_is_refused(signer, protected):
    foreign = Ed25519PrivateKey.generate()
    _refused(protected, jwt.encode(_claims(), foreign, algorithm="EdDSA", headers={"kid": "unknown-kid"}))
    _refused(protected, signer(private_key=foreign))  # right kid, wrong key
    _refused(protected, jwt.encode(_claims(), foreign, algorithm="EdDSA"))  # no kid at all


def test_malformed_and_missing_tokens_are_refused(protected):
    assert protected.get("/api/v1/demo/mine").status == 401
    for value in ("Bearer", "Bearer not.a.jwt", "Basic dXNlcjpwYXNz", "Bearer a.b"):
        response = protected.get("/api/v1/demo/mine", headers={"Authorization": value})
        assert response.status == 401
        assert response.headers["www-authenticate"] == "Bearer"


def test_a_token_minted_for_a_year_with_the_real_key_is_refused(signer, protected):
    now = int(time.time())
    for lifetime, status in ((365 * 24 * 3600, 401), (901, 401), (900, 200)):
        token = signer(_claims(iat=now, exp=now + lifetime))
        response = protected.get("/api/v1/demo/mine", headers={"Authorization": f"Bearer {token}"})
        assert response.status == status, (lifetime, response.json)
        if status == 401:
            assert "longer than 15 minutes" in response.json["detail"]
