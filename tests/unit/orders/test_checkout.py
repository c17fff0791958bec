"""POST /api/v1/orders: priced by products, FX snapshot written, saga with compensation."""
from __future__ import annotations

import uuid
from decimal import Decimal

from .conftest import ADDRESS, money


def test_checkout_prices_from_products_and_records_the_fx_snapshot(checkout, services, static_rates):
    widget = services.products.add("19.99", stock=5, name="Widget")
    gadget = services.products.add("5.00", stock=5, name="Gadget")
    user = str(uuid.uuid4())

    response = checkout(user, [{"product_id": widget, "quantity": 2}, {"product_id": gadget, "quantity": 1}])

    assert response.status == 201, response.json
    order = response.json
    assert order["status"] == "pending_payment"
    rate = Decimal(static_rates["USD"])                      # 1 EUR = 1.08 USD → USD→EUR = 1/1.08
    unit_widget = (Decimal("19.99") / rate).quantize(Decimal("0.01"))
    unit_gadget = (Decimal("5.00") / rate).quantize(Decimal("0.01"))
    lines = {line["product_id"]: line for line in order["items"]}
    assert money(lines[widget]["unit_price"]) == unit_widget
    assert money(lines[widget]["line_total"]) == unit_widget * 2
    assert lines[widget]["base_unit_price"] == {"amount": "19.99", "currency": "USD"}
    assert order["total"] == {"amount": str(unit_widget * 2 + unit_gadget), "currency": "EUR"}
    assert order["fx"]["source"] == "ecb" and order["fx"]["as_of"] and order["fx"]["snapshot_id"] == "static"
    assert Decimal(order["fx"]["rate"]) == (Decimal(1) / rate).quantize(Decimal("1e-18")).normalize()
    payment = services.payments.by_order[order["id"]]
    assert order["payment"] == {"id": payment["id"], "intent_id": payment["intent_id"],
                                "client_secret": payment["client_secret"], "expires_at": order["expires_at"],
                                "last_error": None}
    assert payment["amount"] == order["total"]               # the intent is for exactly the order total
    assert [h["status"] for h in order["history"]] == ["pending_payment"]
    assert services.products.stock(widget) == 3 and services.products.stock(gadget) == 4


def test_fx_snapshot_on_the_order_never_changes_when_rates_move(api, checkout, services, tokens):
    from meridian import fx

    product = services.products.add("10.00")
    user = str(uuid.uuid4())
    placed = checkout(user, [{"product_id": product, "quantity": 1}]).json
    fx.use_static({"USD": "1.50"}, base="EUR", source="ecb")      # rates move afterwards

    again = api.get(f"/api/v1/orders/{placed['id']}", headers=tokens.header(user)).json
    assert again["fx"] == placed["fx"] and again["total"] == placed["total"]


def test_checkout_in_usd_by_default(checkout, services):
    product = services.products.add("19.99")
    response = checkout(str(uuid.uuid4()), [{"product_id": product, "quantity": 3}], currency=None)
    assert response.status == 201
    assert response.json["total"] == {"amount": "59.97", "currency": "USD"}
    assert response.json["fx"]["rate"] == "1"


def test_idempotency_key_is_required(checkout, services):
    product = services.products.add("1.00")
    response = checkout(str(uuid.uuid4()), [{"product_id": product, "quantity": 1}], headers={"Idempotency-Key": ""})
    assert response.status == 400
    assert "Idempotency-Key" in response.json["errors"]
    assert services.products.calls == []


def test_invalid_body_is_400_per_field_and_changes_nothing(checkout, services):
    product = services.products.add("1.00")
    response = checkout(str(uuid.uuid4()), [{"product_id": "not-a-uuid", "quantity": 0},
                                            {"product_id": product, "quantity": 1.5}], currency="XXX1")
    assert response.status == 400
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json["errors"]
    assert {"items.0.product_id", "items.0.quantity", "items.1.quantity", "currency"} <= set(errors)
    assert services.products.calls == [] and services.payments.by_order == {}


def test_client_cannot_send_prices(checkout, services):
    product = services.products.add("100.00")
    response = checkout(str(uuid.uuid4()), [{"product_id": product, "quantity": 1, "unit_price": "0.01"}])
    assert response.status == 400
    assert "items.0.unit_price" in response.json["errors"]


