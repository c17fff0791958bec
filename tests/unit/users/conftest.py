"""Fixtures of the users tests: the UsersFunction app on moto, tokens, and a stand-in auth service."""
from __future__ import annotations

import json
import re
import uuid

import pytest
import responses
from meridian import preferences
from meridian.auth import key_source

from tests.lambda_testing import ApiClient, LambdaContext, TokenFactory, signed_by

from ..conftest import API_BASE_URL

AUTH_USER_URL = re.compile(re.escape(API_BASE_URL) + r"/api/v1/auth/internal/users/([^/?]+)")
LOCALIZATION = f"{API_BASE_URL}/api/v1/localization"


class FakeAuth:
    """Answers GET /api/v1/auth/internal/users/{id} like auth does, and records the calls."""

    def __init__(self):
        self.accounts: dict[str, dict] = {}
        self.calls: list[dict] = []
        self.down = False

    def add(self, user_id=None, email=None, **fields):
        user_id = user_id or str(uuid.uuid4())
        self.accounts[user_id] = {"id": user_id, "user_id": user_id, "email": email or f"{user_id[:8]}@example.com",
                                  "role": "customer", "name": None, "locale": None, "currency": None,
                                  "created_at": "2026-01-01T00:00:00.000Z", **fields}
        return user_id

    def __call__(self, request):
        self.calls.append({"url": request.url, "headers": dict(request.headers)})
        assert signed_by(request, API_BASE_URL) == "users"
        if self.down:
            return 503, {"Content-Type": "application/problem+json"}, json.dumps({"status": 503})
        user_id = AUTH_USER_URL.match(request.url).group(1)
        if user_id not in self.accounts:
            return 404, {"Content-Type": "application/problem+json"}, json.dumps({"status": 404})
        return 200, {"Content-Type": "application/json"}, json.dumps(self.accounts[user_id])


class UsersDriver:
    def __init__(self, app, tokens: TokenFactory, fake_auth: FakeAuth, mock: responses.RequestsMock):
        self.app, self.client, self.tokens, self.auth, self.http = app, ApiClient(app), tokens, fake_auth, mock

    def headers(self, user_id: str, role: str = "customer") -> dict:
        return self.tokens.header(sub=user_id, role=role)

    def get(self, path, user_id, **kw):
        return self.client.get(f"/api/v1/users{path}", headers=self.headers(user_id), **kw)

    def patch(self, path, user_id, json):
        return self.client.patch(f"/api/v1/users{path}", headers=self.headers(user_id), json=json)

    def post(self, path, user_id, json):
        return self.client.post(f"/api/v1/users{path}", headers=self.headers(user_id), json=json)

    def delete(self, path, user_id):
        return self.client.delete(f"/api/v1/users{path}", headers=self.headers(user_id))

    def new_user(self, **fields) -> str:
        return self.auth.add(**fields)


@pytest.fixture
def users(load_function, aws):
    preferences.use_static(locales=["en", "de", "fr", "pt-BR"], currencies=["USD", "EUR", "JPY"])
    tokens = TokenFactory()
    app = load_function("UsersFunction")
    fake_auth = FakeAuth()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, AUTH_USER_URL, callback=fake_auth)
        yield UsersDriver(app, tokens, fake_auth, mock)
    preferences.reset()
    key_source._static, key_source._keys, key_source._fetched_at = False, {}, 0.0


@pytest.fixture
def context():
    return LambdaContext("UsersEventsFunction")


VALID_ADDRESS = {"name": "Ada Lovelace", "line1": "12 St James's Square", "city": "London",
                 "postal_code": "SW1Y 4JH", "country": "GB"}
