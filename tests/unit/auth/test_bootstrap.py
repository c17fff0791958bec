"""AuthBootstrapFunction (handlers.create_first_super_admin): the stack's first super_admin, once."""
import json

import boto3
import jwt
import pytest

from tests.lambda_testing import LambdaContext

from .conftest import PASSWORD

BOSS_PASSWORD = "a long and unlikely passphrase 7"


@pytest.fixture
def bootstrap(auth, load_function):
    """Call the bootstrap handler (loaded after AuthFunction: the same table, in the same moto)."""
    handler = load_function("AuthBootstrapFunction")
    return lambda event: handler(event, LambdaContext("AuthBootstrapFunction"))


def kinds(items):
    return sorted(item["sk"]["S"] for item in items)


def role_in_token(response):
    return jwt.decode(response.json["access_token"], options={"verify_signature": False})["role"]


def users_events(auth):
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName=auth.template.physical_name("UsersEventsQueue"))["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_creates_a_verified_super_admin_who_can_log_in(auth, bootstrap):
    result = bootstrap({"email": "  Boss@Example.COM ", "password": BOSS_PASSWORD, "name": "The Boss"})
    assert set(result) == {"user_id", "email", "role", "promoted"}
    assert result["email"] == "Boss@Example.COM" and result["role"] == "super_admin" and not result["promoted"]
    items = auth.table_items()
    account = next(i for i in items if i["sk"]["S"] == "ACCOUNT")
    assert account["email_verified"]["BOOL"] is True and account["name"]["S"] == "The Boss"
    assert account["password_hash"]["S"].startswith("$argon2id$")
    assert kinds(items) == ["ACCOUNT", "CLAIM", "MARKER"]
    marker = next(i for i in items if i["sk"]["S"] == "MARKER")
    assert marker["pk"]["S"] == "BOOTSTRAP#super_admin" and marker["user_id"]["S"] == result["user_id"]
    assert BOSS_PASSWORD not in json.dumps(items)
    assert auth.queued_emails() == []                              # already verified: no verification e-mail

    login = auth.login("boss@example.com", BOSS_PASSWORD)       # e-mails match case-insensitively
    assert login.status == 200, login.json
    assert role_in_token(login) == "super_admin"

    registered = [e for e in users_events(auth) if e["detail-type"] == "user.registered"]
    assert [e["detail"]["user_id"] for e in registered] == [result["user_id"]]
    assert registered[0]["detail"]["role"] == "super_admin"


def test_a_second_call_is_refused_and_changes_nothing(auth, bootstrap):
    first = bootstrap({"email": "first@example.com", "password": BOSS_PASSWORD})
    assert "error" not in first
    before = auth.table_items()
    again = bootstrap({"email": "second@example.com", "password": BOSS_PASSWORD})
    assert again["error"] == "super_admin_exists"
    assert "first@example.com" in again["message"] and "admin API" in again["message"]
    assert auth.table_items() == before
    assert auth.login("second@example.com", BOSS_PASSWORD).status == 401
    same = bootstrap({"email": "first@example.com", "password": BOSS_PASSWORD, "promote_existing": True})
    assert same["error"] == "super_admin_exists"


@pytest.mark.parametrize("event, field, words", [
    ({"email": "not-an-email", "password": BOSS_PASSWORD}, "email", "email"),
    ({"email": "boss@example.com", "password": "short"}, "password", "at least 12 characters"),
    ({"email": "boss@example.com", "password": "password1234"}, "password", "too common"),
    ({"email": "boss@example.com"}, "password", "required"),
    ({"password": BOSS_PASSWORD}, "email", "required"),
    ({"email": "boss@example.com", "password": BOSS_PASSWORD, "name": ""}, "name", "length"),
    ({"email": "boss@example.com", "password": BOSS_PASSWORD, "pasword": "typo"}, "pasword", "Unknown"),
    ({"email": "boss@example.com", "password": BOSS_PASSWORD, "promote_existing": "yes"}, "promote_existing",
     "true or false"),
])
def test_bad_input_is_refused_with_a_clear_message_and_nothing_written(auth, bootstrap, event, field, words):
    result = bootstrap(event)
    assert result["error"] == "invalid"
    assert field in result["errors"]
    assert words.lower() in (result["message"] + " ".join(result["errors"][field])).lower()
    assert auth.table_items() == []
    if "password" in event:
        assert event["password"] not in json.dumps(result)


def test_an_event_that_is_not_an_object_is_refused(auth, bootstrap):
    assert bootstrap(["boss@example.com"])["error"] == "invalid"
    assert auth.table_items() == []


def test_a_taken_email_is_refused_unless_promotion_is_asked_with_its_password(auth, bootstrap):
    user_id = auth.registered("owner@example.com")                  # an ordinary, unverified customer
    auth.queued_emails()
    before = auth.table_items()

    taken = bootstrap({"email": "OWNER@example.com", "password": BOSS_PASSWORD})
    assert taken["error"] == "email_taken" and "promote_existing" in taken["message"]
    wrong = bootstrap({"email": "owner@example.com", "password": BOSS_PASSWORD, "promote_existing": True})
    assert wrong["error"] == "password_mismatch"
    assert auth.table_items() == before

    promoted = bootstrap({"email": "owner@example.com", "password": PASSWORD, "promote_existing": True})
    assert promoted == {"user_id": user_id, "email": "owner@example.com", "role": "super_admin", "promoted": True}
    login = auth.login("owner@example.com")
    assert login.status == 200 and role_in_token(login) == "super_admin"
    account = next(i for i in auth.table_items() if i["sk"]["S"] == "ACCOUNT")
    assert account["email_verified"]["BOOL"] is True
    assert bootstrap({"email": "other@example.com", "password": BOSS_PASSWORD})["error"] == "super_admin_exists"


def test_promote_existing_creates_the_account_when_there_is_none(auth, bootstrap):
    result = bootstrap({"email": "new@example.com", "password": BOSS_PASSWORD, "promote_existing": True})
    assert result["role"] == "super_admin" and result["promoted"] is False


def test_the_marker_is_checked_in_the_same_transaction(auth, bootstrap):
    """A marker written after the handler's first read (a racing call) still refuses, writing nothing."""
    from auth import bootstrap as rules
    from auth.models import BootstrapMarker

    BootstrapMarker(*BootstrapMarker.key(), user_id="racer", email="racer@example.com", created_at="now").save()
    before = auth.table_items()
    with pytest.raises(rules.Refused) as refused:
        rules._create({"email": "late@example.com", "password": BOSS_PASSWORD, "name": None})
    assert refused.value.code == "super_admin_exists"
    assert auth.table_items() == before                              # no claim, no account


def test_the_password_is_never_logged(auth, bootstrap, caplog):
    bootstrap({"email": "boss@example.com", "password": "shortsecret"})
    bootstrap({"email": "boss@example.com", "password": BOSS_PASSWORD})
    bootstrap({"email": "boss@example.com", "password": BOSS_PASSWORD})
    assert [r.getMessage() for r in caplog.records if "super_admin" in r.getMessage()] == [
        "first super_admin refused", "first super_admin created", "first super_admin refused"]
    logged = json.dumps([r.__dict__ for r in caplog.records], default=str)
    assert BOSS_PASSWORD not in logged and "shortsecret" not in logged
