"""Weight and tax class of products and variants, and the internal quote of cart lines (orders' carts)."""
from __future__ import annotations

import uuid

import pytest

from .helpers import bulk_products, make_product, service_headers

LIST = "/api/v1/products"
QUOTES = "/api/v1/products/internal/quotes"
RESERVATIONS = "/api/v1/products/internal/reservations"


def quote(products, items, caller="orders", **extra):
    return products.client.post(QUOTES, json={"items": items, **extra}, headers=service_headers(caller, "POST", QUOTES))


def reserve(products, items):
    body = {"reservation_id": str(uuid.uuid4()), "items": items}
    return products.client.post(RESERVATIONS, json=body, headers=service_headers("orders", "POST", RESERVATIONS))


def create(products, **fields):
    body = {"name": "Field kettle", "category": "kitchen", "base_price": "10.00", **fields}
    return products.client.post(LIST, json=body, headers=products.admin)


# --------------------------------------------------------------------------- weight and tax class
def test_weight_and_tax_class_default_to_0_and_standard(products):
    made = create(products)
    assert made.status == 201, made.json
    assert (made.json["weight_grams"], made.json["tax_class"]) == (0, "standard")


@pytest.mark.parametrize("fields,field", [
    ({"tax_class": "luxury"}, "tax_class"),
    ({"tax_class": None}, "tax_class"),
    ({"weight_grams": -1}, "weight_grams"),
    ({"weight_grams": 1_000_001}, "weight_grams"),
    ({"weight_grams": 12.5}, "weight_grams"),
    ({"weight_grams": "250"}, "weight_grams"),
    ({"weight_grams": True}, "weight_grams"),
    ({"variants": [{"sku": "W-1", "weight_grams": -5}]}, "variants.0.weight_grams"),
])
def test_a_bad_weight_or_tax_class_is_a_400_naming_it(products, fields, field):
    response = create(products, **fields)
    assert response.status == 400, response.json
    assert response.headers["content-type"] == "application/problem+json"
    assert field in response.json["errors"]


def test_patch_sets_weight_and_tax_class_and_refuses_bad_ones(products):
    pid = make_product(products)
    for body, field in (({"tax_class": "gold"}, "tax_class"), ({"weight_grams": -3}, "weight_grams")):
        bad = products.client.patch(f"{LIST}/{pid}", json=body, headers=products.admin)
        assert bad.status == 400 and field in bad.json["errors"], bad.json
    ok = products.client.patch(f"{LIST}/{pid}", json={"weight_grams": 480, "tax_class": "zero"},
                               headers=products.admin)
    assert ok.status == 200, ok.json
    assert (ok.json["weight_grams"], ok.json["tax_class"]) == (480, "zero")
    shown = products.client.get(f"{LIST}/{pid}").json
    assert (shown["weight_grams"], shown["tax_class"]) == (480, "zero")


def test_views_show_weights_and_a_variant_weighs_its_own_or_the_products(products):
    made = create(products, weight_grams=300, tax_class="reduced",
                  variants=[{"sku": "TEA-S", "stock": 2}, {"sku": "TEA-L", "stock": 1, "weight_grams": 900}])
    assert made.status == 201, made.json
    pid = made.json["id"]
    assert (made.json["weight_grams"], made.json["tax_class"]) == (300, "reduced")
    assert [(v["sku"], v["weight_grams"]) for v in made.json["variants"]] == [("TEA-S", 300), ("TEA-L", 900)]
    public = products.client.get(f"{LIST}/{pid}").json
    assert (public["weight_grams"], public["tax_class"]) == (300, "reduced")
    assert [(v["sku"], v["weight_grams"]) for v in public["variants"]] == [("TEA-S", 300), ("TEA-L", 900)]
    listed = products.client.get(LIST, query={"category": "kitchen", "limit": "100"}).json["items"]
    assert [(i["weight_grams"], i["tax_class"]) for i in listed if i["id"] == pid] == [(300, "reduced")]
    path = f"/api/v1/products/internal/products/{pid}"
    internal = products.client.get(path, headers=service_headers("orders", "GET", path))
    assert internal.status == 200 and internal.json["weight_grams"] == 300
    held = reserve(products, [{"product_id": pid, "sku": "tea-l", "quantity": 1}])
    assert held.status == 201, held.json
    assert [(line["sku"], line["weight_grams"], line["tax_class"]) for line in held.json["items"]] == [
        ("TEA-L", 900, "reduced")]


def test_products_stored_before_weights_read_as_0_and_standard(products):
    (pid,) = bulk_products(products, 1, categories=("legacy",))
    shown = products.client.get(f"{LIST}/{pid}").json
    assert (shown["weight_grams"], shown["tax_class"]) == (0, "standard")
    listed = products.client.get(LIST, query={"category": "legacy"}).json["items"]
    assert [(i["weight_grams"], i["tax_class"]) for i in listed] == [(0, "standard")]
    (line,) = quote(products, [{"product_id": pid}]).json["items"]
    assert (line["weight_grams"], line["tax_class"]) == (0, "standard")


