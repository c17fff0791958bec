"""Verification and password-reset e-mails: queued, sent via SES, single-use hashed tokens that expire."""
import datetime as dt
import json

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from .conftest import PASSWORD, cookie_value, sqs_event

NEW_PASSWORD = "a brand new passphrase 42"


def _sent_emails():
    return ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages


def test_verification_email_goes_out_through_ses(auth, load_function, context):
    auth.registered("mail@example.com")
    queued = auth.queued_emails()
    assert [m["kind"] for m in queued] == ["verify_email"]
    send_email = load_function("AuthEmailFunction")
    result = send_email(sqs_event(*[json.dumps(m) for m in queued]), context)
    assert result == {"batchItemFailures": []}
    sent = [m for m in _sent_emails() if "mail@example.com" in m.destinations["ToAddresses"]]
    assert len(sent) == 1
    assert sent[0].subject == "Confirm your e-mail address"
    assert queued[0]["token"] in sent[0].body
    assert sent[0].source == auth.template.parameter("EmailSender")


def test_a_bad_record_fails_alone(auth, load_function, context):
    send_email = load_function("AuthEmailFunction")
    good = json.dumps({"kind": "password_reset", "to": "ok@example.com", "token": "t" * 43})
    result = send_email(sqs_event(good, "{not json", json.dumps({"kind": "spam", "to": "x@example.com",
                                                                 "token": "t"})), context)
    assert sorted(f["itemIdentifier"] for f in result["batchItemFailures"]) == ["m1", "m2"]
    assert any("ok@example.com" in m.destinations["ToAddresses"] for m in _sent_emails())


def test_verify_email_is_single_use(auth, modules):
    user_id = auth.registered("verify@example.com")
    token = auth.token_for("verify_email", "verify@example.com")
    assert modules.directory.get_account(user_id).email_verified is False
    assert auth.client.post("/api/v1/auth/verify-email", json={"token": token}).status == 204
    assert modules.directory.get_account(user_id).email_verified is True
    again = auth.client.post("/api/v1/auth/verify-email", json={"token": token})
    assert again.status == 400 and "token" in again.json["errors"]
    assert auth.client.post("/api/v1/auth/verify-email", json={}).status == 400


def test_one_time_tokens_are_stored_hashed_and_expire(auth, modules):
    auth.registered("expire@example.com")
    token = auth.token_for("verify_email", "expire@example.com")
    dump = json.dumps(auth.table_items())
    assert token not in dump and "OTT#" + modules.tokens.digest(token) in dump
    record = modules.models.OneTimeToken.get(*modules.models.OneTimeToken.key(modules.tokens.digest(token)))
    assert record.expires_at > dt.datetime.now(dt.timezone.utc)  # the table's TTL attribute is set
    record.expires_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    record.save()  # DynamoDB has not deleted it yet: the service must check
    assert auth.client.post("/api/v1/auth/verify-email", json={"token": token}).status == 400


def test_a_verification_token_cannot_reset_a_password(auth):
    auth.registered("purpose@example.com")
    token = auth.token_for("verify_email", "purpose@example.com")
    response = auth.client.post("/api/v1/auth/password/reset", json={"token": token, "password": NEW_PASSWORD})
    assert response.status == 400
    assert auth.login("purpose@example.com", NEW_PASSWORD).status == 401


def test_forgot_never_reveals_whether_the_email_exists(auth):
    auth.registered("exists@example.com")
    auth.queued_emails()
    known = auth.client.post("/api/v1/auth/password/forgot", json={"email": "exists@example.com"})
    unknown = auth.client.post("/api/v1/auth/password/forgot", json={"email": "missing@example.com"})
    assert known.status == unknown.status == 202
    assert known.json == unknown.json
    assert [m["to"] for m in auth.queued_emails()] == ["exists@example.com"]


def test_password_reset_flow(auth):
    auth.registered("reset@example.com")
    session = cookie_value(auth.login("reset@example.com").headers["set-cookie"])
    for _ in range(5):
        auth.login("reset@example.com", "wrong wrong wrong")
    assert auth.login("reset@example.com").status == 429
    auth.client.post("/api/v1/auth/password/forgot", json={"email": "RESET@example.com"})
    token = auth.token_for("password_reset", "reset@example.com")
    weak = auth.client.post("/api/v1/auth/password/reset", json={"token": token, "password": "short"})
    assert weak.status == 400 and "password" in weak.json["errors"]
    response = auth.client.post("/api/v1/auth/password/reset", json={"token": token, "password": NEW_PASSWORD})
    assert response.status == 204
    assert auth.login("reset@example.com", PASSWORD).status == 401      # old password gone, lock lifted
    assert auth.login("reset@example.com", NEW_PASSWORD).status == 200
    assert auth.refresh(session).status == 401                         # sessions of the old password ended
    again = auth.client.post("/api/v1/auth/password/reset", json={"token": token, "password": NEW_PASSWORD + "!"})
    assert again.status == 400                                         # single use
