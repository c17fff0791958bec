"""Carts: guest and customer carts as live quotes, shipping, taxes, codes, checkout of a cart (orders' app with
its real table; products, payments and users stood in for at the HTTP boundary, conftest.py)."""
from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from .conftest import money

DE = {"name": "Ada Lovelace", "line1": "Hauptstraße 1", "city": "Berlin", "postal_code": "10115", "country": "DE"}
US_NY = {"name": "Grace Hopper", "line1": "1 Main St", "city": "New York", "region": "NY", "postal_code": "10001",
         "country": "US"}


@pytest.fixture
def admin(tokens):
    return tokens.header("admin-1", role="admin")


@pytest.fixture
def shop(api, admin):
    """The shop's settings through the admin API: DE (VAT included) and US-NY (sales tax on top), a zone each."""
    for row in ({"country": "DE", "name": "VAT", "standard": "0.19", "reduced": "0.07", "included": True},
                {"country": "US", "name": "Sales tax", "standard": "0", "reduced": "0", "included": False},
                {"country": "US", "region": "NY", "name": "Sales tax", "standard": "0.04", "reduced": "0.04",
                 "included": False}):
        assert api.put("/api/v1/taxes/rates", json=row, headers=admin).status == 200
    zones = [{"name": "Germany", "countries": ["DE"], "methods": [
                {"id": "de-standard", "name": "Standard", "rate_type": "flat", "amount": "4.00", "free_above": "100.00",
                 "min_days": 2, "max_days": 4},
                {"id": "de-express", "name": "Express", "rate_type": "weight", "min_days": 1, "max_days": 1,
                 "bands": [{"up_to": "1000", "amount": "9.00"}, {"up_to": "5000", "amount": "15.00"}]}]},
             {"name": "United States", "countries": ["US"], "methods": [
                {"id": "us-ground", "name": "Ground", "rate_type": "subtotal", "min_days": 3, "max_days": 6,
                 "bands": [{"up_to": "50", "amount": "6.00"}, {"up_to": None, "amount": "10.00"}]}]}]
    for zone in zones:
        assert api.post("/api/v1/shipping/zones", json=zone, headers=admin).status == 201
    return admin


def guest_cart(api, **body):
    created = api.post("/api/v1/carts", json=body or {"currency": "EUR", "locale": "de"})
    assert created.status == 201, created.json
    return created.json["id"], {"Cart-Token": created.json["cart_token"]}


def code(api, admin, **terms):
    body = {"code": f"C{uuid.uuid4().hex[:8].upper()}", "kind": "percentage", "percent": "10", **terms}
    created = api.post("/api/v1/promotions", json=body, headers=admin)
    assert created.status == 201, created.json
    return body["code"]


def ready_to_order(api, services, cart_id, headers, *, address=DE, method="de-standard", email="guest@example.com"):
    assert api.put(f"/api/v1/carts/{cart_id}/shipping-address", json=address, headers=headers).status == 200
    chosen = api.put(f"/api/v1/carts/{cart_id}/shipping-method", json={"method_id": method}, headers=headers)
    assert chosen.status == 200, chosen.json
    answer = api.patch(f"/api/v1/carts/{cart_id}", json={"email": email}, headers=headers)
    assert answer.status == 200
    return answer.json


def order_cart(api, cart_id, headers, key=None):
    return api.post("/api/v1/orders", json={"cart_id": cart_id},
                    headers={**headers, "Idempotency-Key": key or str(uuid.uuid4())})


