"""A payment's price breakdown: given by orders with the intent, checked against the amount, shown on the payment."""
from __future__ import annotations

import uuid

import pytest

from .conftest import internal

PATH = "/api/v1/payments/internal/intents"


def vat_breakdown(**changes) -> dict:
    """Germany: prices include 19 % VAT; 2 × 24.99 − 5.00 + 4.90 shipping = 49.88 charged, 7.96 of it VAT."""
    return {"subtotal": "49.98", "discount_total": "5.00", "shipping_total": "4.90", "tax_total": "7.96",
            "tax_included": True, "taxes": [{"name": "VAT", "rate": "0.19", "amount": "7.96"}],
            "lines": [{"product_id": str(uuid.UUID(int=1)), "sku": None, "name": "Mug", "quantity": 2,
                       "unit_price": "24.99", "line_total": "49.98"}], **changes}


def intent_body(breakdown: dict | None = None, *, amount: str = "49.88", currency: str = "EUR", **changes) -> dict:
    body = {"order_id": str(uuid.uuid4()), "user_id": str(uuid.uuid4()), "amount": amount, "currency": currency,
            **changes}
    return body if breakdown is None else {**body, "breakdown": breakdown}


def post(api, body: dict):
    return api.post(PATH, json=body, headers=internal("POST", PATH))


def money(amount: str, currency: str = "EUR") -> dict:
    return {"amount": amount, "currency": currency}


def nothing_made(api, sandbox, body: dict) -> None:
    """No payment, no gateway intent and no claim on the order: the same order can still pay."""
    from payments import repository

    assert sandbox.ledger.intents == {}
    assert repository.payment_for_order(body["order_id"]) is None
    fresh = post(api, intent_body(vat_breakdown(), order_id=body["order_id"], user_id=body["user_id"]))
    assert fresh.status == 201, fresh.json


def test_the_breakdown_is_shown_on_the_payment_as_money(api, tokens, sandbox):
    body = intent_body(vat_breakdown())
    created = post(api, body)
    assert created.status == 201, created.json
    expected = {"subtotal": money("49.98"), "discount_total": money("5.00"), "shipping_total": money("4.90"),
                "tax_total": money("7.96"), "tax_included": True,
                "taxes": [{"name": "VAT", "rate": "0.19", "amount": money("7.96")}],
                "lines": [{"product_id": str(uuid.UUID(int=1)), "sku": None, "name": "Mug", "quantity": 2,
                           "unit_price": money("24.99"), "line_total": money("49.98")}]}
    assert created.json["breakdown"] == expected
    shown = api.get(f"/api/v1/payments/{created.json['id']}", headers=tokens.header(body["user_id"]))
    assert shown.status == 200
    assert shown.json["amount"] == money("49.88") and shown.json["breakdown"] == expected
    intent = sandbox.ledger.intents[created.json["intent_id"]]
    assert intent["amount"] == 4988                                           # the amount is what it was
    assert intent["metadata"]["tax_total"] == "7.96"


def test_sales_tax_added_on_top_and_whole_yen(api, tokens):
    us = {"subtotal": "40", "discount_total": "0", "shipping_total": "5.00", "tax_total": "3.6",
          "tax_included": False, "taxes": [{"name": "Sales tax", "rate": "0.080", "amount": "3.60"}], "lines": []}
    created = post(api, intent_body(us, amount="48.60", currency="USD"))
    assert created.status == 201, created.json
    assert created.json["breakdown"]["subtotal"] == money("40.00", "USD")   # amounts at the currency's minor units
    assert created.json["breakdown"]["taxes"] == [{"name": "Sales tax", "rate": "0.08",
                                                   "amount": money("3.60", "USD")}]
    jp = {"subtotal": "1000", "discount_total": "0", "shipping_total": "500", "tax_total": "136",
          "tax_included": True, "taxes": [{"name": "JCT", "rate": "0.1", "amount": "136"}]}
    created = post(api, intent_body(jp, amount="1500", currency="JPY"))
    assert created.status == 201, created.json
    assert created.json["breakdown"]["tax_total"] == money("136", "JPY") and created.json["breakdown"]["lines"] == []
    listed = api.get("/api/v1/payments/internal/payments", query={"status": "pending"},
                     headers=internal("GET", "/api/v1/payments/internal/payments"))
    assert listed.status == 200
    assert {item["breakdown"]["tax_total"]["currency"] for item in listed.json["items"]} == {"USD", "JPY"}


