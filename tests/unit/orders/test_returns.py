"""Returns: request (shipped lines, in the window), approve, reject, receive with restocking, refund; one status
table; each step a note on the order (history, version, event) with the returns list in the same write."""
from __future__ import annotations

import datetime as _dt
import itertools
import uuid
from decimal import Decimal

import pytest

from tests.lambda_testing import LambdaContext

from .test_payment_events import bus_event, sqs_event


class Shop:
    """A customer's order of two lines (kettle 2 × 20.00, mug 1 × 5.00 in EUR list prices), paid, and the calls a
    test makes on it."""

    def __init__(self, api, tokens, checkout, services):
        self.api, self.tokens, self.services = api, tokens, services
        self.customer = str(uuid.uuid4())
        self.kettle = services.products.add("20.00", stock=10, name="Kettle")
        self.mug = services.products.add("5.00", stock=10, name="Mug")
        placed = checkout(self.customer, [{"product_id": self.kettle, "quantity": 2},
                                          {"product_id": self.mug, "quantity": 1}])
        assert placed.status == 201, placed.json
        self.order_id = placed.json["id"]
        self.admin = tokens.header(role="admin")
        self.mine = tokens.header(self.customer)

    def order(self) -> dict:
        response = self.api.get(f"/api/v1/orders/{self.order_id}", headers=self.mine)
        assert response.status == 200, response.json
        return response.json

    def line(self, product_id: str) -> dict:
        """The order's line of `product_id` as the API shows it, with its line_id."""
        from orders import repository
        from orders.order_events import line_id

        stored = repository.get(self.order_id).items
        index = next(n for n, line in enumerate(stored) if line.product_id == product_id)
        return {**self.order()["items"][index], "line_id": line_id(stored[index], index)}

    def pay(self):
        from orders import repository
        from orders.state_machine import move

        move(repository.get(self.order_id), "paid", reason="payment succeeded", actor="payments")

    def ship(self):
        response = self.api.post(f"/api/v1/orders/{self.order_id}/fulfil", headers=self.admin, json={})
        assert response.status == 200, response.json

    def request(self, items, headers=None, **extra):
        return self.api.post(f"/api/v1/orders/{self.order_id}/returns", json={"items": items, **extra},
                             headers=self.mine if headers is None else headers)

    def step(self, return_id: str, action: str, body=None, headers=None):
        return self.api.post(f"/api/v1/orders/{self.order_id}/returns/{return_id}/{action}",
                             headers=self.admin if headers is None else headers, json=body if body is not None else {})


@pytest.fixture
def shop(api, tokens, checkout, services):
    made = Shop(api, tokens, checkout, services)
    made.pay()
    made.ship()
    return made


def line_id(shop, product_id) -> str:
    return shop.line(product_id)["line_id"]


def test_return_statuses_and_moves_are_one_table(orders_app):
    from orders import returns

    expected = {(None, "requested"), ("requested", "approved"), ("requested", "rejected"),
                ("approved", "received"), ("approved", "rejected"), ("received", "refunded")}
    for pair in itertools.product((None, *returns.STATUSES), returns.STATUSES):
        assert returns.allowed(*pair) == (pair in expected), pair
    assert returns.EVENTS == {s: f"return.{s}" for s in ("requested", "approved", "rejected", "received",
                                                         "refunded")}


@pytest.fixture
def on_payment_event(load_function, orders_app):
    return load_function("OrdersEventsFunction")


