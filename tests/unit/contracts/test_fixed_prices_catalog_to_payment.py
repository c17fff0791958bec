"""The price shown is the price charged, fixed or converted, across currencies (hypothesis).

For random products (with and without fixed prices, with and without variants that have their own), random
markets (currency and locale, with and without tax in the price) and random quantities: the catalog's unit
price (products' REAL app, in process) == the cart's unit price (orders' pricing of products' real quote,
fetched by orders' own products_api) == the order line's unit price (orders' pricing of products' real
reservation) and the order's total == the amount orders asks payments for.
"""
from __future__ import annotations

import json
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from meridian import fx, markets
from meridian.clients import ServiceClient
from meridian.money import quantum, step

from tests.lambda_testing import ApiClient, TokenFactory, serve_in_process

from ..conftest import API_BASE_URL

ORDERS_CODE = Path(__file__).resolve().parents[3] / "functions" / "orders"
RATES = {"USD": "1.08", "JPY": "162.37", "KWD": "0.3321", "GBP": "0.8573"}     # per 1 EUR
TAX_TABLE = {       # the markets' rates, the same for the catalog (market_taxes) and the cart (orders' TaxRates)
    "DE": {"country": "DE", "region": None, "name": "VAT", "standard": "0.19", "reduced": "0.07", "included": True},
    "JP": {"country": "JP", "region": None, "name": "Consumption tax", "standard": "0.10", "reduced": "0.08",
           "included": True},
    "GB": {"country": "GB", "region": None, "name": "VAT", "standard": "0.20", "reduced": "0.05", "included": True},
    "US": {"country": "US", "region": None, "name": "Sales tax", "standard": "0", "reduced": "0", "included": False},
}
MARKETS = [("de", "EUR"), ("ja", "JPY"), ("en-US", "USD"), ("en", "KWD"), ("en-GB", "GBP"), ("fr", "JPY")]
CURRENCIES = ("EUR", "JPY", "USD", "KWD", "GBP")


@pytest.fixture
def shop(load_function, monkeypatch):
    """products' real app (rates static, the markets' tax table) and orders' own modules calling it."""
    fx.use_static(RATES, base="EUR", source="ecb")
    app = load_function("ProductsFunction")
    from products import market_taxes

    market_taxes.use_static(TAX_TABLE)
    monkeypatch.syspath_prepend(str(ORDERS_CODE))
    from orders import payments_api, pricing, products_api, taxes

    intents: list[dict] = []

    def intent(request):
        body = json.loads(request.body)
        intents.append(body)
        return 201, {"Content-Type": "application/json"}, json.dumps({
            "id": str(uuid.uuid4()), "intent_id": "pi_test", "client_secret": "secret", "status": "requires_payment",
            "amount": {"amount": body["amount"], "currency": body["currency"]}})

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        serve_in_process(mock, API_BASE_URL, app)
        mock.add_callback(responses.POST, f"{API_BASE_URL}/api/v1/payments/internal/intents", callback=intent)
        monkeypatch.setattr(products_api, "_client", ServiceClient("products", caller="orders"))
        monkeypatch.setattr(payments_api, "_client", ServiceClient("payments", caller="orders", attempts=1))

        class Shop:
            pass

        shop = Shop()
        shop.client, shop.admin = ApiClient(app), TokenFactory().header(role="admin")
        shop.products_api, shop.payments_api, shop.pricing, shop.taxes = products_api, payments_api, pricing, taxes
        shop.intents = intents
        yield shop
    market_taxes.reset()
    fx.reset()


def amount_in(currency: str):
    """A positive amount in whole steps of `currency` (money.step: its minor unit, 0.010 for KWD), as a string."""
    unit, decimals = step(currency), quantum(currency)
    return st.integers(1, 5_000_000).map(lambda steps: format((steps * unit).quantize(decimals), "f"))


def fixed_prices():
    return st.dictionaries(st.sampled_from(CURRENCIES), st.none(), max_size=5).flatmap(
        lambda chosen: st.fixed_dictionaries({code: amount_in(code) for code in chosen}))


base_prices = st.integers(1, 99_999).map(lambda cents: format(Decimal(cents).scaleb(-2), "f"))
variants = st.one_of(st.none(), st.fixed_dictionaries({
    "prices": fixed_prices(), "base_price": st.one_of(st.none(), base_prices)}))


def tax_of(taxes, country: str | None):
    row = TAX_TABLE.get(country or "")
    if row is None:
        return taxes.NO_TAX
    return taxes.TaxRates(country=row["country"], region=None, name=row["name"], standard=Decimal(row["standard"]),
                          reduced=Decimal(row["reduced"]), included=row["included"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(base=base_prices, prices=fixed_prices(), variant=variants, tax_class=st.sampled_from(["standard", "reduced",
                                                                                              "zero"]),
       market=st.sampled_from(MARKETS), quantity=st.integers(1, 20))
def test_catalog_cart_order_and_payment_agree_fixed_or_converted(shop, base, prices, variant, tax_class, market,
                                                                 quantity):
    locale, currency = market
    body = {"name": f"Agree {uuid.uuid4().hex[:8]}", "category": "kitchen", "base_price": base, "tax_class": tax_class,
            "prices": prices}
    sku = None
    if variant is None:
        body["stock"] = 1000
    else:
        sku = f"AG-{uuid.uuid4().hex[:8]}"
        body["variants"] = [{"sku": sku, "stock": 1000, "prices": variant["prices"],
                             **({"base_price": variant["base_price"]} if variant["base_price"] else {})}]
    created = shop.client.post("/api/v1/products", json=body, headers=shop.admin)
    assert created.status == 201, created.json
    pid = created.json["id"]

    shown = shop.client.get(f"/api/v1/products/{pid}", query={"locale": locale, "currency": currency})
    assert shown.status == 200, shown.json
    catalog = shown.json if sku is None else next(v for v in shown.json["variants"] if v["sku"] == sku)
    catalog_price = Decimal(catalog["price"]["amount"])
    expected_fixed = (variant["prices"].get(currency) if variant else None) or (
        prices.get(currency) if variant is None or variant["base_price"] is None else None)
    if expected_fixed is not None:                            # a fixed price is shown exactly as set
        assert catalog_price == Decimal(expected_fixed)

    pricing, snapshot = shop.pricing, fx.snapshot()
    rate, tax = snapshot.rate("USD", currency), tax_of(shop.taxes, markets.home_country(locale, currency))
    (info,) = shop.products_api.quote([{"product_id": pid, "sku": sku}], locale)
    cart = pricing.price([pricing.line_input("1", pid, sku, quantity, info, currency)], currency=currency, rate=rate,
                         tax=tax)
    assert cart.lines[0].unit_price == catalog_price

    order_id = str(uuid.uuid4())
    reserved = shop.products_api.reserve(order_id, [{"product_id": pid, "sku": sku, "quantity": quantity}],
                                         ttl_seconds=600)
    order = pricing.price([pricing.line_input("1", item["product_id"], item.get("sku"), int(item["quantity"]), item,
                                              currency) for item in reserved["items"]],
                          currency=currency, rate=rate, tax=tax)
    stored = pricing.order_fields(order, snapshot)
    assert Decimal(stored["items"][0].unit_price) == catalog_price
    assert stored["total"] == cart.total == catalog_price * quantity + (Decimal(0) if tax.included else
                                                                        order.tax_total)

    shop.payments_api.create_intent(order_id=order_id, user_id="u", amount=stored["total"], currency=currency,
                                    breakdown=pricing.breakdown(order))
    assert Decimal(shop.intents[-1]["amount"]) == stored["total"] and shop.intents[-1]["currency"] == currency
