"""Users through the gateway over HTTPS: profile right after registration, preferences, address book."""
from __future__ import annotations

import time
import uuid

import pytest

PASSWORD = "integration passphrase 2024"
ADDRESS = {"name": "Grace Hopper", "line1": "1 Navy Way", "city": "Arlington", "region": "VA",
           "postal_code": "22202", "country": "US"}


def _url(stack, path: str) -> str:
    return f"{stack.base_url}/api/v1{path}"


def _new_user(stack, **extra) -> dict:
    email = f"user-{uuid.uuid4().hex[:10]}@example.com"
    session = stack.session()
    registered = session.post(_url(stack, "/auth/register"), json={"email": email, "password": PASSWORD, **extra},
                              timeout=20)
    assert registered.status_code == 201, registered.text
    login = session.post(_url(stack, "/auth/login"), json={"email": email, "password": PASSWORD}, timeout=20)
    assert login.status_code == 200, login.text
    session.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
    return {"email": email, "id": registered.json()["user_id"], "session": session}


@pytest.fixture
def user(stack):
    return _new_user(stack, name="Integration", locale="de", currency="EUR")


def test_me_right_after_registration(stack, user):
    response = user["session"].get(_url(stack, "/users/me"), timeout=20)
    assert response.status_code == 200, response.text
    me = response.json()
    assert (me["id"], me["email"], me["role"]) == (user["id"], user["email"], "customer")
    assert (me["name"], me["locale"], me["currency"]) == ("Integration", "de", "EUR")


def test_user_registered_event_reaches_the_users_service(stack):
    """Without any GET /me, the profile appears through bus → SQS → UsersEventsFunction."""
    fresh = _new_user(stack, name="Evented")
    deadline = time.monotonic() + 30
    source = None
    while time.monotonic() < deadline:
        items = stack.client("dynamodb").get_item(
            TableName=stack.template.physical_name("UsersTable"),
            Key={"pk": {"S": f"USER#{fresh['id']}"}, "sk": {"S": "PROFILE"}}).get("Item")
        if items:
            source = items.get("source", {}).get("S")
            break
        time.sleep(0.3)
    assert source == "event"


def test_patch_me_and_validation(stack, user):
    session = user["session"]
    changed = session.patch(_url(stack, "/users/me"), json={"name": "<script>alert(1)</script>", "currency": "JPY"},
                            timeout=20)
    assert changed.status_code == 200, changed.text
    assert changed.headers["Content-Type"].startswith("application/json")
    assert changed.json()["name"] == "<script>alert(1)</script>" and changed.json()["currency"] == "JPY"
    refused = session.patch(_url(stack, "/users/me"), json={"locale": "xx-XX", "currency": "NOPE"}, timeout=20)
    assert refused.status_code == 400
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert set(refused.json()["errors"]) == {"locale", "currency"}


def test_address_book_is_private(stack, user):
    session = user["session"]
    created = session.post(_url(stack, "/users/me/addresses"), json=ADDRESS, timeout=20)
    assert created.status_code == 201, created.text
    address_id = created.json()["id"]
    assert session.get(_url(stack, "/users/me/addresses"), timeout=20).json()["items"][0]["id"] == address_id
    other = _new_user(stack)["session"]
    path = _url(stack, f"/users/me/addresses/{address_id}")
    assert other.get(path, timeout=20).status_code == 404
    assert other.patch(path, json={"city": "Elsewhere"}, timeout=20).status_code == 404
    assert other.delete(path, timeout=20).status_code == 404
    bad = session.post(_url(stack, "/users/me/addresses"), json={**ADDRESS, "country": "XX", "line1": ""},
                       timeout=20)
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"country", "line1"}
    assert session.delete(path, timeout=20).status_code == 204
    assert session.get(path, timeout=20).status_code == 404