def test_return_and_refund_one_line_with_restock(shop, services, order_events, on_payment_event):
    """The issue's test: of an order of 2 lines, paid and shipped, the customer returns one line; staff approve,
    receive it with restock (products puts it back once), refund it (its amount) → the return is `refunded`,
    each step in the order's history and on the bus."""
    kettle = shop.line(shop.kettle)
    stock_before = services.products.stock(shop.kettle)
    version = shop.order()["version"]
    order_events()                                                   # (what came before)

    requested = shop.request([{"line_id": kettle["line_id"], "quantity": 2, "reason": "Too loud."}],
                             note="Unopened.")
    assert requested.status == 201, requested.json
    (ret,) = requested.json["returns"]
    assert ret["status"] == "requested" and ret["note"] == "Unopened."
    assert ret["requested_by"] == f"customer:{shop.customer}" and ret["requested_at"]
    assert [(i["line_id"], i["quantity"], i["reason"], i["product_id"]) for i in ret["items"]] == [
        (kettle["line_id"], 2, "Too loud.", shop.kettle)]

    assert shop.step(ret["id"], "approve").status == 200
    received = shop.step(ret["id"], "receive", {"items": [{"line_id": kettle["line_id"], "quantity": 2,
                                                           "restock": True}]})
    assert received.status == 200, received.json
    assert services.products.restocks[ret["id"]][1]["items"] == [{"product_id": shop.kettle, "sku": None,
                                                                   "quantity": 2}]
    assert services.products.stock(shop.kettle) == stock_before + 2
    refunded = shop.step(ret["id"], "refund")
    assert refunded.status == 200, refunded.json

    order = shop.order()
    (ret,) = order["returns"]
    assert ret["status"] == "refunded" and ret["restock_id"] == ret["id"]
    assert ret["refund"]["amount"] == kettle["line_total"]
    assert [(i["received"], i["restock"]) for i in ret["items"]] == [(2, True)]
    assert [step["status"] for step in ret["history"]] == ["requested", "approved", "received", "refunded"]
    refund = next(r for r in order["refunds"] if r["id"] == ret["refund"]["id"])
    assert refund["amount"] == kettle["line_total"] and refund["source"] == f"return:{ret['id']}"
    assert refund["lines"] == [{"line_id": kettle["line_id"], "quantity": 2}]
    assert [h["reason"] for h in order["history"] if h["reason"].startswith("return ")] == [
        f"return {ret['id'][:8]} {s}" for s in ("requested", "approved", "received", "refunded")]
    events = [(e["detail-type"], e["detail"]["version"], e["detail"]["data"].get("status"))
              for e in order_events() if e["detail"].get("order_id") == shop.order_id]
    steps = [e for e in events if e[0].startswith("return.")]
    assert [(kind, status) for kind, _, status in steps] == [
        ("return.requested", "requested"), ("return.approved", "approved"), ("return.received", "received"),
        ("return.refunded", "refunded")]
    versions = [v for _, v, _ in events]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    assert order["version"] == versions[-1] == version + 5          # 4 return steps + the refund listed
    assert order["status"] == "fulfilled"                             # until the payment confirms the refund
    on_payment_event(sqs_event(bus_event("payment.refunded", order, fully_refunded=False,
                                         refunded_amount=kettle["line_total"])), LambdaContext())
    order = shop.order()
    assert order["status"] == "partially_refunded" and order["refunded_total"] == kettle["line_total"]
    assert order["returns"][0]["status"] == "refunded"


def test_only_shipped_quantities_not_already_in_a_return(shop, api, tokens, checkout, services):
    kettle, mug = line_id(shop, shop.kettle), line_id(shop, shop.mug)
    too_many = shop.request([{"line_id": kettle, "quantity": 3}])
    assert too_many.status == 400 and set(too_many.json["errors"]) == {"items.0.quantity"}
    unknown = shop.request([{"line_id": mug, "quantity": 1}, {"line_id": "nope", "quantity": 1}])
    assert unknown.status == 400 and set(unknown.json["errors"]) == {"items.1.line_id"}
    twice = shop.request([{"line_id": mug, "quantity": 1}, {"line_id": mug, "quantity": 1}])
    assert twice.status == 400 and set(twice.json["errors"]) == {"items.1.line_id"}
    assert shop.request([{"line_id": kettle, "quantity": 1}]).status == 201
    again = shop.request([{"line_id": kettle, "quantity": 2}])        # 1 of the 2 is already in a return
    assert again.status == 400 and set(again.json["errors"]) == {"items.0.quantity"}
    assert "At most 1" in again.json["errors"]["items.0.quantity"][0]
    assert shop.request([{"line_id": kettle, "quantity": 1}]).status == 201
    assert shop.request([{"line_id": kettle, "quantity": 1}]).status == 400
    assert len(shop.order()["returns"]) == 2

    unshipped = Shop(api, tokens, checkout, services)                 # paid, nothing shipped yet
    unshipped.pay()
    refused = unshipped.request([{"line_id": line_id(unshipped, unshipped.mug), "quantity": 1}])
    assert refused.status == 400 and set(refused.json["errors"]) == {"items.0.quantity"}


def test_a_rejected_return_gives_its_quantities_back(shop):
    mug = line_id(shop, shop.mug)
    first = shop.request([{"line_id": mug, "quantity": 1}]).json["returns"][0]["id"]
    rejected = shop.step(first, "reject", {"reason": "Used."})
    assert rejected.status == 200
    (ret,) = rejected.json["returns"]
    assert (ret["status"], ret["rejected_reason"]) == ("rejected", "Used.")
    assert shop.request([{"line_id": mug, "quantity": 1}]).status == 201