def test_a_guest_cart_is_a_live_quote_with_vat_included_in_germany(api, services, shop):
    mug = services.products.add("10.00", name="Tasse")
    book = services.products.add("20.00", name="Buch", tax_class="reduced")
    cart_id, guest = guest_cart(api)
    api.post(f"/api/v1/carts/{cart_id}/items", json={"product_id": mug, "quantity": 2}, headers=guest)
    cart = api.post(f"/api/v1/carts/{cart_id}/items", json={"product_id": book, "quantity": 1}, headers=guest).json
    # 1 EUR = 1.08 USD: 10 USD → 9.259… EUR net → × 1.19 = 11.02 gross; 20 USD → 18.518… × 1.07 = 19.81
    assert [(i["name"], i["unit_price"]["amount"], i["line_total"]["amount"]) for i in cart["items"]] == [
        ("Tasse", "11.02", "22.04"), ("Buch", "19.81", "19.81")]
    assert cart["tax_included"] is True and cart["subtotal"]["amount"] == "41.85"
    assert [t["rate"] for t in cart["taxes"]] == ["0.19", "0.07"]
    assert money(cart["total"]) == money(cart["subtotal"])                   # VAT is inside the prices
    assert api.get(f"/api/v1/carts/{cart_id}").status == 404                 # no token: no cart
    assert api.get(f"/api/v1/carts/{cart_id}", headers={"Cart-Token": "wrong"}).status == 404


def test_guest_checkout_charges_exactly_the_quote(api, services, shop):
    mug = services.products.add("10.00", name="Tasse")
    cart_id, guest = guest_cart(api)
    api.post(f"/api/v1/carts/{cart_id}/items", json={"product_id": mug, "quantity": 2}, headers=guest)
    ten = code(api, shop)
    api.post(f"/api/v1/carts/{cart_id}/promotions", json={"code": ten.lower()}, headers=guest)
    cart = ready_to_order(api, services, cart_id, guest)
    assert cart["shipping_method"]["id"] == "de-standard" and cart["promotions"][0]["code"] == ten
    placed = order_cart(api, cart_id, guest)
    assert placed.status == 201, placed.json
    order = placed.json
    for figure in ("subtotal", "discount_total", "shipping_total", "tax_total", "total"):
        assert order[figure] == cart[figure], figure
    assert order["taxes"] == cart["taxes"] and order["user_id"] == "guest:guest@example.com"
    payment = services.payments.by_order[order["id"]]
    assert payment["amount"]["amount"] == order["total"]["amount"]
    assert payment["breakdown"]["tax_total"] == order["tax_total"]["amount"]
    assert api.get(f"/api/v1/carts/{cart_id}", headers=guest).json["status"] == "ordered"
    again = order_cart(api, cart_id, guest)
    assert again.status == 409 and again.json["type"].endswith("cart-closed")


def test_a_product_with_its_own_sku_checks_out_from_a_line_without_one(api, services, shop):
    """The seeded catalog's simple products carry a SKU; the shopper's line names none: the same price."""
    kit = services.products.add("25.00", name="Reinigungsset", sku="REC-CLEAN-KIT")
    cart_id, guest = guest_cart(api)
    api.post(f"/api/v1/carts/{cart_id}/items", json={"product_id": kit, "quantity": 6}, headers=guest)
    cart = ready_to_order(api, services, cart_id, guest)
    placed = order_cart(api, cart_id, guest)
    assert placed.status == 201, placed.json
    assert placed.json["total"] == cart["total"]


def test_us_tax_is_added_on_top_by_state(api, services, shop, tokens):
    item = services.products.add("19.99")
    customer = tokens.header("cust-us")
    cart = api.post("/api/v1/carts", json={"currency": "USD", "locale": "en-US"}, headers=customer).json
    api.post(f"/api/v1/carts/{cart['id']}/items", json={"product_id": item, "quantity": 3}, headers=customer)
    cart = ready_to_order(api, services, cart["id"], customer, address=US_NY, method="us-ground",
                          email="grace@example.com")
    assert cart["tax_included"] is False and cart["subtotal"]["amount"] == "59.97"
    assert cart["shipping_total"]["amount"] == "10.00"                           # above the 50 USD band
    assert cart["tax_total"]["amount"] == "2.80"                                  # (59.97 + 10) × 4 %
    assert cart["total"]["amount"] == "72.77"