# --------------------------------------------------------------------------- quotes
def test_a_quote_answers_each_line_in_order_found_or_not(products):
    kettle = make_product(products, stock=4, name="Quote kettle", base_price="49.90", weight_grams=1200)
    shirt = make_product(products, name="Quote shirt", base_price="20.00", weight_grams=250, tax_class="zero",
                         variants=[{"sku": "QS-S", "stock": 3}, {"sku": "QS-L", "stock": 0, "base_price": "22.50",
                                                                 "weight_grams": 310}])
    unknown = str(uuid.uuid4())
    response = quote(products, [
        {"product_id": kettle}, {"product_id": unknown, "sku": None}, {"product_id": shirt, "sku": "qs-l"},
        {"product_id": shirt, "sku": "QS-S"}, {"product_id": shirt, "sku": "QS-XL"}, {"product_id": shirt},
        {"product_id": kettle, "sku": "NOPE-1"}])
    assert response.status == 200, response.json
    assert response.json == {"items": [
        {"product_id": kettle, "sku": None, "found": True, "for_sale": True, "name": "Quote kettle",
         "unit_price": {"amount": "49.90", "currency": "USD"}, "weight_grams": 1200, "tax_class": "standard",
         "fixed_prices": {}, "available": 4},
        {"product_id": unknown, "sku": None, "found": False, "missing": "product"},
        {"product_id": shirt, "sku": "QS-L", "found": True, "for_sale": True, "name": "Quote shirt",
         "unit_price": {"amount": "22.50", "currency": "USD"}, "weight_grams": 310, "tax_class": "zero",
         "fixed_prices": {}, "available": 0},
        {"product_id": shirt, "sku": "QS-S", "found": True, "for_sale": True, "name": "Quote shirt",
         "unit_price": {"amount": "20.00", "currency": "USD"}, "weight_grams": 250, "tax_class": "zero",
         "fixed_prices": {}, "available": 3},
        {"product_id": shirt, "sku": "QS-XL", "found": False, "missing": "sku"},
        {"product_id": shirt, "sku": None, "found": False, "missing": "sku_required"},   # variants: one must be chosen
        {"product_id": kettle, "sku": "NOPE-1", "found": False, "missing": "sku"},
    ]}


def test_a_quote_names_lines_in_the_locale_with_the_catalogs_fallback(products):
    pid = make_product(products, name="Teapot")
    put = products.client.put(f"{LIST}/{pid}/localizations/de", json={"name": "Teekanne"}, headers=products.admin)
    assert put.status == 200, put.json
    names = {}
    for locale in ("de", "de-AT", "DE-de", "fr", "pt-BR", None):
        extra = {} if locale is None else {"locale": locale}
        answer = quote(products, [{"product_id": pid}], **extra)
        assert answer.status == 200, answer.json
        names[locale] = answer.json["items"][0]["name"]
    assert names == {"de": "Teekanne", "de-AT": "Teekanne", "DE-de": "Teekanne", "fr": "Teapot", "pt-BR": "Teapot",
                     None: "Teapot"}


def test_a_quote_holds_nothing_and_sees_what_a_reservation_holds(products):
    pid = make_product(products, stock=5)
    assert quote(products, [{"product_id": pid}]).json["items"][0]["available"] == 5
    assert quote(products, [{"product_id": pid}]).json["items"][0]["available"] == 5   # nothing held by a quote
    assert reserve(products, [{"product_id": pid, "quantity": 2}]).status == 201
    assert quote(products, [{"product_id": pid}]).json["items"][0]["available"] == 3


def test_a_product_not_active_is_found_but_not_for_sale(products):
    draft = make_product(products, status="draft")
    archived = make_product(products)
    assert products.client.delete(f"{LIST}/{archived}", headers=products.admin).status == 204
    lines = quote(products, [{"product_id": draft}, {"product_id": archived}]).json["items"]
    assert [(line["found"], line["for_sale"]) for line in lines] == [(True, False), (True, False)]


def test_a_quote_reads_the_distinct_products_in_one_batch_get(products, monkeypatch):
    from products.models import LocalizedDetailsItem, ProductItem

    one, two = make_product(products), make_product(products)
    calls = []
    batch_get = ProductItem.batch_get.__func__

    def counted(cls, keys, *args, **kwargs):
        keys = list(keys)
        calls.append((len(keys), kwargs.get("attributes_to_get") is not None))
        return batch_get(cls, keys, *args, **kwargs)

    def refused(*args, **kwargs):
        raise AssertionError("a quote reads no single item and queries nothing")

    monkeypatch.setattr(ProductItem, "batch_get", classmethod(counted))
    monkeypatch.setattr(ProductItem, "get", refused)
    monkeypatch.setattr(LocalizedDetailsItem, "query", refused)
    response = quote(products, [{"product_id": one}, {"product_id": two}, {"product_id": one}], locale="de")
    assert response.status == 200, response.json
    assert calls == [(2, True)]           # two distinct products, only what a line is made of


@pytest.mark.parametrize("body,field", [
    ({"items": []}, "items"),
    ({}, "items"),
    ({"items": [{"product_id": "not-a-uuid"}]}, "items.0.product_id"),
    ({"items": [{"sku": "X-1"}]}, "items.0.product_id"),
    ({"items": [{"product_id": str(uuid.uuid4()), "quantity": 1}]}, "items.0.quantity"),
    ({"items": [{"product_id": str(uuid.uuid4()), "sku": "bad sku!"}]}, "items.0.sku"),
    ({"items": [{"product_id": str(uuid.uuid4())}] * 51}, "items"),
    ({"locale": "xx", "items": [{"product_id": str(uuid.uuid4())}]}, "locale"),
    ({"locale": 7, "items": [{"product_id": str(uuid.uuid4())}]}, "locale"),
])
def test_a_bad_quote_request_is_a_400_naming_the_field(products, body, field):
    response = products.client.post(QUOTES, json=body, headers=service_headers("orders", "POST", QUOTES))
    assert response.status == 400, response.json
    assert field in response.json["errors"], response.json


def test_only_orders_may_ask_for_a_quote(products):
    items = [{"product_id": str(uuid.uuid4())}]
    assert quote(products, items, caller="payments").status == 403
    assert products.client.post(QUOTES, json={"items": items}, headers=products.admin).status == 401
    assert products.client.post(QUOTES, json={"items": items}).status == 401