def test_the_return_window_closes_days_after_the_lines_shipped(shop, monkeypatch):
    from orders import returns

    mug = line_id(shop, shop.mug)
    now = _dt.datetime.now(_dt.timezone.utc)
    monkeypatch.setattr(returns, "utcnow", lambda: now + _dt.timedelta(days=31))
    closed = shop.request([{"line_id": mug, "quantity": 1}])
    assert closed.status == 409 and closed.json["type"].endswith("/return-window-closed")
    assert "the return window closed" in closed.json["detail"].lower() and closed.json["line_ids"] == [mug]
    monkeypatch.setenv("RETURN_WINDOW_DAYS", "45")                  # the window is the environment's
    assert shop.request([{"line_id": mug, "quantity": 1}]).status == 201
    monkeypatch.setenv("RETURN_WINDOW_DAYS", "30")
    monkeypatch.setattr(returns, "utcnow", lambda: now + _dt.timedelta(days=29))
    kettle = line_id(shop, shop.kettle)
    assert shop.request([{"line_id": kettle, "quantity": 1}]).status == 201
    assert len(shop.order()["returns"]) == 2


def test_no_return_on_a_cancelled_or_refunded_order(api, tokens, checkout, services):
    from orders import repository
    from orders.state_machine import move

    for path in (["cancelled"], ["paid", "fulfilled", "refunded"]):
        shop = Shop(api, tokens, checkout, services)
        shipped_at = None
        for status in path:
            move(repository.get(shop.order_id), status, reason=status, actor="test")
            shipped_at = shipped_at or (status == "fulfilled")
        refused = shop.request([{"line_id": line_id(shop, shop.mug), "quantity": 1}])
        assert refused.status == 409 and refused.json["order_status"] == path[-1], refused.json
        assert shop.order()["returns"] == []


def test_any_other_move_is_409_naming_the_return_status_and_changes_nothing(shop):
    mug = line_id(shop, shop.mug)
    ret = shop.request([{"line_id": mug, "quantity": 1}]).json["returns"][0]["id"]
    receipt = {"items": [{"line_id": mug, "quantity": 1, "restock": False}]}
    for action, body in (("receive", receipt), ("refund", {})):
        refused = shop.step(ret, action, body)
        assert refused.status == 409 and refused.json["return_status"] == "requested", refused.json
        assert refused.json["type"].endswith("/return-state")
    assert shop.step(ret, "approve").status == 200
    before = shop.order()
    for action, body in (("approve", {}), ("refund", {})):
        refused = shop.step(ret, action, body)
        assert refused.status == 409 and refused.json["return_status"] == "approved"
    assert shop.order() == before                                     # a refused move changes nothing
    assert shop.step(ret, "reject", {"reason": "No."}).status == 200
    after = shop.order()
    assert after["returns"][0]["status"] == "rejected"
    assert (len(after["history"]), after["version"]) == (len(before["history"]) + 1, before["version"] + 1)
    for action, body in (("approve", {}), ("receive", receipt), ("reject", {"reason": "Again."})):
        refused = shop.step(ret, action, body)
        assert refused.status == 409 and refused.json["return_status"] == "rejected"
    assert shop.step(str(uuid.uuid4()), "approve").status == 404


def test_receive_takes_at_most_the_returns_quantities_and_restocks_only_what_it_is_told(shop, services):
    kettle, mug = line_id(shop, shop.kettle), line_id(shop, shop.mug)
    ret = shop.request([{"line_id": kettle, "quantity": 2}, {"line_id": mug, "quantity": 1}]).json["returns"][0]
    shop.step(ret["id"], "approve")
    for items, field in (([{"line_id": kettle, "quantity": 3, "restock": True}], "items.0.quantity"),
                         ([{"line_id": "nope", "quantity": 1, "restock": True}], "items.0.line_id"),
                         ([{"line_id": kettle, "quantity": 1}], "items.0.restock"),
                         ([{"line_id": kettle, "quantity": 1, "restock": "yes"}], "items.0.restock")):
        refused = shop.step(ret["id"], "receive", {"items": items})
        assert refused.status == 400 and field in refused.json["errors"], refused.json
    assert shop.order()["returns"][0]["status"] == "approved" and services.products.restocks == {}
    received = shop.step(ret["id"], "receive", {"items": [{"line_id": kettle, "quantity": 1, "restock": False},
                                                          {"line_id": mug, "quantity": 1, "restock": True}]})
    assert received.status == 200, received.json
    (ret,) = received.json["returns"]
    assert [(i["line_id"], i["received"], i["restock"]) for i in ret["items"]] == [(kettle, 1, False),
                                                                                  (mug, 1, True)]
    assert services.products.restocks[ret["id"]][1]["items"] == [{"product_id": shop.mug, "sku": None,
                                                                   "quantity": 1}]