def test_a_price_change_between_cart_and_checkout_is_a_409_with_the_new_quote(api, services, shop):
    mug = services.products.add("10.00")
    cart_id, guest = guest_cart(api)
    api.post(f"/api/v1/carts/{cart_id}/items", json={"product_id": mug, "quantity": 1}, headers=guest)
    seen = ready_to_order(api, services, cart_id, guest)
    services.products.catalog[mug]["price"] = "12.00"
    refused = order_cart(api, cart_id, guest)
    assert refused.status == 409 and refused.json["type"].endswith("quote-changed")
    new = refused.json["quote"]
    assert money(new["total"]) > money(seen["total"])
    assert services.payments.by_order == {} and services.products.reservations == {}
    placed = order_cart(api, cart_id, guest)                                       # now shown: it goes through
    assert placed.status == 201 and placed.json["total"] == new["total"]


def test_a_code_limited_to_one_use_is_redeemed_once_and_given_back_on_cancel(api, services, shop, tokens):
    once = code(api, shop, usage_limit=1)
    item = services.products.add("30.00")
    carts = []
    for n in range(2):
        cart_id, guest = guest_cart(api)
        api.post(f"/api/v1/carts/{cart_id}/items", json={"product_id": item, "quantity": 1}, headers=guest)
        assert api.post(f"/api/v1/carts/{cart_id}/promotions", json={"code": once}, headers=guest).status == 200
        ready_to_order(api, services, cart_id, guest, email=f"g{n}@example.com")
        carts.append((cart_id, guest))
    first = order_cart(api, *carts[0])
    assert first.status == 201 and first.json["promotions"][0]["code"] == once
    second = order_cart(api, *carts[1])
    assert second.status == 409 and second.json["quote"]["promotions"] == []
    assert api.get(f"/api/v1/promotions/{once}", headers=shop).json["redeemed"] == 1
    cancelled = api.post(f"/api/v1/orders/{first.json['id']}/cancel", headers=shop)
    assert cancelled.status == 200, cancelled.json
    assert api.get(f"/api/v1/promotions/{once}", headers=shop).json["redeemed"] == 0


def test_bad_input_names_the_field_and_leaves_the_cart_unchanged(api, services, shop, tokens):
    item = services.products.add("5.00", stock=3)
    cart_id, guest = guest_cart(api)
    before = api.post(f"/api/v1/carts/{cart_id}/items", json={"product_id": item, "quantity": 1}, headers=guest).json
    cases = [
        ("post", "/items", {"product_id": str(uuid.uuid4()), "quantity": 1}, 422, "product_id"),
        ("post", "/items", {"product_id": item, "sku": "NOPE", "quantity": 1}, 422, "sku"),
        ("post", "/items", {"product_id": item, "quantity": 0}, 400, "quantity"),
        ("post", "/items", {"product_id": item, "quantity": 3}, 409, "quantity"),
        ("put", "/shipping-method", {"method_id": "de-standard"}, 422, "shipping_address"),
        ("post", "/promotions", {"code": "NOSUCHCODE"}, 422, "code"),
        ("put", "/shipping-address", {**DE, "country": "ZZ"}, 400, "country"),
    ]
    for method, path, body, status, field in cases:
        answer = getattr(api, method)(f"/api/v1/carts/{cart_id}{path}", json=body, headers=guest)
        assert answer.status == status, (path, body, answer.json)
        assert field in answer.json.get("errors", {}), (path, answer.json)
    api.put(f"/api/v1/carts/{cart_id}/shipping-address", json=US_NY, headers=guest)
    wrong = api.put(f"/api/v1/carts/{cart_id}/shipping-method", json={"method_id": "de-standard"}, headers=guest)
    assert wrong.status == 422 and "method_id" in wrong.json["errors"]
    expired = code(api, shop, ends_at="2020-01-01T00:00:00Z")
    stale = api.post(f"/api/v1/carts/{cart_id}/promotions", json={"code": expired}, headers=guest)
    assert stale.status == 409 and stale.json["reason"] == "expired"
    after = api.get(f"/api/v1/carts/{cart_id}", headers=guest).json
    assert [(i["id"], i["quantity"]) for i in after["items"]] == [(i["id"], i["quantity"]) for i in before["items"]]
    assert after["promotions"] == [] and after["tax_included"] is False          # now shipping to New York
    other = tokens.header("someone-else")
    assert api.get(f"/api/v1/carts/{cart_id}", headers=other).status == 404