@pytest.mark.parametrize("breakdown, amount", [
    (vat_breakdown(), "49.89"),                                                   # one cent more than its figures
    (vat_breakdown(tax_included=False), "49.88"),                                 # excluded: the tax is on top
    (vat_breakdown(taxes=[{"name": "VAT", "rate": "0.19", "amount": "7.95"}]), "49.88"),   # taxes ≠ tax_total
    (vat_breakdown(taxes=[]), "49.88"),
])
def test_a_breakdown_that_does_not_add_up_is_422_and_makes_nothing(api, sandbox, breakdown, amount):
    body = intent_body(breakdown, amount=amount)
    response = post(api, body)
    assert response.status == 422, response.json
    assert response.headers["content-type"].startswith("application/problem+json")
    assert list(response.json["errors"]) == ["breakdown"]
    nothing_made(api, sandbox, body)


@pytest.mark.parametrize("currency, amount, breakdown, field", [
    ("EUR", "49.88", vat_breakdown(subtotal="1.234"), "breakdown.subtotal"),
    ("JPY", "1500", {"subtotal": "1000", "discount_total": "0", "shipping_total": "500", "tax_total": "5.5",
                     "tax_included": True, "taxes": [{"name": "JCT", "rate": "0.1", "amount": "5.5"}]},
     "breakdown.tax_total"),
    ("JPY", "1500", {"subtotal": "1000", "discount_total": "0", "shipping_total": "500", "tax_total": "136",
                     "tax_included": True, "taxes": [{"name": "JCT", "rate": "0.1", "amount": "135.5"}]},
     "breakdown.taxes.0.amount"),
    ("EUR", "49.88", vat_breakdown(lines=[{"product_id": "p", "quantity": 2, "unit_price": "24.995",
                                           "line_total": "49.98"}]), "breakdown.lines.0.unit_price"),
    ("EUR", "49.88", vat_breakdown(shipping_total=4.9), "breakdown.shipping_total"),         # a float
    ("EUR", "49.88", vat_breakdown(discount_total="-5.00"), "breakdown.discount_total"),
    ("EUR", "49.88", vat_breakdown(taxes=[{"name": "VAT", "rate": "1.19", "amount": "7.96"}]),
     "breakdown.taxes.0.rate"),
    ("EUR", "49.88", vat_breakdown(taxes=[{"name": "VAT", "rate": 0.19, "amount": "7.96"}]),
     "breakdown.taxes.0.rate"),
    ("EUR", "49.88", vat_breakdown(tax_included="yes"), "breakdown.tax_included"),
    ("EUR", "49.88", {"subtotal": "49.88"}, "breakdown.tax_total"),
    ("EUR", "49.88", "49.88", "breakdown"),
])
def test_a_malformed_breakdown_is_400_naming_the_field_and_makes_nothing(api, sandbox, currency, amount, breakdown,
                                                                          field):
    body = intent_body(breakdown, amount=amount, currency=currency)
    response = post(api, body)
    assert response.status == 400, response.json
    assert field in response.json["errors"], response.json["errors"]
    nothing_made(api, sandbox, body)


def test_older_callers_without_a_breakdown_still_pay(api, tokens):
    for body in (intent_body(amount="25.00"), {**intent_body(amount="25.00"), "breakdown": None}):
        created = post(api, body)
        assert created.status == 201, created.json
        assert created.json["breakdown"] is None
        shown = api.get(f"/api/v1/payments/{created.json['id']}", headers=tokens.header(body["user_id"]))
        assert shown.status == 200 and shown.json["breakdown"] is None
        assert post(api, body).status == 200                                   # and their repeat as before


def test_a_repeat_answers_the_first_payment_another_breakdown_is_409(api, sandbox):
    body = intent_body(vat_breakdown())
    first = post(api, body)
    # the same figures written differently are the same breakdown
    same = {**body, "breakdown": vat_breakdown(discount_total="5", tax_total="7.960",
                                               taxes=[{"name": "VAT", "rate": "0.190", "amount": "7.96"}])}
    again = post(api, same)
    assert (first.status, again.status) == (201, 200)
    assert again.json["id"] == first.json["id"] and again.json["breakdown"] == first.json["breakdown"]
    assert len(sandbox.ledger.intents) == 1
    other = vat_breakdown(discount_total="0.00", shipping_total="0.00", subtotal="49.88")   # same amount, other figures
    for changed in ({**body, "breakdown": other}, {k: v for k, v in body.items() if k != "breakdown"}):
        response = post(api, changed)
        assert response.status == 409, response.json
    plain = intent_body(amount="49.88")
    assert post(api, plain).status == 201
    assert post(api, {**plain, "breakdown": vat_breakdown()}).status == 409   # a breakdown the claim never had
    assert len(sandbox.ledger.intents) == 2
