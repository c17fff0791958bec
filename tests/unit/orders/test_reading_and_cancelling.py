"""GET /orders, GET /orders/{id} (owner or admin; others get 404) and POST /orders/{id}/cancel."""
from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def product(services):
    return services.products.add("4.00", stock=10)


def test_owner_sees_the_order_with_history_and_another_user_gets_404(api, tokens, checkout, product):
    owner = str(uuid.uuid4())
    order = checkout(owner, [{"product_id": product, "quantity": 1}]).json
    mine = api.get(f"/api/v1/orders/{order['id']}", headers=tokens.header(owner))
    assert mine.status == 200
    assert mine.json["status"] == "pending_payment"
    assert mine.json["history"][0]["status"] == "pending_payment" and mine.json["history"][0]["at"]
    theirs = api.get(f"/api/v1/orders/{order['id']}", headers=tokens.header(str(uuid.uuid4())))
    assert theirs.status == 404
    assert api.get(f"/api/v1/orders/{uuid.uuid4()}", headers=tokens.header(owner)).status == 404
    admin = api.get(f"/api/v1/orders/{order['id']}", headers=tokens.header(role="admin"))
    assert admin.status == 200 and admin.json["id"] == order["id"]


def test_list_shows_only_my_orders_newest_first_with_pages(api, tokens, checkout, product):
    me, other = str(uuid.uuid4()), str(uuid.uuid4())
    ids = [checkout(me, [{"product_id": product, "quantity": 1}]).json["id"] for _ in range(3)]
    checkout(other, [{"product_id": product, "quantity": 1}])
    first = api.get("/api/v1/orders", headers=tokens.header(me), query={"limit": "2"}).json
    assert [o["id"] for o in first["items"]] == ids[::-1][:2]
    assert first["next_cursor"]
    rest = api.get("/api/v1/orders", headers=tokens.header(me), query={"limit": "2", "cursor": first["next_cursor"]})
    assert [o["id"] for o in rest.json["items"]] == [ids[0]]
    assert all("history" in o for o in first["items"])
    assert api.get("/api/v1/orders", headers=tokens.header(me), query={"cursor": "forged"}).status == 400
    ignored = api.get("/api/v1/orders", headers=tokens.header(me), query={"email": "x@example.com"})
    assert ignored.status == 400 and "email" in ignored.json["errors"]      # a filter it lacks is refused
    # a cursor is bound to its caller and its query: another customer replaying it, or another filter, is a 400
    replayed = api.get("/api/v1/orders", headers=tokens.header(other), query={"cursor": first["next_cursor"]})
    assert replayed.status == 400 and "cursor" in replayed.json["errors"]
    assert api.get("/api/v1/orders", headers=tokens.header(me),
                   query={"cursor": first["next_cursor"], "status": "paid"}).status == 400
    by_admin = api.get("/api/v1/orders", headers=tokens.header(role="admin"), query={"user_id": other}).json
    assert len(by_admin["items"]) == 1


def test_cancel_a_pending_order_cancels_the_intent_and_releases_stock(api, tokens, checkout, services, product):
    owner = str(uuid.uuid4())
    order = checkout(owner, [{"product_id": product, "quantity": 3}]).json
    assert services.products.stock(product) == 7
    response = api.post(f"/api/v1/orders/{order['id']}/cancel", headers=tokens.header(owner))
    assert response.status == 200
    assert response.json["status"] == "cancelled"
    assert [h["status"] for h in response.json["history"]] == ["pending_payment", "cancelled"]
    assert services.payments.cancels == [order["payment"]["id"]]
    assert services.products.stock(product) == 10
    again = api.post(f"/api/v1/orders/{order['id']}/cancel", headers=tokens.header(owner))
    assert again.status == 409


def test_cannot_cancel_another_users_order(api, tokens, checkout, services, product):
    order = checkout(str(uuid.uuid4()), [{"product_id": product, "quantity": 1}]).json
    assert api.post(f"/api/v1/orders/{order['id']}/cancel", headers=tokens.header(str(uuid.uuid4()))).status == 404
    assert services.payments.cancels == []


def test_cancel_after_the_payment_succeeded_is_409_and_changes_nothing(api, tokens, checkout, services, product):
    owner = str(uuid.uuid4())
    order = checkout(owner, [{"product_id": product, "quantity": 1}]).json
    services.payments.succeed(order["payment"]["id"])        # the shopper paid; the webhook is not in yet
    response = api.post(f"/api/v1/orders/{order['id']}/cancel", headers=tokens.header(owner))
    assert response.status == 409
    current = api.get(f"/api/v1/orders/{order['id']}", headers=tokens.header(owner)).json
    assert current["status"] == "pending_payment" and services.products.stock(product) == 9


def test_a_paid_order_is_not_cancelled_by_its_customer_who_is_told_what_to_do(api, tokens, checkout, product):
    from orders import repository
    from orders.state_machine import move

    owner = str(uuid.uuid4())
    order = checkout(owner, [{"product_id": product, "quantity": 1}]).json
    move(repository.get(order["id"]), "paid", reason="payment succeeded", actor="payments")
    response = api.post(f"/api/v1/orders/{order['id']}/cancel", headers=tokens.header(owner))
    assert response.status == 409
    assert "/api/v1/payments" not in response.json["detail"] and "payment_id" not in response.json
    assert "Contact us" in response.json["detail"]
    assert repository.get(order["id"]).status == "paid"