def test_missing_shipping_address_and_bad_country(api, tokens, services):
    product = services.products.add("1.00")
    body = {"items": [{"product_id": product, "quantity": 1}], "shipping_address": {**ADDRESS, "country": "Germany"}}
    response = api.post("/api/v1/orders", json=body, headers={**tokens.header(), "Idempotency-Key": "k"})
    assert response.status == 400 and "shipping_address.country" in response.json["errors"]
    response = api.post("/api/v1/orders", json={"items": body["items"]},
                        headers={**tokens.header(), "Idempotency-Key": "k2"})
    assert response.status == 400 and "shipping_address" in response.json["errors"]


def test_checkout_needs_a_customer_token(api, services):
    response = api.post("/api/v1/orders", json={}, headers={"Idempotency-Key": "k"})
    assert response.status == 401 and response.headers["www-authenticate"] == "Bearer"


def test_insufficient_stock_is_409_and_leaves_nothing(checkout, services):
    from ..contracts.products_internal_api import out_of_stock

    product = services.products.add("3.00", stock=1)
    services.products.answer_next_reserve(out_of_stock(product, requested=2, available=1))
    response = checkout(str(uuid.uuid4()), [{"product_id": product, "quantity": 2}])
    assert response.status == 409
    assert response.json["product_id"] == product
    assert services.products.stock(product) == 1
    assert services.payments.by_order == {}


def test_unknown_product_is_400(checkout, services):
    response = checkout(str(uuid.uuid4()), [{"product_id": str(uuid.uuid4()), "quantity": 1}])
    assert response.status == 400
    assert response.json["errors"]


def test_payments_down_answers_503_and_releases_the_reservation(checkout, services, api, tokens):
    product = services.products.add("3.00", stock=2)
    services.payments.down = True
    user = str(uuid.uuid4())
    response = checkout(user, [{"product_id": product, "quantity": 2}])
    assert response.status == 503
    assert int(response.headers["retry-after"]) >= 1
    assert services.products.stock(product) == 2                       # stock back
    assert all(status == "released" for status in
               (r["status"] for r in services.products.reservations.values()))
    assert api.get("/api/v1/orders", headers=tokens.header(user)).json["items"] == []   # no order left behind


def test_a_lost_intent_answer_is_retried_and_the_same_intent_used(checkout, services):
    """payments makes one intent per order: orders may repeat the call after a lost answer (a timeout, a 5xx)."""
    product = services.products.add("3.00", stock=2)
    services.payments.lost_answers = 1
    response = checkout(str(uuid.uuid4()), [{"product_id": product, "quantity": 1}])
    assert response.status == 201, response.json
    assert len(services.payments.by_order) == 1
    assert response.json["payment"]["id"] == services.payments.by_order[response.json["id"]]["id"]
    assert services.payments.abandoned == []


def test_a_checkout_that_gives_up_abandons_the_intent_payments_made_anyway(checkout, services, api, tokens):
    product = services.products.add("3.00", stock=2)
    services.payments.lost_answers = 5                                   # every answer lost: orders gives up
    user = str(uuid.uuid4())
    response = checkout(user, [{"product_id": product, "quantity": 1}])
    assert response.status == 503 and int(response.headers["retry-after"]) >= 1
    [(order_id, payment)] = services.payments.by_order.items()          # made, though no answer came back
    assert services.payments.abandoned == [order_id]
    assert payment["status"] == "canceled"
    assert services.products.stock(product) == 2
    assert api.get("/api/v1/orders", headers=tokens.header(user)).json["items"] == []


def test_the_intent_call_has_a_timeout_for_the_gateway_and_a_cold_start(monkeypatch, orders_app):
    from meridian import resilience
    from orders import payments_api

    monkeypatch.setenv("PAYMENT_GATEWAY_TIMEOUT_SECONDS", "1.5")
    connect, read = payments_api.intent_timeout()
    assert read == 1.5 + resilience.COLD_START_ALLOWANCE + 0.5 and read > resilience.DEFAULT_TIMEOUT[1]
    assert connect == resilience.DEFAULT_TIMEOUT[0]


