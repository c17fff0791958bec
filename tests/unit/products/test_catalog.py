"""Shopper reads: locale fallback, prices in any currency, listing, search, cursors."""
from __future__ import annotations

import base64
import json
import uuid

from .helpers import bulk_products, make_product

LIST = "/api/v1/products"


def localize(products, pid, locale, name, description="", **extra):
    response = products.client.put(f"{LIST}/{pid}/localizations/{locale}", headers=products.admin,
                                   json={"name": name, "description": description, **extra})
    assert response.status == 200, response.json
    return response


def test_locale_fallback_pt_br_then_pt_then_en(products):
    pid = make_product(products, name="Travel mug")
    en = products.client.get(f"{LIST}/{pid}", query={"locale": "pt-BR"})
    assert en.json["name"] == "Travel mug" and en.json["locale"] == "en"
    assert en.headers["content-language"] == "en"

    localize(products, pid, "pt", "Caneca de viagem (pt)")
    pt = products.client.get(f"{LIST}/{pid}", query={"locale": "pt-BR"})
    assert pt.json["name"] == "Caneca de viagem (pt)" and pt.json["locale"] == "pt"
    assert pt.headers["content-language"] == "pt"

    localize(products, pid, "pt-BR", "Caneca de viagem", slug="caneca-de-viagem")
    br = products.client.get(f"{LIST}/{pid}", query={"locale": "pt-BR"})
    assert (br.json["name"], br.json["locale"], br.json["slug"]) == ("Caneca de viagem", "pt-BR", "caneca-de-viagem")
    assert br.headers["content-language"] == "pt-BR"

    # Accept-Language when no ?locale=, and ?locale= wins over it
    by_header = products.client.get(f"{LIST}/{pid}", headers={"Accept-Language": "pt-BR,pt;q=0.8"})
    assert by_header.json["locale"] == "pt-BR"
    assert products.client.get(f"{LIST}/{pid}", query={"locale": "en"},
                               headers={"Accept-Language": "pt-BR"}).json["locale"] == "en"
    # the localized slug finds the product too
    assert products.client.get(f"{LIST}/caneca-de-viagem", query={"locale": "pt-BR"}).json["id"] == pid


def test_prices_convert_with_the_rate_client_and_base_price_never_changes(products):
    pid = make_product(products, base_price="19.99")
    jpy = products.client.get(f"{LIST}/{pid}", query={"currency": "JPY"}).json
    # 1 USD = 162 / 1.08 = 150 JPY; 19.99 * 150 = 2998.5 → 2999 (JPY has no minor units, half up)
    assert jpy["price"] == {"amount": "2999", "currency": "JPY"}
    assert jpy["base_price"] == {"amount": "19.99", "currency": "USD"}
    assert jpy["fx"] == {"rate": "150", "as_of": "2025-01-02T15:00:00.000Z", "source": "ecb", "stale": True}

    from decimal import Decimal

    from meridian import fx

    for currency in ("EUR", "GBP", "KWD", "USD"):
        body = products.client.get(f"{LIST}/{pid}", query={"currency": currency.lower()}).json
        expected = fx.convert(Decimal("19.99"), "USD", currency)
        assert body["price"] == expected.amount.to_json()
        assert body["fx"]["rate"] == expected.fx_json()["rate"]
    assert products.client.get(f"{LIST}/{pid}", query={"currency": "KWD"}).json["price"]["amount"].count(".") == 1
    assert len(products.client.get(f"{LIST}/{pid}", query={"currency": "KWD"}).json["price"]["amount"]
               .split(".")[1]) == 3

    bad = products.client.get(f"{LIST}/{pid}", query={"currency": "XYZ"})
    assert bad.status == 400 and "currency" in bad.json["errors"]
    bad_locale = products.client.get(LIST, query={"locale": "xx-YY"})
    assert bad_locale.status == 400 and "locale" in bad_locale.json["errors"]


def test_usd_prices_survive_without_any_rate_snapshot(products, monkeypatch):
    from meridian import fx

    from tests.lambda_testing import point_api_base_url

    pid = make_product(products, base_price="5.00")
    fx.reset()  # no snapshot at all, and localization is unreachable:
    point_api_base_url("http://127.0.0.1:9/Prod")
    body = products.client.get(f"{LIST}/{pid}").json
    assert body["price"] == {"amount": "5.00", "currency": "USD"} and body["fx"]["rate"] == "1"
    unavailable = products.client.get(f"{LIST}/{pid}", query={"currency": "EUR"})
    assert unavailable.status == 503 and "retry-after" in unavailable.headers


def _all_pages(products, query, limit):
    seen, cursor, pages = [], None, 0
    while True:
        params = dict(query, limit=str(limit))
        if cursor:
            params["cursor"] = cursor
        response = products.client.get(LIST, query=params)
        assert response.status == 200, response.json
        seen += [item["id"] for item in response.json["items"]]
        cursor, pages = response.json["next_cursor"], pages + 1
        if cursor is None:
            return seen, pages
        assert len(response.json["items"]) == limit


def test_pagination_sees_every_product_exactly_once(products):
    created = bulk_products(products, 260, categories=("stationery", "paper"))
    make_product(products, status="draft", category="paper")  # never listed publicly

    seen, pages = _all_pages(products, {}, 23)
    assert len(seen) == len(set(seen)) == 260 and set(seen) == created
    assert pages == 12  # 260 / 23 → 12 pages, the last one partial, next_cursor null
    stationery, _ = _all_pages(products, {"category": "stationery"}, 50)
    assert len(stationery) == len(set(stationery)) == 130


