import json
import threading

import boto3
import pytest

from .conftest import PASSWORD


def test_register_creates_account_and_queues_verification(auth):
    response = auth.register("Ada@Example.com", name="Ada", locale="pt-br", currency="eur")
    assert response.status == 201
    assert set(response.json) >= {"user_id", "email"}
    assert response.json["email"] == "Ada@Example.com"
    emails = auth.queued_emails()
    assert [(m["kind"], m["to"]) for m in emails] == [("verify_email", "Ada@Example.com")]
    account = [i for i in auth.table_items() if i["sk"]["S"] == "ACCOUNT"][0]
    assert account["locale"]["S"] == "pt-BR" and account["currency"]["S"] == "EUR"
    assert account["password_hash"]["S"].startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PASSWORD not in json.dumps(auth.table_items())


def test_register_publishes_user_registered_to_the_users_queue(auth):
    user_id = auth.registered("bus@example.com", name="Bus")
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName=auth.template.physical_name("UsersEventsQueue"))["QueueUrl"]
    bodies = [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
    event = [b for b in bodies if b["detail-type"] == "user.registered"][0]
    assert event["source"] == "meridian.auth"
    assert event["detail"]["user_id"] == user_id
    assert event["detail"]["email"] == "bus@example.com"
    assert event["detail"]["name"] == "Bus"


def test_email_is_unique_case_insensitively(auth):
    assert auth.register("Dup@Example.com").status == 201
    response = auth.register("  dup@EXAMPLE.com ")
    assert response.status == 409
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.dynamodb_local
def test_racing_registrations_only_one_wins(auth):
    results, barrier = [], threading.Barrier(4)

    def race(email):
        barrier.wait()
        results.append(auth.register(email).status)

    threads = [threading.Thread(target=race, args=(e,)) for e in
               ("race@example.com", "RACE@example.com", "Race@Example.com", "race@EXAMPLE.COM")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201, 409, 409, 409]
    accounts = [i for i in auth.table_items() if i["sk"]["S"] == "ACCOUNT"]
    assert len(accounts) == 1


def test_invalid_email_and_weak_passwords_are_400_per_field(auth):
    response = auth.register("not-an-email", "short")
    assert response.status == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert set(response.json["errors"]) == {"email", "password"}
    for weak, reason in [("a" * 11, "at least 12"), ("x" * 129, "at most 128"),
                         ("password1234", "common"), ("QWERTYUIOP123", "common"),
                         ("weak.user@example.com", "e-mail")]:
        response = auth.register("weak.user@example.com", weak)
        assert response.status == 400, weak
        assert list(response.json["errors"]) == ["password"]
        assert reason in " ".join(response.json["errors"]["password"]), (weak, response.json)
    assert auth.table_items() == [] or not [i for i in auth.table_items() if i["sk"]["S"] == "ACCOUNT"]


def test_unsupported_preferences_and_unknown_fields_are_400(auth):
    response = auth.register("prefs@example.com", locale="xx-YY", currency="ABC")
    assert response.status == 400
    assert set(response.json["errors"]) == {"locale", "currency"}
    response = auth.register("prefs@example.com", role="super_admin")
    assert response.status == 400
    assert "role" in response.json["errors"]
    assert auth.register("prefs@example.com").status == 201


def test_register_without_json_body_is_400(auth):
    response = auth.client.post("/api/v1/auth/register", body="{not json")
    assert response.status == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert auth.client.post("/api/v1/auth/register").status == 400