def test_products_down_leaves_the_return_approved_and_a_retry_restocks_once(shop, services, monkeypatch):
    from meridian.errors import ServiceUnavailable
    from orders import products_api

    kettle = line_id(shop, shop.kettle)
    ret = shop.request([{"line_id": kettle, "quantity": 1}]).json["returns"][0]["id"]
    shop.step(ret, "approve")
    real = products_api.restock

    def down(*args, **kwargs):
        raise ServiceUnavailable("products is down", retry_after=5)

    monkeypatch.setattr(products_api, "restock", down)
    receipt = {"items": [{"line_id": kettle, "quantity": 1, "restock": True}]}
    failed = shop.step(ret, "receive", receipt)
    assert failed.status == 503 and failed.headers.get("retry-after")
    assert shop.order()["returns"][0]["status"] == "approved"
    monkeypatch.setattr(products_api, "restock", real)
    assert shop.step(ret, "receive", receipt).status == 200
    assert shop.step(ret, "receive", receipt).status == 409          # received once
    assert len([path for method, path in services.products.calls if path.endswith("/internal/restocks")]) == 1


def test_refund_defaults_to_the_received_lines_and_takes_an_amount(shop):
    kettle, mug = line_id(shop, shop.kettle), line_id(shop, shop.mug)
    unit = Decimal(shop.line(shop.kettle)["unit_price"]["amount"])
    ret = shop.request([{"line_id": kettle, "quantity": 2}]).json["returns"][0]["id"]
    shop.step(ret, "approve")
    shop.step(ret, "receive", {"items": [{"line_id": kettle, "quantity": 1, "restock": False}]})
    refunded = shop.step(ret, "refund", {"reason": "One came back."})
    assert refunded.status == 200, refunded.json
    assert Decimal(refunded.json["returns"][0]["refund"]["amount"]["amount"]) == unit    # 1 received, not 2
    assert shop.step(ret, "refund").status == 409                                          # refunded once

    other = shop.request([{"line_id": mug, "quantity": 1}]).json["returns"][-1]["id"]
    shop.step(other, "approve")
    shop.step(other, "receive", {"items": [{"line_id": mug, "quantity": 1, "restock": False}]})
    bad = shop.step(other, "refund", {"amount": 1.5})
    assert bad.status == 400 and "amount" in bad.json["errors"]


def test_who_may_do_what(shop, tokens):
    mug = line_id(shop, shop.mug)
    stranger = tokens.header(str(uuid.uuid4()))
    assert shop.request([{"line_id": mug, "quantity": 1}], headers=stranger).status == 404
    assert shop.request([{"line_id": mug, "quantity": 1}], headers={}).status == 401
    ret = shop.request([{"line_id": mug, "quantity": 1}], headers=shop.admin)          # an admin for the customer
    assert ret.status == 201 and ret.json["returns"][0]["requested_by"].startswith("admin:")
    return_id = ret.json["returns"][0]["id"]
    for action in ("approve", "reject", "receive", "refund"):
        assert shop.step(return_id, action, {"reason": "x"}, headers=shop.mine).status == 403
    assert shop.order()["returns"][0]["status"] == "requested"


@pytest.mark.parametrize("body,field", [({}, "items"), ({"items": []}, "items"),
                                        ({"items": [{"line_id": "0", "quantity": 0}]}, "items.0.quantity"),
                                        ({"items": [{"line_id": "0", "quantity": "1"}]}, "items.0.quantity"),
                                        ({"items": [{"quantity": 1}]}, "items.0.line_id"),
                                        ({"items": [{"line_id": "0", "quantity": 1}], "note": "x" * 501}, "note")])
def test_bad_return_requests_are_400_naming_the_field(shop, body, field):
    response = shop.api.post(f"/api/v1/orders/{shop.order_id}/returns", headers=shop.mine, json=body)
    assert response.status == 400 and field in response.json["errors"], response.json