def test_a_guest_cart_merges_into_the_customers_cart_at_sign_in(api, services, shop, tokens):
    item = services.products.add("5.00", stock=4)
    other = services.products.add("7.00")
    customer = tokens.header("cust-merge", email="m@example.com")
    mine = api.post("/api/v1/carts", json={"currency": "EUR"}, headers=customer).json
    api.post(f"/api/v1/carts/{mine['id']}/items", json={"product_id": item, "quantity": 3}, headers=customer)
    cart_id, guest = guest_cart(api)
    api.post(f"/api/v1/carts/{cart_id}/items", json={"product_id": item, "quantity": 1}, headers=guest)
    api.post(f"/api/v1/carts/{cart_id}/items", json={"product_id": other, "quantity": 2}, headers=guest)
    services.products.starting_stock[item] = 4
    merged = api.post("/api/v1/carts", json={"guest_cart_id": cart_id}, headers={**customer, **guest})
    assert merged.status == 200 and merged.json["id"] == mine["id"]
    assert {i["product_id"]: i["quantity"] for i in merged.json["items"]} == {item: 4, other: 2}   # 3 + 1, capped at 4
    again = api.post("/api/v1/carts", json={"guest_cart_id": cart_id}, headers={**customer, **guest})
    assert {i["product_id"]: i["quantity"] for i in again.json["items"]} == {item: 4, other: 2}
    assert api.get(f"/api/v1/carts/{cart_id}", headers=guest).json["status"] == "merged"


def test_a_saved_address_by_id_and_guest_orders_claimed_by_the_verified_customer(api, services, shop, tokens):
    services.addresses["addr-1"] = {"id": "addr-1", **DE}
    item = services.products.add("8.00")
    cart_id, guest = guest_cart(api)
    api.post(f"/api/v1/carts/{cart_id}/items", json={"product_id": item, "quantity": 1}, headers=guest)
    no_sign_in = api.put(f"/api/v1/carts/{cart_id}/shipping-address", json={"address_id": "addr-1"}, headers=guest)
    assert no_sign_in.status == 422 and "address_id" in no_sign_in.json["errors"]
    ready_to_order(api, services, cart_id, guest, email="later@example.com")
    order = order_cart(api, cart_id, guest).json
    from orders import guest_links

    link = guest_links.token(order["id"])
    assert order["order_token"] == link
    assert api.get(f"/api/v1/orders/{order['id']}", query={"token": link}).json["total"] == order["total"]
    assert api.get(f"/api/v1/orders/{order['id']}", query={"token": "forged"}).status == 404
    assert api.get(f"/api/v1/orders/{order['id']}").status == 401
    unverified = tokens.header("cust-later", email="later@example.com", email_verified=False)
    assert api.get("/api/v1/orders", headers=unverified).json["items"] == []
    verified = tokens.header("cust-later", email="later@example.com", email_verified=True)
    assert [o["id"] for o in api.get("/api/v1/orders", headers=verified).json["items"]] == [order["id"]]

    customer = tokens.header("cust-book")
    mine = api.post("/api/v1/carts", json={"currency": "EUR"}, headers=customer).json
    saved = api.put(f"/api/v1/carts/{mine['id']}/shipping-address", json={"address_id": "addr-1"}, headers=customer)
    assert saved.status == 200 and saved.json["shipping_address"]["city"] == "Berlin"
    assert saved.json["address_id"] == "addr-1"
    missing = api.put(f"/api/v1/carts/{mine['id']}/shipping-address", json={"address_id": "nope"}, headers=customer)
    assert missing.status == 422 and "address_id" in missing.json["errors"]


def test_free_shipping_above_the_threshold_and_weight_bands(api, services, shop):
    heavy = services.products.add("60.00", weight_grams=2000)
    cart_id, guest = guest_cart(api)
    api.post(f"/api/v1/carts/{cart_id}/items", json={"product_id": heavy, "quantity": 2}, headers=guest)
    api.put(f"/api/v1/carts/{cart_id}/shipping-address", json=DE, headers=guest)
    offers = api.get(f"/api/v1/carts/{cart_id}/shipping-methods", headers=guest).json["items"]
    assert [(o["id"], o["amount"]["amount"]) for o in offers] == [("de-standard", "0.00"), ("de-express", "16.53")]
    assert offers[1]["delivery"] == {"min_days": 1, "max_days": 1}                  # 15 USD / 1.08 × 1.19


