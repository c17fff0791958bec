"""Fixed prices per currency on products and variants: set through the admin API (create, PATCH, a variant's
PATCH), validated per currency (400 naming `prices.<code>`), shown as they are in the catalog (fx source
"fixed", no rate) where they win over conversion, and carried by the internal quotes and reservations orders
prices its lines with."""
from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from meridian.money import shelf_price

from .helpers import make_product, service_headers

LIST = "/api/v1/products"
DE = {"country": "DE", "region": None, "name": "VAT", "standard": "0.19", "reduced": "0.07", "included": True}
JP = {"country": "JP", "region": None, "name": "Consumption tax", "standard": "0.10", "reduced": "0.08",
      "included": True}


def shown(products, product_id: str, **query) -> dict:
    answer = products.client.get(f"{LIST}/{product_id}", query=query)
    assert answer.status == 200, answer.json
    return answer.json


def create(products, **body):
    return products.client.post(LIST, headers=products.admin, json={
        "name": f"Fixed {uuid.uuid4().hex[:6]}", "category": "kitchen", "base_price": "24.00", "stock": 5, **body})


def internal(products, path: str, body: dict):
    return products.client.post(path, json=body, headers=service_headers("orders", "POST", path))


# ------------------------------------------------------------------------------------------- validation
def test_create_stores_fixed_prices_per_currency_in_any_case(products):
    created = create(products, prices={"jpy": "2500", "EUR": "21.90", "KWD": 7, "BHD": "1.120"})
    assert created.status == 201, created.json
    assert created.json["prices"] == {"BHD": "1.120", "EUR": "21.90", "JPY": "2500", "KWD": "7.000"}
    plain = products.pim.load(make_product(products))
    assert products.views.admin_view(plain)["prices"] == {}


@pytest.mark.parametrize(("prices", "field"), [
    ({"EUR": "19.999"}, "prices.EUR"),                 # more decimals than EUR has
    ({"JPY": "2500.5"}, "prices.JPY"),                 # JPY has none
    ({"KWD": "1.0001"}, "prices.KWD"),
    ({"BHD": "1.125"}, "prices.BHD"),                  # three-decimal currencies: whole 10 fils (money.step)
    ({"EUR": "0"}, "prices.EUR"),                      # must be above 0
    ({"EUR": "-1"}, "prices.EUR"),
    ({"EUR": 21.9}, "prices.EUR"),                     # a JSON float
    ({"EUR": True}, "prices.EUR"),
    ({"EUR": "1e3"}, "prices.EUR"),
    ({"EUR": "1234567890123"}, "prices.EUR"),          # beyond parse_amount's 12 digits
    ({"EUR": None}, "prices.EUR"),                     # null only removes, on PATCH
    ({"XXY": "10"}, "prices.XXY"),                     # not a currency meridian.money knows
    ({"EUR": "10", "eur": "11"}, "prices.eur"),        # the same currency twice
    (["EUR", "10"], "prices"),
])
def test_bad_fixed_prices_are_a_400_naming_the_currency_and_nothing_is_created(products, prices, field):
    name = f"Refused {uuid.uuid4().hex[:6]}"
    answer = create(products, name=name, prices=prices)
    assert answer.status == 400, answer.json
    assert field in answer.json["errors"], answer.json
    listed = products.client.get(LIST, query={"limit": "100"}).json["items"]
    assert name not in [item["name"] for item in listed]


def test_a_variant_price_with_too_many_decimals_names_its_variant(products):
    answer = create(products, stock=None, variants=[{"sku": "FX-S"}, {"sku": "FX-M", "prices": {"JPY": "12.5"}}])
    assert answer.status == 400 and "variants.1.prices.JPY" in answer.json["errors"], answer.json


def test_patch_sets_changes_and_removes_fixed_prices_one_currency_at_a_time(products):
    pid = create(products, prices={"JPY": "2500", "EUR": "21.90"}).json["id"]
    patched = products.client.patch(f"{LIST}/{pid}", headers=products.admin,
                                    json={"prices": {"EUR": None, "GBP": "18.50", "JPY": "2400"}})
    assert patched.status == 200, patched.json
    assert patched.json["prices"] == {"GBP": "18.50", "JPY": "2400"}
    refused = products.client.patch(f"{LIST}/{pid}", headers=products.admin,
                                    json={"prices": {"GBP": "18.505"}, "base_price": "30.00"})
    assert refused.status == 400 and list(refused.json["errors"]) == ["prices.GBP"]
    again = products.pim.load(pid, consistent=True)                   # nothing changed
    assert products.views.admin_view(again)["prices"] == {"GBP": "18.50", "JPY": "2400"}
    assert again.base_price == Decimal("24.00")


def test_fixed_prices_are_admin_only(products):
    pid = make_product(products)
    assert products.client.patch(f"{LIST}/{pid}", json={"prices": {"JPY": "1"}}).status == 401
    assert products.client.patch(f"{LIST}/{pid}", json={"prices": {"JPY": "1"}},
                                 headers=products.customer).status == 403
    variant = f"{LIST}/{pid}/variants/X"
    assert products.client.patch(variant, json={"prices": {"JPY": "1"}}, headers=products.customer).status == 403
    assert "prices" not in shown(products, pid)                                  # shoppers see the price only
    admin_view = products.client.get(f"{LIST}/{pid}", headers=products.admin)
    assert admin_view.status == 200 and admin_view.json["prices"] == {}


