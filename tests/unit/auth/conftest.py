"""Fixtures of the auth tests: the AuthFunction app on moto, and helpers to drive its flows."""
from __future__ import annotations

import json
import re
from types import SimpleNamespace

import boto3
import pytest
from meridian import preferences
from meridian.auth import key_source

from tests.lambda_testing import ApiClient, LambdaContext

PASSWORD = "correct horse battery staple"
XHR = {"X-Requested-With": "XMLHttpRequest"}


def cookie_value(set_cookie: str | None) -> str | None:
    match = re.match(r"refresh_token=([^;]*)", set_cookie or "")
    return match.group(1) if match else None


class AuthDriver:
    """Drives the auth API the way the SPA would."""

    def __init__(self, app, template):
        self.app = app
        self.client = ApiClient(app)
        self.template = template
        self.sqs = boto3.client("sqs", region_name="us-east-1")
        self.email_queue = self.sqs.get_queue_url(QueueName=template.physical_name("AuthEmailQueue"))["QueueUrl"]

    def register(self, email: str, password: str = PASSWORD, **extra):
        return self.client.post("/api/v1/auth/register", json={"email": email, "password": password, **extra})

    def login(self, email: str, password: str = PASSWORD):
        return self.client.post("/api/v1/auth/login", json={"email": email, "password": password})

    def refresh(self, token: str | None, headers: dict | None = None):
        sent = dict(XHR if headers is None else headers)
        if token is not None:
            sent["Cookie"] = f"refresh_token={token}"
        return self.client.post("/api/v1/auth/refresh", headers=sent)

    def logout(self, token: str | None, headers: dict | None = None):
        sent = dict(XHR if headers is None else headers)
        if token is not None:
            sent["Cookie"] = f"refresh_token={token}"
        return self.client.post("/api/v1/auth/logout", headers=sent)

    def registered(self, email: str, password: str = PASSWORD, **extra) -> str:
        response = self.register(email, password, **extra)
        assert response.status == 201, response.json
        return response.json["user_id"]

    def queued_emails(self) -> list[dict]:
        """Drain the e-mail queue: the messages the API queued for AuthEmailFunction."""
        found = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.email_queue, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return found
            for message in batch:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.email_queue, ReceiptHandle=message["ReceiptHandle"])

    def token_for(self, kind: str, to: str) -> str:
        tokens = [m["token"] for m in self.queued_emails() if m["kind"] == kind and m["to"].lower() == to.lower()]
        assert tokens, f"no {kind} e-mail queued for {to}"
        return tokens[-1]

    def table_items(self) -> list[dict]:
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        return ddb.scan(TableName=self.template.physical_name("AuthTable"))["Items"]


@pytest.fixture
def auth(load_function, aws):
    preferences.use_static(locales=["en", "de", "pt-BR"], currencies=["USD", "EUR", "JPY"])
    app = load_function("AuthFunction")
    from auth import signing_keys

    key_source.use_static(signing_keys.current_key_set().public_jwks())
    yield AuthDriver(app, aws)
    preferences.reset()
    key_source._static, key_source._keys, key_source._fetched_at = False, {}, 0.0


@pytest.fixture
def context():
    return LambdaContext("AuthEmailFunction")


def sqs_event(*bodies: str) -> dict:
    return {"Records": [{"messageId": f"m{i}", "receiptHandle": f"r{i}", "body": body, "attributes": {},
                         "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                         "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:unit-auth-email",
                         "awsRegion": "us-east-1"} for i, body in enumerate(bodies)]}


@pytest.fixture
def modules(auth):
    """The auth service's own modules, as the loaded function imported them."""
    import importlib

    return SimpleNamespace(**{name: importlib.import_module(f"auth.{name}") for name in
                              ("accounts", "sessions", "lockout", "signing_keys", "rotate_keys", "tokens",
                               "passwords", "directory", "emails", "browser", "settings", "models")})
