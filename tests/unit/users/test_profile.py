import json

import boto3
import responses
from meridian import preferences

from .conftest import LOCALIZATION


def test_get_me_right_after_registration_builds_the_profile_from_auth(users):
    user_id = users.new_user(email="Fresh@Example.com", name="Fresh", locale="de", currency="EUR")
    response = users.get("/me", user_id)
    assert response.status == 200
    assert response.json == {**response.json, "id": user_id, "email": "Fresh@Example.com", "name": "Fresh",
                             "role": "customer", "locale": "de", "currency": "EUR"}
    assert len(users.auth.calls) == 1
    assert users.auth.calls[0]["headers"].get("X-Service-Authorization", "").startswith("svc=users,")
    # stored: the next read does not ask auth again
    assert users.get("/me", user_id).json["email"] == "Fresh@Example.com"
    assert len(users.auth.calls) == 1


def test_role_in_the_profile_is_the_token_role(users):
    user_id = users.new_user()
    response = users.client.get("/api/v1/users/me", headers=users.headers(user_id, role="admin"))
    assert response.json["role"] == "admin"


def test_unknown_user_or_no_token(users):
    assert users.get("/me", "00000000-0000-4000-8000-000000000000").status == 404
    response = users.client.get("/api/v1/users/me")
    assert response.status == 401 and response.headers["www-authenticate"] == "Bearer"


def test_auth_down_and_no_profile_is_503(users):
    user_id = users.new_user()
    users.auth.down = True
    response = users.get("/me", user_id)
    assert response.status == 503
    assert int(response.headers["retry-after"]) >= 1


def _registered_event_body(template, user_id, email):
    """user.registered as EventBridge delivers it to UsersEventsQueue (the real rule and queue)."""
    events = boto3.client("events", region_name="us-east-1")
    events.put_events(Entries=[{
        "Source": "meridian.auth", "DetailType": "user.registered", "EventBusName":
            template.physical_name("PlatformEventBus"),
        "Detail": json.dumps({"event_id": "e1", "user_id": user_id, "email": email, "name": "From Event",
                              "locale": "fr", "currency": "JPY", "created_at": "2026-01-02T03:04:05.000Z"})}])
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName=template.physical_name("UsersEventsQueue"))["QueueUrl"]
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"][0]["Body"]


def _sqs_event(*bodies):
    return {"Records": [{"messageId": f"m{i}", "receiptHandle": "r", "body": b, "attributes": {},
                         "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                         "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:unit-users-events",
                         "awsRegion": "us-east-1"} for i, b in enumerate(bodies)]}


def test_user_registered_event_creates_the_profile_idempotently(users, aws, load_function, context):
    user_id = users.new_user(email="event@example.com")
    body = _registered_event_body(aws, user_id, "event@example.com")
    handler = load_function("UsersEventsFunction")
    assert handler(_sqs_event(body), context) == {"batchItemFailures": []}
    assert handler(_sqs_event(body, body), context) == {"batchItemFailures": []}  # redelivered: no change
    users.client.app = load_function("UsersFunction")
    profile = users.get("/me", user_id).json
    assert profile["name"] == "From Event" and profile["locale"] == "fr" and profile["currency"] == "JPY"
    assert profile["created_at"] == "2026-01-02T03:04:05.000Z"
    assert users.auth.calls == []  # the event made it: no lazy call to auth


def test_a_broken_event_fails_alone(users, aws, load_function, context):
    user_id = users.new_user(email="ok@example.com")
    good = _registered_event_body(aws, user_id, "ok@example.com")
    broken = json.dumps({"detail-type": "user.registered", "detail": {"email": "no-id@example.com"}})
    other = json.dumps({"detail-type": "something.else", "detail": {}})
    handler = load_function("UsersEventsFunction")
    result = handler(_sqs_event(good, broken, other), context)
    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}]}


def test_patch_me_changes_preferences(users):
    user_id = users.new_user()
    response = users.patch("/me", user_id, {"name": "  New Name ", "locale": "pt-br", "currency": "eur"})
    assert response.status == 200
    assert (response.json["name"], response.json["locale"], response.json["currency"]) == ("New Name", "pt-BR", "EUR")
    assert users.get("/me", user_id).json["locale"] == "pt-BR"
    cleared = users.patch("/me", user_id, {"locale": None})
    assert cleared.json["locale"] is None and cleared.json["currency"] == "EUR"


def test_patch_me_validation_is_400_per_field_and_changes_nothing(users):
    user_id = users.new_user(name="Before")
    response = users.patch("/me", user_id, {"name": "", "locale": "tlh", "currency": "XYZ", "role": "admin"})
    assert response.status == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert set(response.json["errors"]) == {"name", "locale", "currency", "role"}
    assert all(isinstance(m, str) for msgs in response.json["errors"].values() for m in msgs)
    assert users.get("/me", user_id).json["name"] == "Before"
    assert users.patch("/me", user_id, {"name": "x" * 101}).status == 400
    assert users.patch("/me", user_id, {"name": "tab\tinside"}).status == 400


def test_script_name_comes_back_as_json_text(users):
    user_id = users.new_user()
    name = "<script>alert('x')</script>"
    response = users.patch("/me", user_id, {"name": name})
    assert response.status == 200
    for answer in (response, users.get("/me", user_id)):
        assert answer.headers["content-type"].startswith("application/json")
        assert json.loads(answer.text)["name"] == name  # data, exactly as given, inside a JSON string


def test_preferences_follow_what_localization_supports(users):
    preferences.reset()  # ask the (stand-in) localization service
    users.http.add(responses.GET, f"{LOCALIZATION}/locales",
                   json={"items": [{"code": "en", "name": "English"}, {"code": "ja", "name": "Japanese"}]})
    users.http.add(responses.GET, f"{LOCALIZATION}/currencies",
                   json={"items": [{"code": "USD", "minor_units": 2}, {"code": "KWD", "minor_units": 3}]})
    user_id = users.new_user()
    assert users.patch("/me", user_id, {"locale": "ja", "currency": "KWD"}).status == 200
    refused = users.patch("/me", user_id, {"locale": "de", "currency": "EUR"})
    assert refused.status == 400 and set(refused.json["errors"]) == {"locale", "currency"}


def test_preferences_fall_back_to_built_in_lists_when_localization_is_down(users):
    preferences.reset()
    users.http.add(responses.GET, f"{LOCALIZATION}/locales", status=503)
    users.http.add(responses.GET, f"{LOCALIZATION}/currencies", status=503)
    user_id = users.new_user()
    assert users.patch("/me", user_id, {"locale": "de", "currency": "KWD"}).status == 200
    assert users.patch("/me", user_id, {"locale": "xx"}).status == 400