def test_failure_after_the_intent_cancels_it_and_releases_stock(checkout, services, monkeypatch):
    from orders import repository

    def broken(*args, **kwargs):
        raise RuntimeError("table unavailable")

    monkeypatch.setattr(repository, "create", broken)
    product = services.products.add("3.00", stock=2)
    response = checkout(str(uuid.uuid4()), [{"product_id": product, "quantity": 1}])
    assert response.status == 500
    assert "table unavailable" not in response.text                     # no internals leak
    assert services.products.stock(product) == 2
    assert len(services.payments.cancels) == 1


def test_unsupported_currency_releases_stock(checkout, services):
    product = services.products.add("3.00", stock=2)
    response = checkout(str(uuid.uuid4()), [{"product_id": product, "quantity": 1}], currency="CLP")
    assert response.status == 400 and "currency" in response.json["errors"]
    assert services.products.stock(product) == 2
    assert services.payments.by_order == {}


def test_currency_defaults_to_the_shoppers_saved_one_then_usd(checkout, services, static_rates):
    widget = services.products.add("10.00", stock=5)
    services.saved_currency = "GBP"
    assert checkout(str(uuid.uuid4()), [{"product_id": widget, "quantity": 1}], currency=None).json["total"][
        "currency"] == "GBP"
    assert checkout(str(uuid.uuid4()), [{"product_id": widget, "quantity": 1}], currency="EUR").json["total"][
        "currency"] == "EUR"
    services.saved_currency = None
    assert checkout(str(uuid.uuid4()), [{"product_id": widget, "quantity": 1}], currency=None).json["total"][
        "currency"] == "USD"


def test_a_currency_code_in_any_case_is_the_same_currency_as_in_the_catalog(checkout, services):
    """One rule everywhere (meridian.money.currency_code): the catalog takes `eur`, so does checkout."""
    product = services.products.add("10.00")
    upper = checkout(str(uuid.uuid4()), [{"product_id": product, "quantity": 1}], currency="EUR")
    for spelling in ("eur", " Eur "):
        placed = checkout(str(uuid.uuid4()), [{"product_id": product, "quantity": 1}], currency=spelling)
        assert placed.status == 201, placed.json
        assert placed.json["total"] == upper.json["total"] and placed.json["total"]["currency"] == "EUR"
    refused = checkout(str(uuid.uuid4()), [{"product_id": product, "quantity": 1}], currency="euro")
    assert refused.status == 400
    assert "'euro' is not a supported ISO 4217 currency." in refused.json["errors"]["currency"]


def test_the_shipping_address_follows_the_address_book_rules(checkout, services):
    """One address schema (meridian.fields.AddressSchema): no CR/LF/NUL, an ISO 3166-1 country; nothing is stored."""
    from orders.models import OrderModel

    product = services.products.add("10.00")
    before = OrderModel.count()
    bad = {**ADDRESS, "line1": "1 Main St\r\n\r\nPay to IBAN DE00 0000", "name": "Ada\x00", "country": "ZZ"}
    refused = checkout(str(uuid.uuid4()), [{"product_id": product, "quantity": 1}], extra={"shipping_address": bad})
    assert refused.status == 400
    fields = {"shipping_address.line1", "shipping_address.name", "shipping_address.country"}
    assert fields <= set(refused.json["errors"])
    assert OrderModel.count() == before
    placed = checkout(str(uuid.uuid4()), [{"product_id": product, "quantity": 1}],
                      extra={"shipping_address": {**ADDRESS, "country": "gb"}})
    assert placed.status == 201 and placed.json["shipping_address"]["country"] == "GB"


def test_the_confirmation_email_never_carries_control_characters(checkout, services):
    """Orders stored before the schema refused them still cannot add a paragraph to the e-mail."""
    from orders import emails, repository
    from orders.models import OrderModel

    product = services.products.add("10.00")
    placed = checkout(str(uuid.uuid4()), [{"product_id": product, "quantity": 1}]).json
    order = repository.get(placed["id"])
    order.update(actions=[OrderModel.shipping_address.name.set("Ada\r\n\r\nPay to IBAN DE00\x00")])
    email = emails.render(repository.get(placed["id"]), emails.CONFIRMATION)
    for text in (email.text, email.html):
        assert not any(ord(ch) < 32 and ch != "\n" for ch in text)
    assert [line for line in email.text.splitlines() if "IBAN" in line] == [
        "Ship to: Ada    Pay to IBAN DE00, Berlin, DE"]