# ------------------------------------------------------------------------------------------- the catalog
def test_the_catalog_shows_a_fixed_price_as_it_is_and_converts_the_other_currencies(products):
    pid = create(products, prices={"JPY": "2500"}).json["id"]
    jpy = shown(products, pid, currency="JPY")
    assert jpy["price"] == {"amount": "2500", "currency": "JPY"}       # not 24 × 150 = 3600
    assert jpy["fx"] == {"rate": None, "as_of": None, "source": "fixed", "stale": False}
    eur = shown(products, pid, currency="EUR")
    assert eur["fx"]["source"] == "ecb"
    assert eur["price"]["amount"] == str(shelf_price(Decimal("24.00"), Decimal(eur["fx"]["rate"]), "EUR"))
    listed = products.client.get(LIST, query={"currency": "JPY", "limit": "100"}).json["items"]
    assert next(item for item in listed if item["id"] == pid)["price"]["amount"] == "2500"


def test_a_fixed_price_is_not_taxed_again_where_the_market_shows_prices_with_tax(products):
    products.market_taxes.use_static({"DE": DE, "JP": JP})
    pid = create(products, prices={"JPY": "2500", "EUR": "21.90"}).json["id"]
    ja = shown(products, pid, locale="ja", currency="JPY")
    assert ja["price"]["amount"] == "2500" and ja["tax"]["included"] is True      # contained in it
    de = shown(products, pid, locale="de", currency="EUR")
    assert de["price"]["amount"] == "21.90" and de["tax"] == {"included": True, "rate": "0.19", "name": "VAT",
                                                              "country": "DE"}


def test_a_fixed_price_serves_a_currency_without_an_exchange_rate(products):
    pid = create(products, prices={"BHD": "9.120"}).json["id"]
    assert shown(products, pid, currency="BHD")["price"] == {"amount": "9.120", "currency": "BHD"}


def test_a_variants_fixed_price_wins_over_its_products(products):
    pid = create(products, stock=None, prices={"JPY": "2500", "EUR": "21.90"}, variants=[
        {"sku": "FXV-S", "stock": 2}, {"sku": "FXV-L", "stock": 2, "prices": {"JPY": "2800"}},
        {"sku": "FXV-XL", "stock": 2, "base_price": "30.00"}]).json["id"]
    variants = {v["sku"]: v for v in shown(products, pid, currency="JPY")["variants"]}
    assert variants["FXV-S"]["price"]["amount"] == "2500"          # the product's
    assert variants["FXV-L"]["price"]["amount"] == "2800"          # its own wins
    assert variants["FXV-XL"]["price"]["amount"] == "4500"         # priced on its own (30 × 150): converted
    eur = {v["sku"]: v["price"]["amount"] for v in shown(products, pid, currency="EUR")["variants"]}
    assert eur["FXV-L"] == "21.90"                                  # no EUR of its own: the product's


def test_a_variants_fixed_prices_change_through_its_own_patch(products):
    pid = create(products, stock=None, variants=[{"sku": "FXP-S", "stock": 1}, {"sku": "FXP-M", "stock": 1}]).json["id"]
    path = f"{LIST}/{pid}/variants/fxp-m"
    changed = products.client.patch(path, headers=products.admin, json={"prices": {"JPY": "1990", "EUR": "12.00"}})
    assert changed.status == 200, changed.json
    assert {v["sku"]: v["prices"] for v in changed.json["variants"]} == {
        "FXP-S": {}, "FXP-M": {"EUR": "12.00", "JPY": "1990"}}
    removed = products.client.patch(path, headers=products.admin, json={"prices": {"EUR": None}})
    assert removed.status == 200 and removed.json["variants"][1]["prices"] == {"JPY": "1990"}
    assert {v["sku"]: v["price"]["amount"] for v in shown(products, pid, currency="JPY")["variants"]} == {
        "FXP-S": "3600", "FXP-M": "1990"}
    bad = products.client.patch(path, headers=products.admin, json={"prices": {"JPY": "19.9"}})
    assert bad.status == 400 and list(bad.json["errors"]) == ["prices.JPY"]
    unknown = products.client.patch(f"{LIST}/{pid}/variants/NOPE", headers=products.admin,
                                    json={"prices": {"JPY": "1"}})
    assert unknown.status == 404


# ------------------------------------------------------------------------------------------- orders' internal API
def test_quotes_and_reservations_carry_each_lines_fixed_prices(products):
    pid = create(products, stock=None, prices={"JPY": "2500"}, variants=[
        {"sku": "FXQ-S", "stock": 3}, {"sku": "FXQ-L", "stock": 3, "prices": {"JPY": "2800", "EUR": "19.00"}}]
                 ).json["id"]
    quoted = internal(products, f"{LIST}/internal/quotes", {"items": [
        {"product_id": pid, "sku": "FXQ-S"}, {"product_id": pid, "sku": "FXQ-L"}]})
    assert quoted.status == 200, quoted.json
    assert [line["fixed_prices"] for line in quoted.json["items"]] == [{"JPY": "2500"},
                                                                       {"EUR": "19.00", "JPY": "2800"}]
    held = internal(products, f"{LIST}/internal/reservations", {"reservation_id": str(uuid.uuid4()), "items": [
        {"product_id": pid, "sku": "FXQ-L", "quantity": 2}]})
    assert held.status == 201, held.json
    assert held.json["items"][0]["fixed_prices"] == {"EUR": "19.00", "JPY": "2800"}