def test_forged_or_foreign_cursor_is_400(products):
    for _ in range(3):
        make_product(products, category="paper")
    first = products.client.get(LIST, query={"limit": "1", "category": "paper"}).json
    cursor = first["next_cursor"]
    assert cursor

    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    payload = json.loads(raw[16:])
    payload["id"] = str(uuid.uuid4())
    forged = base64.urlsafe_b64encode(raw[:16] + json.dumps(payload).encode()).decode().rstrip("=")
    for bad in (forged, "not-a-cursor", cursor[:-3]):
        response = products.client.get(LIST, query={"limit": "1", "category": "paper", "cursor": bad})
        assert response.status == 400, bad
        assert response.headers["content-type"] == "application/problem+json"
        assert "cursor" in response.json["errors"]
    # a real cursor of one listing is not valid for another
    other = products.client.get(LIST, query={"limit": "1", "category": "kitchen", "cursor": cursor})
    assert other.status == 400
    assert products.client.get(LIST, query={"limit": "1", "category": "paper", "cursor": cursor}).status == 200


def test_listing_filters_by_category_and_searches_the_served_locale(products):
    kettle = make_product(products, name="Steel kettle", category="kitchen")
    make_product(products, name="Cast iron pan", category="kitchen")
    make_product(products, name="Steel ruler", category="stationery")
    localize(products, kettle, "de", "Wasserkocher aus Stahl")

    kitchen = products.client.get(LIST, query={"category": "kitchen"}).json["items"]
    assert {item["name"] for item in kitchen} == {"Steel kettle", "Cast iron pan"}
    steel = products.client.get(LIST, query={"q": "STEEL"}).json["items"]
    assert {item["name"] for item in steel} == {"Steel kettle", "Steel ruler"}
    german = products.client.get(LIST, query={"q": "stahl wasser", "locale": "de"})
    assert [item["id"] for item in german.json["items"]] == [kettle]
    assert german.headers["content-language"] == "de"
    mixed = products.client.get(LIST, query={"locale": "de", "category": "kitchen"})
    assert set(mixed.headers["content-language"].split(", ")) == {"de", "en"}
    item = kitchen[0]
    for field in ("id", "slug", "name", "description", "category", "price", "base_price", "in_stock", "locale", "fx"):
        assert field in item


def test_search_reads_a_bounded_number_of_entries_per_request(products, monkeypatch):
    monkeypatch.setenv("CATALOG_SEARCH_BUDGET", "5")
    for index in range(12):
        make_product(products, name=("Blue" if index in (0, 11) else "Red") + f" cup {index}", category="cups")
    found, cursor, requests = [], None, 0
    while True:
        query = {"q": "blue", "category": "cups", "limit": "2"}
        if cursor:
            query["cursor"] = cursor
        body = products.client.get(LIST, query=query).json
        requests += 1
        found += [item["name"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert sorted(found) == ["Blue cup 0", "Blue cup 11"]
    assert requests >= 3  # 12 entries, at most 5 read per request


def test_invalid_list_queries_are_400_per_field(products):
    response = products.client.get(LIST, query={"limit": "500", "category": "Bad Category!", "foo": "1"})
    assert response.status == 400
    assert {"limit", "category", "foo"} <= set(response.json["errors"])


def test_drafts_and_archived_are_hidden_from_shoppers(products):
    draft = make_product(products, status="draft")
    assert products.client.get(f"{LIST}/{draft}").status == 404
    assert products.client.get(f"{LIST}/{draft}", headers=products.admin).json["status"] == "draft"
    assert products.client.get(LIST, query={"status": "draft"}).status == 401
    assert products.client.get(LIST, query={"status": "draft"}, headers=products.customer).status == 403
    listed = products.client.get(LIST, query={"status": "draft"}, headers=products.admin).json["items"]
    assert [item["id"] for item in listed] == [draft]
    assert products.client.get(f"{LIST}/{uuid.uuid4()}").status == 404
    assert products.client.get(f"{LIST}/no-such-slug").status == 404


def test_a_listed_product_shows_what_its_own_page_shows(products):
    """The page reads only the served locale's chain and the public fields: nothing it shows may go missing."""
    pid = make_product(products, name="Espresso cup", images=["https://cdn.example.com/cup.jpg"],
                       variants=[{"sku": "CUP-S", "stock": 0}, {"sku": "CUP-L", "stock": 2, "base_price": "21.00"}])
    localize(products, pid, "pt", "Chávena", "Uma chávena.", slug="chavena")
    localize(products, pid, "de", "Tasse", "Eine Tasse.")
    for locale in ("pt-BR", "de", "en", "ja"):
        query = {"locale": locale, "currency": "JPY"}
        listed = next(i for i in products.client.get(LIST, query=query).json["items"] if i["id"] == pid)
        page = products.client.get(f"{LIST}/{pid}", query=query).json
        assert listed == {key: page[key] for key in listed}, locale
        assert listed["in_stock"] is True and listed["image"] == "https://cdn.example.com/cup.jpg"
    assert products.client.get(LIST, query={"locale": "pt-BR"}).json["items"][0]["name"] == "Chávena"
    admin_listed = products.client.get(LIST, query={"locale": "de"}, headers=products.admin).json["items"][0]
    assert admin_listed["locales"] == ["de", "en", "pt"] and admin_listed["stock"][1]["available"] == 2


def test_an_empty_locale_or_currency_parameter_is_a_400_naming_it(products):
    pid = make_product(products)
    for path in (LIST, f"{LIST}/{pid}"):
        for name in ("locale", "currency"):
            answer = products.client.get(path, query={name: ""})
            assert answer.status == 400 and name in answer.json["errors"], (path, name, answer.json)
