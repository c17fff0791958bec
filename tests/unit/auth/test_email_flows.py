"""Verification and password-reset e-mails: queued, sent via SES, single-use hashed tokens that expire."""
import datetime as dt
import json

from meridian import preferences
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


def _mail_of(queued: dict):
    from auth import emails

    return emails.render(queued)


def test_the_verification_email_is_in_the_registration_locale_and_links_to_the_storefront_page(
        auth, load_function, context, monkeypatch):
    from meridian import mail

    preferences.use_static(locales=["en", "de", "ja", "ar", "pt-BR"], currencies=["USD", "EUR", "JPY"])
    auth.registered("ja@example.com", locale="ja")
    [queued] = auth.queued_emails()
    assert queued["locale"] == "ja"
    email = _mail_of(queued)
    assert email.subject == mail.catalogue("ja")["verify_email.subject"] == "メールアドレスの確認"
    link = f"https://localhost:8443/verify-email?token={queued['token']}&locale=ja"   # PublicBaseUrl's default
    assert link in email.text and link.replace("&", "&amp;") in email.html
    assert mail.catalogue("ja")["verify_email.intro"] in email.text and '<html lang="ja" dir="ltr">' in email.html

    send_email = load_function("AuthEmailFunction")
    assert send_email(sqs_event(json.dumps(queued)), context) == {"batchItemFailures": []}
    [sent] = [m for m in _sent_emails() if "ja@example.com" in m.destinations["ToAddresses"]]
    assert sent.subject == "メールアドレスの確認" and sent.body == email.html


def test_without_a_chosen_locale_the_browsers_language_then_english(auth):
    preferences.use_static(locales=["en", "de", "ja", "ar", "pt-BR"], currencies=["USD"])
    auth.client.post("/api/v1/auth/register", json={"email": "browser@example.com", "password": PASSWORD},
                     headers={"Accept-Language": "pt-BR,pt;q=0.9,en;q=0.5"})
    auth.registered("plain@example.com")
    queued = {m["to"]: m for m in auth.queued_emails()}
    assert queued["browser@example.com"]["locale"] == "pt-BR"
    assert _mail_of(queued["browser@example.com"]).subject == "Confirme o seu endereço de e-mail"   # pt-BR → pt
    assert queued["plain@example.com"]["locale"] == "en"


def test_the_reset_email_is_in_the_pages_locale_else_the_accounts(auth):
    preferences.use_static(locales=["en", "de", "ja", "ar", "he", "pt-BR"], currencies=["USD"])
    auth.registered("saved@example.com", locale="de")
    auth.queued_emails()
    assert auth.client.post("/api/v1/auth/password/forgot",
                            json={"email": "saved@example.com", "locale": "ar"}).status == 202
    assert auth.client.post("/api/v1/auth/password/forgot", json={"email": "saved@example.com"}).status == 202
    page, saved = auth.queued_emails()
    assert (page["kind"], page["locale"], saved["locale"]) == ("password_reset", "ar", "de")
    arabic = _mail_of(page)
    assert arabic.subject == "إعادة تعيين كلمة المرور" and arabic.direction == "rtl"
    assert '<html lang="ar" dir="rtl">' in arabic.html
    assert f"/reset-password?token={page['token']}&locale=ar" in arabic.text
    assert _mail_of(saved).subject == "Passwort zurücksetzen"
    refused = auth.client.post("/api/v1/auth/password/forgot", json={"email": "saved@example.com", "locale": "xx"})
    assert refused.status == 400 and "locale" in refused.json["errors"]
    assert auth.queued_emails() == []                                       # nothing queued for a bad request


def test_a_message_queued_before_locales_is_sent_in_english(auth):
    from auth import emails

    email = emails.render({"kind": "verify_email", "to": "old@example.com", "token": "t" * 43})
    assert email.subject == "Confirm your e-mail address" and email.locale == "en"
