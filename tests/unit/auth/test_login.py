import time

import jwt
from meridian.auth import verify_access_token

from .conftest import PASSWORD, cookie_value


def test_login_returns_a_short_lived_asymmetric_token_and_a_strict_cookie(auth):
    user_id = auth.registered("login@example.com")
    response = auth.login("LOGIN@example.com")
    assert response.status == 200
    body = response.json
    assert body["token_type"] == "Bearer"
    assert 0 < body["expires_in"] <= 900
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "EdDSA" and header["kid"]
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert set(claims) >= {"sub", "role", "iss", "aud", "iat", "exp", "jti"}
    assert claims["sub"] == user_id and claims["role"] == "customer"
    assert claims["exp"] - claims["iat"] <= 900
    assert abs(claims["iat"] - time.time()) < 60
    principal = verify_access_token(body["access_token"])
    assert principal.user_id == user_id
    cookie = response.headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "path", "samesite"} <= attributes
    assert "SameSite=Strict" in cookie and "Path=/api/v1/auth" in cookie
    assert len(cookie_value(cookie)) >= 43  # 32 random bytes, base64url
    assert response.headers["cache-control"] == "no-store"


def test_each_login_gets_a_unique_jti_and_refresh_token(auth):
    auth.registered("twice@example.com")
    first, second = auth.login("twice@example.com"), auth.login("twice@example.com")
    claims = [jwt.decode(r.json["access_token"], options={"verify_signature": False}) for r in (first, second)]
    assert claims[0]["jti"] != claims[1]["jti"]
    assert cookie_value(first.headers["set-cookie"]) != cookie_value(second.headers["set-cookie"])


def test_unknown_email_and_wrong_password_answer_the_same(auth):
    auth.registered("known@example.com")
    wrong = auth.login("known@example.com", "not the right password")
    unknown = auth.login("nobody@example.com", "not the right password")
    assert wrong.status == unknown.status == 401
    for key in ("type", "title", "status", "detail"):
        assert wrong.json[key] == unknown.json[key]
    assert wrong.headers["www-authenticate"] == unknown.headers["www-authenticate"] == "Bearer"
    assert "set-cookie" not in wrong.headers and "set-cookie" not in unknown.headers


def test_unknown_email_does_the_same_work_as_a_wrong_password(auth, modules, monkeypatch):
    """Same number of table reads and one argon2 verification each, so both take about as long."""
    auth.registered("work@example.com")
    modules.passwords._dummy_hash()  # built once per environment, not per request
    calls = {"verify": 0, "get": 0, "hashes": []}
    real_hasher, models = modules.passwords._hasher, modules.models

    class CountingHasher:
        def verify(self, *args, **kwargs):
            calls["verify"] += 1
            calls["hashes"].append(args[0] if args else kwargs.get("hash"))
            return real_hasher.verify(*args, **kwargs)

        def __getattr__(self, name):
            return getattr(real_hasher, name)

    monkeypatch.setattr(modules.passwords, "_hasher", CountingHasher())
    real_get = models._AuthItem.get.__func__

    def counting_get(cls, *args, **kwargs):
        if cls in (models.EmailClaim, models.Account):
            calls["get"] += 1
        return real_get(cls, *args, **kwargs)

    monkeypatch.setattr(models._AuthItem, "get", classmethod(counting_get))
    for model in (models.EmailClaim, models.Account):
        monkeypatch.setattr(model, "get", classmethod(counting_get))
    costs = []
    for email in ("work@example.com", "nobody@example.com"):
        calls.update(verify=0, get=0, hashes=[])
        assert auth.login(email, "a wrong password here").status == 401
        costs.append((calls["verify"], calls["get"], calls["hashes"]))
    (known_verify, known_get, known_hashes), (unknown_verify, unknown_get, unknown_hashes) = costs
    assert known_verify == unknown_verify == 1
    assert known_get == unknown_get == 2
    # the real argon2 ran in both, against a hash of the same cost (compared, not timed)
    [known_hash], [unknown_hash] = known_hashes, unknown_hashes
    assert known_hash != unknown_hash and known_hash.startswith("$argon2id$")

    def cost(encoded):          # "$argon2id$v=19$m=...,t=...,p=...$salt$hash" → version and parameters
        return encoded.split("$")[2:4]

    assert cost(known_hash) == cost(unknown_hash) == cost(modules.passwords.hash_password("x" * 12))


def test_role_comes_from_the_account_at_each_login(auth, modules):
    user_id = auth.registered("promoted@example.com")
    first = verify_access_token(auth.login("promoted@example.com").json["access_token"])
    assert first.role == "customer"
    modules.directory.set_role(user_id, "admin")
    second = verify_access_token(auth.login("promoted@example.com").json["access_token"])
    assert second.role == "admin"


def test_login_validation_errors_are_400(auth):
    response = auth.client.post("/api/v1/auth/login", json={"email": "x@example.com"})
    assert response.status == 400
    assert "password" in response.json["errors"]
    response = auth.client.post("/api/v1/auth/login", json={"email": 5, "password": PASSWORD})
    assert response.status == 400
    assert "email" in response.json["errors"]
