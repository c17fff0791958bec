"""The seeds (infra/harness/seeds) go through the stack's own API and bootstrap, as an operator would:
three accounts with their roles, the rates, the localized catalog with stock; run again, nothing changes.

(They were unit tests calling the services' private functions; now that the seeds use the public and
admin APIs, they are tested where those APIs run.)
"""
from __future__ import annotations

import json
import os
import runpy
import stat
from collections import Counter

import jwt
import pytest

from infra.harness.seed_api import SeedApi
from infra.harness.seeding import SEEDS_DIR as SEEDS
from infra.harness.seeding import discover
from tests.integration.accounts import bearer
from tests.integration.checkout_helpers import admin, available, url

SEEDED_ROLES = {"superadmin@example.com": "super_admin", "admin@example.com": "admin",
                "customer@example.com": "customer"}
LOCALES = {"en", "de", "fr", "ja", "pt-BR"}


def run_seed(stack, name: str, capsys) -> str:
    """Run one seed again against the running stack (what `make up` does on a stack that has its data)."""
    seed = next(seed for seed in discover() if seed.name == name)
    capsys.readouterr()
    runpy.run_path(str(seed.path), run_name="seed")["main"](SeedApi.from_state(stack.state_dir))
    return capsys.readouterr().out


def role_of(stack, email: str, password: str) -> str:
    token = bearer(stack, email, password)["Authorization"].split(" ", 1)[1]
    return jwt.decode(token, options={"verify_signature": False})["role"]


def catalog(stack, headers: dict) -> list[dict]:
    items, cursor = [], None
    while True:
        params = {"limit": "100", **({"cursor": cursor} if cursor else {})}
        page = stack.session().get(url(stack, "/api/v1/products"), params=params, headers=headers, timeout=30)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json().get("next_cursor")
        if not cursor:
            return items


def inventory(stack, headers: dict, product_id: str) -> list[dict]:
    answer = stack.session().get(url(stack, f"/api/v1/products/{product_id}/inventory"), headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def test_seeded_accounts_have_their_roles_and_private_credentials(stack, capsys):
    path = stack.credentials_path
    credentials = stack.credentials
    assert set(credentials) == set(SEEDED_ROLES)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert set(credentials.values()) == {os.environ["SEED_PASSWORD"]}   # the variable wins over generating
    for email, password in credentials.items():
        assert role_of(stack, email, password) == SEEDED_ROLES[email]

    again = run_seed(stack, "10_accounts", capsys)
    assert "kept existing accounts" in again and "created" not in again
    assert os.environ["SEED_PASSWORD"] not in again                    # never printed
    assert stack.credentials == credentials
    assert all(role_of(stack, email, password) == SEEDED_ROLES[email] for email, password in credentials.items())


@pytest.fixture(scope="module")
def admin_headers(stack):
    return admin(stack)


def test_catalog_seed_is_complete_localized_and_idempotent(stack, admin_headers, capsys):
    rows = json.loads((SEEDS / "data" / "products.json").read_text(encoding="utf-8"))
    slugs = {row["slug"] for row in rows}
    items = [item for item in catalog(stack, admin_headers) if item["slug"] in slugs]
    assert len(items) == len(rows) >= 60                       # other tests add products of their own
    categories = Counter(item["category"] for item in items)
    assert len(categories) >= 4 and min(categories.values()) >= 10
    first = next(item["id"] for item in items if len(inventory(stack, admin_headers, item["id"])) == 1)
    localizations = stack.session().get(url(stack, f"/api/v1/products/{first}/localizations"),
                                        headers=admin_headers, timeout=10).json()
    assert LOCALES <= {entry["locale"] for entry in localizations["items"]}
    in_stock = sum(1 for item in items if item.get("in_stock"))
    assert in_stock >= 55

    # stock moved since seeding is kept by a second run: the seed never resets a product it finds
    stock = stack.session().put(url(stack, f"/api/v1/products/{first}/inventory"), headers=admin_headers,
                                json={"quantity": 7}, timeout=10)
    assert stock.status_code == 200, stock.text
    again = run_seed(stack, "30_catalog", capsys)
    assert "(0 created, 0 localizations added)" in again
    seeded_again = [item["id"] for item in catalog(stack, admin_headers) if item["slug"] in slugs]
    assert sorted(seeded_again) == sorted(item["id"] for item in items)     # nothing duplicated, nothing lost
    assert available(stack, admin_headers, first) == 7

    seeded_category = categories.most_common(1)[0][0]       # other tests' products are in categories of their own
    german = stack.session().get(url(stack, "/api/v1/products"), timeout=10, params={
        "locale": "de", "currency": "EUR", "limit": "5", "category": seeded_category}).json()
    assert all(item["locale"] == "de" for item in german["items"]) and german["next_cursor"]
    japanese = stack.session().get(url(stack, "/api/v1/products"), params={"locale": "ja", "q": "コーヒー"},
                                   timeout=10).json()["items"]
    assert japanese and all("コーヒー" in item["name"] for item in japanese)


def test_rates_seed_leaves_rates_the_catalog_can_use(stack, capsys):
    run_seed(stack, "20_fx_rates", capsys)
    rates = stack.session().get(url(stack, "/api/v1/localization/rates"), timeout=10)
    assert rates.status_code == 200 and {"EUR", "JPY"} <= set(rates.json()["rates"])


def test_currencies_seed_sells_the_markets_currencies_and_is_idempotent(stack, capsys):
    out = run_seed(stack, "25_currencies", capsys)
    assert "CHF" in out
    items = {c["code"]: c for c in stack.session().get(url(stack, "/api/v1/localization/currencies"),
                                                       timeout=10).json()["items"]}
    assert {"USD", "EUR", "GBP", "JPY", "CHF", "KWD", "BHD", "KRW", "SAR", "AED"} <= set(items)
    assert items["CHF"]["rounding"] == {"increment": "0.05", "mode": "nearest"}
    assert all(item["rounding"] is None for code, item in items.items() if code != "CHF")   # KWD: money.step
    assert all(item["rate_available"] for item in items.values())
