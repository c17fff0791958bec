"""Locales are data: the seed stored on first use, PUT /locales/{code} (admin, audited), its validation."""
from __future__ import annotations

import json

import boto3
import pytest

from tests.lambda_testing import ApiClient, TokenFactory

P = "/api/v1/localization/locales"


@pytest.fixture
def api(localization):
    return ApiClient(localization.app)


@pytest.fixture
def admin():
    return TokenFactory().header(role="admin")


def codes(api) -> dict[str, dict]:
    return {item["code"]: item for item in api.get(P).json["items"]}


def audit_events(template) -> list[dict]:
    sqs, url, events = boto3.client("sqs", region_name="us-east-1"), template.queue_url("AuditQueue"), []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        events += [json.loads(m["Body"]) for m in batch]
    return [e["detail"] for e in events if e["detail-type"] == "admin.action"]


def test_first_read_stores_the_sixteen_built_in_locales(api, localization):
    assert localization.repository.locale_records() == ([], False)
    listed = codes(api)
    assert len(listed) == 16 and listed["pt-BR"]["fallback"] == ["pt-BR", "pt", "en"]
    assert listed["he"]["direction"] == "rtl" and listed["en"]["fallback"] == ["en"]
    stored, seeded = localization.repository.locale_records()
    assert seeded and len(stored) == 16


def test_admin_adds_a_locale_with_its_chain_and_it_is_listed_and_audited(api, admin, aws):
    created = api.put(f"{P}/fr-be", headers=admin,
                      json={"name": "French (Belgium)", "native_name": "Français (Belgique)", "fallback": ["fr", "en"]})
    assert created.status == 201, created.json
    assert created.json["code"] == "fr-BE" and created.json["fallback"] == ["fr-BE", "fr", "en"]
    assert created.json["direction"] == "ltr" and created.json["active"] is True
    assert codes(api)["fr-BE"]["native_name"] == "Français (Belgique)"
    rtl = api.put(f"{P}/fa", headers=admin, json={"name": "Persian", "direction": "rtl", "fallback": ["fa", "en"]})
    assert rtl.status == 201 and rtl.json["rtl"] is True and rtl.json["fallback"] == ["fa", "en"]
    renamed = api.put(f"{P}/fr-BE", headers=admin, json={"native_name": "Français de Belgique"})
    assert renamed.status == 200 and renamed.json["fallback"] == ["fr-BE", "fr", "en"]
    audited = {e["action"]: e for e in audit_events(aws)}
    assert audited["locale.created"]["target"] in ("locale:fr-BE", "locale:fa")
    assert audited["locale.updated"]["before"]["native_name"] == "Français (Belgique)"
    assert audited["locale.updated"]["actor_role"] == "admin"


def test_deactivating_hides_it_and_en_or_a_parent_in_use_cannot_be(api, admin):
    assert api.put(f"{P}/ko", headers=admin, json={"name": "Korean", "fallback": ["en"]}).status == 201
    assert "ko" in codes(api)
    off = api.put(f"{P}/ko", headers=admin, json={"active": False})
    assert off.status == 200 and off.json["active"] is False
    assert "ko" not in codes(api)
    en = api.put(f"{P}/en", headers=admin, json={"active": False})
    assert en.status == 400 and "active" in en.json["errors"]
    parent = api.put(f"{P}/pt", headers=admin, json={"active": False})
    assert parent.status == 400 and "pt-BR" in parent.json["errors"]["active"][0]
    assert "pt" in codes(api)
    back = api.put(f"{P}/ko", headers=admin, json={"active": True})
    assert back.status == 200 and "ko" in codes(api)


@pytest.mark.parametrize("code,body,field", [
    ("not a tag", {"name": "X", "fallback": ["en"]}, "code"),
    ("e", {"name": "X", "fallback": ["en"]}, "code"),
    ("ko", {"fallback": ["en"]}, "name"),
    ("ko", {"name": "Korean"}, "fallback"),
    ("ko", {"name": "Korean", "fallback": ["ja"]}, "fallback"),                 # does not end in en
    ("ko", {"name": "Korean", "fallback": ["xx", "en"]}, "fallback"),           # unknown
    ("ko", {"name": "Korean", "fallback": ["ko", "ko", "en"]}, "fallback"),     # cycle
    ("fr-BE", {"name": "X", "fallback": ["fr", "fr-BE", "en"]}, "fallback"),   # back to itself
    ("ko", {"name": "Korean", "fallback": ["en", "en"]}, "fallback"),
    ("ko", {"name": "Korean", "fallback": ["!!", "en"]}, "fallback"),
    ("ko", {"name": "Korean", "fallback": ["en"], "direction": "up"}, "direction"),
    ("ko", {"name": "Korean", "fallback": ["en"], "active": "yes"}, "active"),
    ("ko", {"name": "", "fallback": ["en"]}, "name"),
    ("en", {"fallback": ["de", "en"]}, "fallback"),
])
def test_bad_locales_are_400_naming_the_field_and_change_nothing(api, admin, code, body, field):
    before = codes(api)
    response = api.put(f"{P}/{code}", headers=admin, json=body)
    assert response.status == 400, response.json
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in response.json["errors"], response.json
    assert codes(api) == before


def test_a_chain_through_an_inactive_locale_is_refused(api, admin):
    assert api.put(f"{P}/ko", headers=admin, json={"name": "Korean", "fallback": ["en"]}).status == 201
    assert api.put(f"{P}/ko", headers=admin, json={"active": False}).status == 200
    refused = api.put(f"{P}/ko-KP", headers=admin, json={"name": "Korean (North)", "fallback": ["ko", "en"]})
    assert refused.status == 400 and "'ko' is not a known active locale." in refused.json["errors"]["fallback"]


def test_only_admins_change_locales(api):
    body = {"name": "Korean", "fallback": ["en"]}
    assert api.put(f"{P}/ko", json=body).status == 401
    assert api.put(f"{P}/ko", json=body, headers=TokenFactory().header(role="customer")).status == 403
    assert "ko" not in codes(api)
