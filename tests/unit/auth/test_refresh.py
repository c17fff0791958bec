import json

import jwt
import pytest
from meridian.auth import verify_access_token
from meridian.errors import Unauthorized

from .conftest import cookie_value


def _session(auth, email="session@example.com"):
    user_id = auth.registered(email)
    response = auth.login(email)
    return user_id, cookie_value(response.headers["set-cookie"])


def test_refresh_rotates_the_cookie_and_issues_a_new_access_token(auth):
    user_id, first = _session(auth)
    response = auth.refresh(first)
    assert response.status == 200
    assert response.json["token_type"] == "Bearer" and response.json["expires_in"] <= 900
    assert verify_access_token(response.json["access_token"]).user_id == user_id
    second = cookie_value(response.headers["set-cookie"])
    assert second and second != first
    assert "HttpOnly" in response.headers["set-cookie"] and "SameSite=Strict" in response.headers["set-cookie"]
    assert auth.refresh(second).status == 200


def test_reusing_a_refresh_token_revokes_its_whole_family(auth):
    _, first = _session(auth)
    second = cookie_value(auth.refresh(first).headers["set-cookie"])
    replay = auth.refresh(first)  # the old token again: stolen, or replayed
    assert replay.status == 401
    assert replay.headers["www-authenticate"] == "Bearer"
    assert auth.refresh(second).status == 401  # the legitimate newest token died with the family
    # another session of the same user is not affected
    other = cookie_value(auth.login("session@example.com").headers["set-cookie"])
    assert auth.refresh(other).status == 200


def test_refresh_and_logout_need_the_csrf_header_or_our_origin(auth):
    _, token = _session(auth)
    for call in (auth.refresh, auth.logout):
        response = call(token, headers={})
        assert response.status == 403
        assert response.headers["content-type"] == "application/problem+json"
        assert call(token, headers={"Origin": "https://evil.example", "Host": "localhost:8443"}).status == 403
    # the refused calls changed nothing: the token still works, once, from our own origin
    response = auth.refresh(token, headers={"Origin": "https://localhost:8443", "Host": "localhost:8443"})
    assert response.status == 200


def test_refresh_without_or_with_a_bogus_cookie_is_401(auth):
    assert auth.refresh(None).status == 401
    assert auth.refresh("x" * 43).status == 401
    assert auth.refresh("not a token!").status == 401


def test_logout_revokes_the_family_and_clears_the_cookie(auth):
    _, token = _session(auth)
    response = auth.logout(token)
    assert response.status == 204
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("refresh_token=;") and "Max-Age=0" in cookie and "Path=/api/v1/auth" in cookie
    assert auth.refresh(token).status == 401
    assert auth.logout(token).status == 204  # idempotent
    assert auth.logout(None).status == 204


def test_refresh_tokens_expire_fourteen_days_after_login(auth, modules, monkeypatch):
    _, token = _session(auth)
    response = auth.refresh(token)
    token = cookie_value(response.headers["set-cookie"])
    cookie_age = int(response.headers["set-cookie"].split("Max-Age=")[1].split(";")[0])
    assert 14 * 86400 - 60 <= cookie_age <= 14 * 86400  # the absolute lifetime, not renewed by refreshing
    real_time = modules.sessions.time.time
    monkeypatch.setattr(modules.sessions.time, "time", lambda: real_time() + 14 * 86400 + 1)
    assert auth.refresh(token).status == 401


def test_only_hashes_of_refresh_tokens_are_stored(auth):
    _, token = _session(auth)
    rotated = cookie_value(auth.refresh(token).headers["set-cookie"])
    dump = json.dumps(auth.table_items())
    assert token not in dump and rotated not in dump
    assert dump.count("REFRESH#") == 2


def test_a_role_change_takes_effect_on_the_next_refresh(auth, modules):
    user_id, token = _session(auth)
    modules.directory.set_role(user_id, "super_admin")
    response = auth.refresh(token)
    claims = jwt.decode(response.json["access_token"], options={"verify_signature": False})
    assert claims["role"] == "super_admin"


def test_concurrent_use_of_one_token_lets_only_one_through(auth, modules, monkeypatch):
    """Two requests with the same token: the transaction lets one rotate; the other is a reuse."""
    _, token = _session(auth)
    record, family = modules.sessions._find(token)  # what a racing request read before either wrote
    assert modules.sessions.rotate(token)           # the other request rotates first
    monkeypatch.setattr(modules.sessions, "_find", lambda raw: (record, family))
    with pytest.raises(Unauthorized):
        modules.sessions.rotate(token)
    family.refresh()
    assert family.revoked_at and family.revoked_reason == "reuse"
