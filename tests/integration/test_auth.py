"""Auth through the gateway over HTTPS, as the SPA and an attacker would use it."""
from __future__ import annotations

import base64
import json
import re
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PASSWORD = "integration passphrase 2024"
XHR = {"X-Requested-With": "XMLHttpRequest"}


def _email(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"


def _url(stack, path: str) -> str:
    return f"{stack.base_url}/api/v1{path}"


def _register(stack, email: str, password: str = PASSWORD, **extra):
    return stack.session().post(_url(stack, "/auth/register"), json={"email": email, "password": password, **extra},
                                timeout=20)


def _login(session, stack, email: str, password: str = PASSWORD):
    return session.post(_url(stack, "/auth/login"), json={"email": email, "password": password}, timeout=20)


def _sent_emails(stack, to: str, subject: str, timeout: float = 30.0) -> list[dict]:
    """What moto's SES kept for `to` (the runtime's poller feeds AuthEmailQueue to AuthEmailFunction)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = stack.session().get(f"{stack.aws_endpoint}/moto-api/data.json", timeout=10).json()
        found = [m for m in data.get("ses", {}).get("Message", [])
                 if to in m["destinations"].get("ToAddresses", []) and m["subject"] == subject]
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"no e-mail {subject!r} to {to} within {timeout}s")


def _token_in(body: str) -> str:
    """The token of the e-mail's link (text or HTML body)."""
    return re.search(r"[?&]token=([A-Za-z0-9_-]{20,})", body).group(1)


@pytest.fixture
def account(stack):
    email = _email("acct")
    response = _register(stack, email)
    assert response.status_code == 201, response.text
    return {"email": email, "user_id": response.json()["user_id"]}


def test_register_login_refresh_logout(stack, account):
    browser = stack.session()
    login = _login(browser, stack, account["email"].upper())
    assert login.status_code == 200, login.text
    body = login.json()
    assert body["token_type"] == "Bearer" and 0 < body["expires_in"] <= 900
    cookie = login.headers["Set-Cookie"]
    for attribute in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/api/v1/auth"):
        assert attribute in cookie
    first = browser.cookies.get("refresh_token")
    assert first
    me = browser.get(_url(stack, "/users/me"), headers={"Authorization": f"Bearer {body['access_token']}"},
                     timeout=20)
    assert me.status_code == 200 and me.json()["email"] == account["email"]

    refreshed = browser.post(_url(stack, "/auth/refresh"), headers=XHR, timeout=20)
    assert refreshed.status_code == 200, refreshed.text
    assert browser.cookies.get("refresh_token") not in (None, first)

    out = browser.post(_url(stack, "/auth/logout"), headers=XHR, timeout=20)
    assert out.status_code == 204
    assert "Max-Age=0" in out.headers["Set-Cookie"]
    replay = stack.session().post(_url(stack, "/auth/refresh"), headers=XHR,
                                  cookies={"refresh_token": first}, timeout=20)
    assert replay.status_code == 401


def test_duplicate_email_is_409_and_weak_password_400(stack, account):
    assert _register(stack, account["email"].title()).status_code == 409
    weak = _register(stack, _email("weak"), "password1234")
    assert weak.status_code == 400
    assert weak.headers["Content-Type"].startswith("application/problem+json")
    assert "password" in weak.json()["errors"]


def test_unknown_email_and_wrong_password_answer_the_same(stack, account):
    session = stack.session()
    wrong = _login(session, stack, account["email"], "not the password at all")
    unknown = _login(session, stack, _email("nobody"), "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert {k: wrong.json()[k] for k in ("title", "detail")} == {k: unknown.json()[k] for k in ("title", "detail")}


def test_refresh_reuse_revokes_the_family(stack, account):
    browser = stack.session()
    assert _login(browser, stack, account["email"]).status_code == 200
    stolen = browser.cookies.get("refresh_token")
    assert browser.post(_url(stack, "/auth/refresh"), headers=XHR, timeout=20).status_code == 200
    thief = stack.session().post(_url(stack, "/auth/refresh"), headers=XHR,
                                 cookies={"refresh_token": stolen}, timeout=20)
    assert thief.status_code == 401
    assert browser.post(_url(stack, "/auth/refresh"), headers=XHR, timeout=20).status_code == 401


def test_refresh_without_the_csrf_header_is_refused(stack, account):
    browser = stack.session()
    _login(browser, stack, account["email"])
    response = browser.post(_url(stack, "/auth/refresh"), timeout=20)
    assert response.status_code == 403
    assert browser.post(_url(stack, "/auth/refresh"), headers={"Origin": "https://evil.example"},
                        timeout=20).status_code == 403
    assert browser.post(_url(stack, "/auth/refresh"), headers=XHR, timeout=20).status_code == 200


def test_lockout_answers_429_with_retry_after(stack, account):
    session = stack.session()
    statuses = [_login(session, stack, account["email"], "wrong password again").status_code for _ in range(5)]
    assert statuses == [401] * 5
    locked = _login(session, stack, account["email"])
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0


def test_jwks_and_token_claims(stack, account):
    jwks = stack.session().get(_url(stack, "/auth/.well-known/jwks.json"), timeout=20).json()
    assert jwks["keys"] and all("d" not in k for k in jwks["keys"])
    token = _login(stack.session(), stack, account["email"]).json()["access_token"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] in ("EdDSA", "RS256") and header["kid"] in {k["kid"] for k in jwks["keys"]}
    claims = jwt.decode(token, options={"verify_signature": False})
    assert set(claims) >= {"sub", "role", "iss", "aud", "iat", "exp", "jti"}
    assert claims["exp"] - claims["iat"] <= 900 and claims["sub"] == account["user_id"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_forged_tokens_are_refused_by_other_services(stack, account):
    genuine = _login(stack.session(), stack, account["email"]).json()["access_token"]
    header, payload, signature = genuine.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    kid = jwt.get_unverified_header(genuine)["kid"]
    now = int(time.time())
    forged = {
        "alg none": f"{_b64(json.dumps({'alg': 'none', 'kid': kid}).encode())}.{payload}.",
        "tampered": f"{header}.{_b64(json.dumps({**claims, 'role': 'super_admin'}).encode())}.{signature}",
        "foreign key": jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": kid}),
        "unknown kid": jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA",
                                  headers={"kid": "nope"}),
        "hs256": jwt.encode({**claims}, "public-key-as-secret-0123456789abcdef", algorithm="HS256",
                            headers={"kid": kid}),
        "expired": jwt.encode({**claims, "exp": now - 120, "iat": now - 1000}, Ed25519PrivateKey.generate(),
                              algorithm="EdDSA", headers={"kid": kid}),
    }
    for name, token in forged.items():
        response = stack.session().get(_url(stack, "/users/me"), headers={"Authorization": f"Bearer {token}"},
                                       timeout=20)
        assert response.status_code == 401, name
        assert response.headers.get("WWW-Authenticate") == "Bearer", name


def test_verification_email_and_password_reset_via_ses(stack):
    email = _email("mail")
    assert _register(stack, email).status_code == 201
    verify = _sent_emails(stack, email, "Confirm your e-mail address")[0]
    token = _token_in(verify["body"])
    session = stack.session()
    assert session.post(_url(stack, "/auth/verify-email"), json={"token": token}, timeout=20).status_code == 204
    assert session.post(_url(stack, "/auth/verify-email"), json={"token": token}, timeout=20).status_code == 400

    assert session.post(_url(stack, "/auth/password/forgot"), json={"email": email}, timeout=20).status_code == 202
    assert session.post(_url(stack, "/auth/password/forgot"), json={"email": _email("ghost")},
                        timeout=20).status_code == 202
    reset = _sent_emails(stack, email, "Reset your password")[0]
    new_password = "a new integration passphrase"
    response = session.post(_url(stack, "/auth/password/reset"),
                            json={"token": _token_in(reset["body"]), "password": new_password}, timeout=20)
    assert response.status_code == 204
    assert _login(stack.session(), stack, email).status_code == 401
    assert _login(stack.session(), stack, email, new_password).status_code == 200


def test_seeded_accounts_log_in_with_their_roles(stack):
    credentials = stack.credentials
    roles = {"superadmin@example.com": "super_admin", "admin@example.com": "admin",
             "customer@example.com": "customer"}
    assert set(roles) <= set(credentials)
    for email, role in roles.items():
        response = _login(stack.session(), stack, email, credentials[email])
        assert response.status_code == 200, (email, response.text)
        claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
        assert claims["role"] == role
