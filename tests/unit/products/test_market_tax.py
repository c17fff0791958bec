"""The catalog shows prices as the shopper's market does: with tax included where it expects it (orders' tax
table, market_taxes.py), without elsewhere; the same shelf price rule as the cart (meridian.money.shelf_price)."""
from __future__ import annotations

from decimal import Decimal

import responses
from meridian.money import shelf_price

from ..conftest import API_BASE_URL
from .helpers import make_product

LIST = "/api/v1/products"
DE = {"country": "DE", "region": None, "name": "VAT", "standard": "0.19", "reduced": "0.07", "included": True}
US = {"country": "US", "region": None, "name": "Sales tax", "standard": "0", "reduced": "0", "included": False}


def shown(products, product_id: str, **query) -> dict:
    answer = products.client.get(f"{LIST}/{product_id}", query=query)
    assert answer.status == 200, answer.json
    return answer.json


def test_german_shoppers_see_vat_included_by_the_products_tax_class(products):
    products.market_taxes.use_static({"DE": DE, "US": US})
    mug = make_product(products, base_price="10.00")
    coffee = make_product(products, base_price="10.00", tax_class="reduced")
    voucher = make_product(products, base_price="10.00", tax_class="zero")
    de = shown(products, mug, locale="de", currency="EUR")
    rate = Decimal(de["fx"]["rate"])
    assert de["price"] == {"amount": str(shelf_price(Decimal("10.00"), rate, "EUR", tax_rate=Decimal("0.19"))),
                           "currency": "EUR"} == {"amount": "11.02", "currency": "EUR"}
    assert de["tax"] == {"included": True, "rate": "0.19", "name": "VAT", "country": "DE"}
    assert shown(products, coffee, locale="de", currency="EUR")["price"]["amount"] == "9.91"       # 7 %
    assert shown(products, voucher, locale="de", currency="EUR")["price"]["amount"] == "9.26"      # zero rated
    listed = products.client.get(LIST, query={"locale": "de", "currency": "EUR", "limit": "100"}).json["items"]
    assert {i["id"]: i["price"]["amount"] for i in listed if i["id"] in (mug, coffee)} == {mug: "11.02",
                                                                                          coffee: "9.91"}


def test_us_shoppers_see_net_prices_and_an_unknown_market_shows_none(products):
    products.market_taxes.use_static({"DE": DE, "US": US})
    mug = make_product(products, base_price="10.00")
    us = shown(products, mug, locale="en-US", currency="USD")
    assert us["price"]["amount"] == "10.00" and us["tax"] == {"included": False, "country": "US"}
    other = shown(products, mug, locale="en", currency="KWD")
    assert other["tax"]["included"] is False


def test_when_orders_cannot_say_the_catalog_still_answers_without_tax(products):
    products.market_taxes.reset()                    # ask orders for real: it is not there
    mug = make_product(products, base_price="10.00")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.GET, f"{API_BASE_URL}/api/v1/orders/internal/tax-rates/DE", status=503)
        answer = shown(products, mug, locale="de", currency="EUR")
    assert answer["tax"]["included"] is False and answer["price"]["amount"] == "9.26"