def test_admin_settings_need_an_admin(api, services, tokens):
    customer = tokens.header("nobody")
    assert api.get("/api/v1/promotions", headers=customer).status == 403
    assert api.put("/api/v1/taxes/rates", json={}, headers=customer).status == 403
    assert api.get("/api/v1/shipping/zones").status == 401


def test_seen_price_changes_are_warned_once(api, services, shop):
    mug = services.products.add("10.00")
    cart_id, guest = guest_cart(api)
    api.post(f"/api/v1/carts/{cart_id}/items", json={"product_id": mug, "quantity": 1}, headers=guest)
    services.products.catalog[mug]["price"] = "11.00"
    warned = api.get(f"/api/v1/carts/{cart_id}", headers=guest).json
    assert [w["code"] for w in warned["warnings"]] == ["price_changed"]
    assert Decimal(warned["items"][0]["unit_price"]["amount"]) == Decimal("12.12")   # 11 / 1.08 × 1.19
    assert api.get(f"/api/v1/carts/{cart_id}", headers=guest).json["warnings"] == []


def test_a_decline_keeps_the_cart_ordered_and_the_expiry_gives_it_back(api, services, shop, load_function):
    """A declined card: the order stays pending (another card may pay it), so the cart stays ordered; when the
    payment window ends, reconciliation cancels the order and gives the cart back for a new order."""
    import datetime as _dt

    from tests.lambda_testing import LambdaContext
    from tests.unit.orders.test_payment_events import bus_event, sqs_event

    mug = services.products.add("10.00", name="Tasse", stock=5)
    cart_id, guest = guest_cart(api)
    api.post(f"/api/v1/carts/{cart_id}/items", json={"product_id": mug, "quantity": 2}, headers=guest)
    ready_to_order(api, services, cart_id, guest)
    first = order_cart(api, cart_id, guest)
    assert first.status == 201 and services.products.stock(mug) == 3
    on_payment_event = load_function("OrdersEventsFunction")
    on_payment_event(sqs_event(bus_event("payment.failed", first.json, reason="card_declined")), LambdaContext())
    cart = api.get(f"/api/v1/carts/{cart_id}", headers=guest).json
    assert cart["status"] == "ordered" and services.products.stock(mug) == 3
    load_function("OrdersReconciliationFunction")
    from orders import reconciliation

    report = reconciliation.reconcile(_dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(minutes=31))
    assert report["expired_cancelled"] == 1
    assert services.payments.cancels == [first.json["payment"]["id"]]
    cart = api.get(f"/api/v1/carts/{cart_id}", headers=guest).json
    assert cart["status"] == "open" and services.products.stock(mug) == 5
    second = order_cart(api, cart_id, guest)                          # a new order from the same cart
    assert second.status == 201 and second.json["id"] != first.json["id"]
    assert second.json["total"] == first.json["total"] and services.products.stock(mug) == 3


def test_a_canceled_intent_gives_the_cart_back(api, services, shop, load_function):
    from tests.lambda_testing import LambdaContext
    from tests.unit.orders.test_payment_events import bus_event, sqs_event

    mug = services.products.add("10.00", name="Tasse", stock=5)
    cart_id, guest = guest_cart(api)
    api.post(f"/api/v1/carts/{cart_id}/items", json={"product_id": mug, "quantity": 2}, headers=guest)
    ready_to_order(api, services, cart_id, guest)
    first = order_cart(api, cart_id, guest)
    on_payment_event = load_function("OrdersEventsFunction")
    on_payment_event(sqs_event(bus_event("payment.canceled", first.json, reason="abandoned")), LambdaContext())
    cart = api.get(f"/api/v1/carts/{cart_id}", headers=guest).json
    assert cart["status"] == "open" and services.products.stock(mug) == 5
