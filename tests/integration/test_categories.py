"""Translated catalog structure through the real local stack (nginx, runtime, DynamoDB Local, seeded): the
category list in en, de and ja with localized names and slugs, a tree, the admin rules, a seeded product in the
ja view with its category and attributes in Japanese, and search by a description word and by an accented or
unaccented form."""
from __future__ import annotations

import uuid

import pytest

from tests.integration.accounts import bearer

PRODUCTS = "/api/v1/products"
CATEGORIES = "/api/v1/products/categories"


@pytest.fixture(scope="module")
def api(stack):
    session = stack.session()

    class Api:
        def get(self, path, **kw):
            return session.get(stack.base_url + path, timeout=15, **kw)

        def send(self, method, path, **kw):
            return session.request(method, stack.base_url + path, timeout=15, **kw)

    return Api()


@pytest.fixture(scope="module")
def admin(stack):
    return bearer(stack, "admin@example.com")


def test_category_list_in_three_locales_with_localized_names_and_slugs(api):
    expected = {"en": ("Kitchen", "kitchen", "Coffee & tea", "coffee-tea"),
                "de": ("Küche", "kueche", "Kaffee & Tee", "kaffee-tee"),
                "ja": ("キッチン", "kicchin", "コーヒー・紅茶", "kohi-kocha")}
    for locale, (kitchen_name, kitchen_slug, coffee_name, coffee_slug) in expected.items():
        response = api.get(CATEGORIES, params={"locale": locale})
        assert response.status_code == 200, response.text
        assert response.headers["Content-Language"] == locale
        body = response.json()
        assert body["locale"] == locale
        seeded = [item for item in body["items"] if item["key"] in
                  {"coffee-tea", "kitchen", "stationery", "outdoor", "audio"}]
        assert [item["key"] for item in seeded] == ["coffee-tea", "kitchen", "stationery", "outdoor", "audio"]
        by_key = {item["key"]: item for item in seeded}
        assert (by_key["kitchen"]["name"], by_key["kitchen"]["slug"]) == (kitchen_name, kitchen_slug)
        assert (by_key["coffee-tea"]["name"], by_key["coffee-tea"]["slug"]) == (coffee_name, coffee_slug)
        assert all(item["locale"] == locale and item["parent"] is None for item in seeded)
    # Accept-Language picks the locale when ?locale= is absent; a regional locale falls back to its language
    assert api.get(CATEGORIES, headers={"Accept-Language": "ja-JP,ja;q=0.9"}).json()["locale"] == "ja"
    swiss = {item["key"]: item for item in api.get(CATEGORIES, params={"locale": "de-CH"}).json()["items"]}
    assert (swiss["kitchen"]["name"], swiss["kitchen"]["locale"]) == ("Küche", "de")


def test_admin_builds_a_tree_with_its_rules(api, admin):
    key = f"it-{uuid.uuid4().hex[:8]}"
    child = {"parent": "kitchen", "position": 9, "names": {"en": "Integration pans", "ja": "統合フライパン"},
             "slugs": {"ja": f"furaipan-{key}"}}
    assert api.send("PUT", f"{CATEGORIES}/{key}", json=child).status_code == 401
    created = api.send("PUT", f"{CATEGORIES}/{key}", json=child, headers=admin)
    assert created.status_code == 201, created.text
    tree = api.get(CATEGORIES, params={"locale": "ja", "tree": "true"}).json()["items"]
    kitchen = next(node for node in tree if node["key"] == "kitchen")
    assert {"key": key, "name": "統合フライパン", "slug": f"furaipan-{key}"}.items() <= next(
        node for node in kitchen["children"] if node["key"] == key).items()

    cycle = api.send("PUT", f"{CATEGORIES}/kitchen", headers=admin,
                     json={"parent": key, "names": {"en": "Kitchen"}})
    assert cycle.status_code == 400 and list(cycle.json()["errors"]) == ["parent"]
    assert cycle.headers["Content-Type"].startswith("application/problem+json")
    missing = api.send("PUT", f"{CATEGORIES}/{key}", headers=admin, json={**child, "parent": "no-such-category"})
    assert missing.status_code == 400 and "parent" in missing.json()["errors"]
    assert api.send("DELETE", f"{CATEGORIES}/kitchen", headers=admin).status_code == 409   # products use it
    assert api.send("DELETE", f"{CATEGORIES}/{key}", headers=admin).status_code == 204
    assert key not in {item["key"] for item in api.get(CATEGORIES).json()["items"]}


def test_a_product_in_the_ja_view_shows_its_category_and_attributes_in_japanese(api):
    response = api.get(f"{PRODUCTS}/canvas-tote-bag", params={"locale": "ja"})
    assert response.status_code == 200, response.text
    tote = response.json()
    assert tote["name"] == "キャンバス トートバッグ"
    assert (tote["category"], tote["category_name"], tote["category_slug"]) == ("stationery", "文房具", "bunbogu")
    assert tote["attributes"] == {"material": "canvas"}
    assert tote["attribute_labels"] == {"material": {"name": "素材", "value": "キャンバス"}}
    # the same product in German, and the listing filtered by the localized slug of the category
    de = api.get(f"{PRODUCTS}/canvas-tote-bag", params={"locale": "de"}).json()
    assert de["category_name"] == "Schreibwaren" and de["attribute_labels"]["material"]["value"] == "Segeltuch"
    listed = api.get(PRODUCTS, params={"locale": "ja", "category": "bunbogu", "limit": 100}).json()["items"]
    assert tote["id"] in {item["id"] for item in listed}
    assert all(item["category"] == "stationery" and item["category_name"] == "文房具" for item in listed)


def test_search_finds_by_a_description_word_and_by_accented_or_unaccented_forms(api, admin):
    word = "".join(chr(ord("a") + int(ch, 16) % 26) for ch in uuid.uuid4().hex[:10])   # letters only, unique
    body = {"name": f"Integration jug {word[:4]}", "category": "integration", "base_price": "12.00", "stock": 3,
            "description": f"A glazed jug for the {word}é table, with a cork lid."}
    created = api.send("POST", PRODUCTS, json=body, headers=admin)
    assert created.status_code == 201, created.text
    jug = created.json()["id"]
    fr = api.send("PUT", f"{PRODUCTS}/{jug}/localizations/fr", headers=admin,
                  json={"name": f"Pichet émaillé {word[:4]}", "description": f"Un pichet pour la table {word}."})
    assert fr.status_code == 200, fr.text

    def found(**params):
        response = api.get(PRODUCTS, params={"category": "integration", "limit": 100, **params})
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert jug in found(q=f"{word}e")                     # a description word, unaccented → accented
    assert jug in found(q=f"{word.upper()}É cork")        # accented, upper case, every term
    assert jug not in found(q=f"{word}e teapot")
    assert jug in found(q="emaille", locale="fr")         # name in fr: émaillé by its unaccented form
    assert jug in found(q=f"Pichets {word}", locale="fr")  # French stem: pichets ~ pichet
    # Japanese: a substring of the seeded ja text
    stationery = api.get(PRODUCTS, params={"category": "stationery", "q": "トートバッグ", "locale": "ja"}).json()
    assert [item["slug"] for item in stationery["items"]] == ["canvas-tote-bag"]
