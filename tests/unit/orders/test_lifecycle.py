"""After payment: shipments in parts, refunds on the order (partial, full, at the payment), cancelling a paid
order, and what the dashboard's figures make of them."""
from __future__ import annotations

import json
import uuid
from decimal import Decimal

import boto3
import pytest

from tests.lambda_testing import LambdaContext

from .test_payment_events import bus_event, sqs_event
from .test_stats import STATS, signed


@pytest.fixture
def products(services):
    return services.products.add("4.00", stock=20, name="Mug"), services.products.add("6.00", stock=20, name="Cup")


@pytest.fixture
def paid(checkout, products):
    """A paid order of two lines (2 mugs, 1 cup) in EUR: its answer at checkout."""
    from orders import repository
    from orders.state_machine import move

    def make(currency: str = "EUR") -> dict:
        response = checkout(str(uuid.uuid4()), [{"product_id": products[0], "quantity": 2},
                                                {"product_id": products[1], "quantity": 1}], currency=currency)
        assert response.status == 201, response.json
        move(repository.get(response.json["id"]), "paid", reason="payment succeeded", actor="payments")
        return response.json

    return make


@pytest.fixture
def admin(tokens):
    return tokens.header(role="admin")


@pytest.fixture
def on_payment_event(load_function, orders_app):
    return load_function("OrdersEventsFunction")


def queued_emails(aws) -> list[dict]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = aws.queue_url("OrderEmailQueue")
    found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    return [json.loads(m["Body"]) for m in found]


def refunded_event(order: dict, amount: str, *, fully: bool = False) -> dict:
    return bus_event("payment.refunded", order, fully_refunded=fully,
                     refunded_amount={"amount": amount, "currency": order["total"]["currency"]})


def line_ids(order: dict) -> list[str]:
    return [line["line_id"] for line in order["items"]]


# ---------------------------------------------------------------------------- shipments
def test_an_order_ships_in_parts_then_is_fulfilled(api, admin, paid, aws, load_function):
    from moto.ses.models import ses_backends

    order = paid()
    first, second = line_ids(order)
    assert (first, second) == ("0", "1")
    one = api.post(f"/api/v1/orders/{order['id']}/shipments", headers=admin,
                   json={"items": [{"line_id": first, "quantity": 2}], "carrier": "DHL", "tracking_number": "JJD01",
                         "tracking_url": "https://track.example/JJD01"})
    assert one.status == 201, one.json
    assert (one.json["status"], one.json["fulfillment_status"]) == ("partially_fulfilled", "partially_fulfilled")
    assert one.json["shipments"][0]["items"] == [{"line_id": first, "quantity": 2}]
    assert one.json["shipments"][0]["carrier"] == "DHL" and one.json["shipments"][0]["tracking_number"] == "JJD01"
    assert one.json["version"] == 3 and one.json["history"][-1]["reason"] == "partially fulfilled (DHL JJD01)"

    rest = api.post(f"/api/v1/orders/{order['id']}/shipments", headers=admin,
                    json={"items": [{"line_id": second, "quantity": 1}], "carrier": "UPS", "tracking_number": "1Z9"})
    assert rest.status == 201, rest.json
    assert (rest.json["status"], rest.json["fulfillment_status"]) == ("fulfilled", "fulfilled")
    assert [h["status"] for h in rest.json["history"]] == ["pending_payment", "paid", "partially_fulfilled",
                                                           "fulfilled"]
    again = api.post(f"/api/v1/orders/{order['id']}/shipments", headers=admin,
                     json={"items": [{"line_id": second, "quantity": 1}], "carrier": "UPS", "tracking_number": "1Z9"})
    assert again.status == 409

    queued = queued_emails(aws)
    assert sorted(m["kind"] for m in queued) == sorted(f"shipment:{s['id']}" for s in rest.json["shipments"])
    send = load_function("OrderEmailFunction")
    assert send(sqs_event(*queued, *queued), LambdaContext()) == {"batchItemFailures": []}
    sent = ses_backends["123456789012"]["us-east-1"].sent_messages
    assert len(sent) == 2                                                  # one per shipment, once
    mail = next(m for m in sent if "JJD01" in m.body)
    assert "DHL" in mail.body and "https://track.example/JJD01" in mail.body and "2 × Mug" in mail.body
    assert "Still to come" in mail.body and "1 × Cup" in mail.body


def test_a_shipment_names_lines_and_ships_only_what_is_left(api, admin, paid):
    from orders import repository

    order = paid()
    url = f"/api/v1/orders/{order['id']}/shipments"
    body = {"carrier": "DHL", "tracking_number": "T1"}
    unknown = api.post(url, headers=admin, json={**body, "items": [{"line_id": "7", "quantity": 1}]})
    assert unknown.status == 400 and "items.0.line_id" in unknown.json["errors"]
    too_many = api.post(url, headers=admin, json={**body, "items": [{"line_id": "0", "quantity": 3}]})
    assert too_many.status == 400 and "items.0.quantity" in too_many.json["errors"]
    twice = api.post(url, headers=admin, json={**body, "items": [{"line_id": "0", "quantity": 1}] * 2})
    assert twice.status == 400 and "items.1.line_id" in twice.json["errors"]
    assert api.post(url, headers=admin, json={"items": [{"line_id": "0", "quantity": 1}]}).status == 400
    assert api.post(url, headers=admin, json={**body, "items": []}).status == 400
    assert repository.get(order["id"]).version == 2                       # nothing written
    assert api.post(url, headers=admin, json={**body, "items": [{"line_id": "0", "quantity": 1}]}).status == 201
    left = api.post(url, headers=admin, json={**body, "items": [{"line_id": "0", "quantity": 2}]})
    assert left.status == 400 and "From 1 to 1" in left.json["errors"]["items.0.quantity"][0]


def test_only_a_paid_order_ships_and_only_an_admin_ships_it(api, admin, tokens, checkout, products):
    order = checkout(str(uuid.uuid4()), [{"product_id": products[0], "quantity": 1}]).json
    body = {"items": [{"line_id": "0", "quantity": 1}], "carrier": "DHL", "tracking_number": "T1"}
    refused = api.post(f"/api/v1/orders/{order['id']}/shipments", headers=admin, json=body)
    assert refused.status == 409 and refused.json["order_status"] == "pending_payment"
    customer = api.post(f"/api/v1/orders/{order['id']}/shipments", headers=tokens.header(order["user_id"]), json=body)
    assert customer.status == 403


def test_fulfil_ships_everything_left_with_its_carrier(api, admin, paid):
    order = paid()
    api.post(f"/api/v1/orders/{order['id']}/shipments", headers=admin,
             json={"items": [{"line_id": "0", "quantity": 1}], "carrier": "DHL", "tracking_number": "T1"})
    done = api.post(f"/api/v1/orders/{order['id']}/fulfil", headers=admin,
                    json={"carrier": "GLS", "tracking_number": "G2"})
    assert done.status == 200 and done.json["status"] == "fulfilled"
    assert done.json["shipments"][-1]["items"] == [{"line_id": "0", "quantity": 1}, {"line_id": "1", "quantity": 1}]
    assert (done.json["shipments"][-1]["carrier"], done.json["shipments"][-1]["tracking_number"]) == ("GLS", "G2")


# ---------------------------------------------------------------------------- refunds
def test_partial_then_full_refund_is_listed_on_the_order(api, admin, paid, services, on_payment_event, aws):
    order = paid()
    total = Decimal(order["total"]["amount"])
    url = f"/api/v1/orders/{order['id']}/refunds"
    first = api.post(url, headers={**admin, "Idempotency-Key": "r-1"},
                     json={"amount": "3.00", "reason": "Mug chipped", "lines": [{"line_id": "0", "quantity": 1}]})
    assert first.status == 202, first.json
    assert first.json["status"] == "paid" and first.json["refunded_total"]["amount"] == "0.00"
    refund = first.json["refunds"][0]
    assert (refund["amount"], refund["status"], refund["reason"], refund["source"]) == (
        {"amount": "3.00", "currency": "EUR"}, "pending", "Mug chipped", "order")
    assert refund["lines"] == [{"line_id": "0", "quantity": 1}]
    assert services.payments.refund_bodies[0]["amount"] == "3.00"
    replay = api.post(url, headers={**admin, "Idempotency-Key": "r-1"},
                      json={"amount": "3.00", "reason": "Mug chipped", "lines": [{"line_id": "0", "quantity": 1}]})
    assert replay.status == 202 and len(services.payments.refunds) == 1    # a replay refunds nothing again
    pending = api.post(url, headers=admin, json={"amount": "1.00", "reason": "again"})
    assert pending.status == 409                                         # one refund pending at a time

    on_payment_event(sqs_event(refunded_event(order, "3.00")), LambdaContext())
    shown = api.get(f"/api/v1/orders/{order['id']}", headers=admin).json
    assert shown["status"] == "partially_refunded" and shown["refunded_total"]["amount"] == "3.00"
    assert shown["refunds"][0]["status"] == "succeeded" and shown["refunds"][0]["settled_at"]

    rest = api.post(url, headers=admin, json={"reason": "Customer gave up"})       # amount: all that is left
    assert rest.status == 202
    assert rest.json["refunds"][-1]["amount"]["amount"] == str(total - 3)
    on_payment_event(sqs_event(refunded_event(order, str(total), fully=True)), LambdaContext())
    on_payment_event(sqs_event(refunded_event(order, str(total), fully=True)), LambdaContext())   # a repeat
    shown = api.get(f"/api/v1/orders/{order['id']}", headers=admin).json
    assert shown["status"] == "refunded" and shown["refunded_total"]["amount"] == str(total)
    assert [r["status"] for r in shown["refunds"]] == ["succeeded", "succeeded"]
    assert [h["status"] for h in shown["history"]] == ["pending_payment", "paid", "paid", "partially_refunded",
                                                       "partially_refunded", "refunded"]
    assert {m["kind"] for m in queued_emails(aws)} == {f"refund:{r['id']}" for r in shown["refunds"]}
    assert api.post(url, headers=admin, json={"reason": "more"}).status == 409       # nothing left, refunded


def test_refund_amounts_and_reasons_are_checked(api, admin, paid, services):
    order = paid()
    total = Decimal(order["total"]["amount"])
    url = f"/api/v1/orders/{order['id']}/refunds"
    for body, field in (({"amount": "0", "reason": "x"}, "amount"), ({"amount": "1.001", "reason": "x"}, "amount"),
                        ({"amount": str(total + 1), "reason": "x"}, "amount"), ({"amount": "1.00"}, "reason"),
                        ({"amount": "1.00", "reason": "x" * 501}, "reason"),
                        ({"reason": "x", "lines": [{"line_id": "9", "quantity": 1}]}, "lines.0.line_id"),
                        ({"reason": "x", "lines": [{"line_id": "1", "quantity": 2}]}, "lines.0.quantity")):
        response = api.post(url, headers=admin, json=body)
        assert response.status == 400 and field in response.json["errors"], (body, response.json)
    assert services.payments.refunds == []
    customer = api.post(url, headers={"Authorization": f"Bearer {'x'}"}, json={"reason": "x"})
    assert customer.status == 401


def test_a_refund_payments_refuses_is_failed_and_may_be_asked_again(api, admin, paid, services):
    order = paid()
    services.payments.refuse_refunds = True
    url = f"/api/v1/orders/{order['id']}/refunds"
    assert api.post(url, headers=admin, json={"amount": "1.00", "reason": "x"}).status == 409
    services.payments.refuse_refunds = False
    again = api.post(url, headers=admin, json={"amount": "1.00", "reason": "x"})
    assert again.status == 202
    assert [r["status"] for r in again.json["refunds"]] == ["failed", "pending"]


def test_a_refund_after_fulfilment_is_recorded_and_a_refunded_order_no_longer_ships(api, admin, paid,
                                                                                    on_payment_event):
    order = paid()
    api.post(f"/api/v1/orders/{order['id']}/fulfil", headers=admin, json={})
    assert api.post(f"/api/v1/orders/{order['id']}/refunds", headers=admin,
                    json={"amount": "2.00", "reason": "late"}).status == 202
    on_payment_event(sqs_event(refunded_event(order, "2.00")), LambdaContext())
    shown = api.get(f"/api/v1/orders/{order['id']}", headers=admin).json
    assert (shown["status"], shown["fulfillment_status"]) == ("partially_refunded", "fulfilled")

    other = paid()
    api.post(f"/api/v1/orders/{other['id']}/refunds", headers=admin, json={"reason": "all"})
    on_payment_event(sqs_event(refunded_event(other, other["total"]["amount"], fully=True)), LambdaContext())
    ship = api.post(f"/api/v1/orders/{other['id']}/shipments", headers=admin,
                    json={"items": [{"line_id": "0", "quantity": 1}], "carrier": "DHL", "tracking_number": "T"})
    assert ship.status == 409 and ship.json["order_status"] == "refunded"


def test_a_partially_refunded_order_still_ships_and_keeps_its_status(api, admin, paid, on_payment_event):
    order = paid()
    api.post(f"/api/v1/orders/{order['id']}/refunds", headers=admin, json={"amount": "1.00", "reason": "coupon"})
    on_payment_event(sqs_event(refunded_event(order, "1.00")), LambdaContext())
    shipped = api.post(f"/api/v1/orders/{order['id']}/fulfil", headers=admin, json={"carrier": "DHL"})
    assert shipped.status == 200
    assert (shipped.json["status"], shipped.json["fulfillment_status"]) == ("partially_refunded", "fulfilled")


def test_a_refund_made_at_the_payment_shows_on_the_order(paid, on_payment_event, api, admin):
    order = paid()
    on_payment_event(sqs_event(refunded_event(order, "2.50")), LambdaContext())
    shown = api.get(f"/api/v1/orders/{order['id']}", headers=admin).json
    assert shown["status"] == "partially_refunded"
    assert [(r["amount"]["amount"], r["reason"], r["source"], r["status"]) for r in shown["refunds"]] == [
        ("2.50", "refunded at the payment", "payment", "succeeded")]


# ---------------------------------------------------------------------------- cancelling a paid order
def test_a_customer_cannot_cancel_a_paid_order_but_is_told_what_to_do(api, tokens, paid):
    order = paid()
    response = api.post(f"/api/v1/orders/{order['id']}/cancel", headers=tokens.header(order["user_id"]))
    assert response.status == 409
    assert "/api/" not in response.json["detail"] and order["payment"]["id"] not in json.dumps(response.json)
    assert "Contact us" in response.json["detail"]


def test_an_admin_cancels_a_paid_order_with_nothing_shipped_by_refunding_it(api, admin, paid, services, products,
                                                                           on_payment_event):
    order = paid()
    cancelled = api.post(f"/api/v1/orders/{order['id']}/cancel", headers=admin, json={"reason": "fraud"})
    assert cancelled.status == 200, cancelled.json
    assert cancelled.json["status"] == "cancelled"
    assert cancelled.json["refunds"][0]["source"] == "cancellation"
    assert services.payments.refund_bodies[0]["amount"] == order["total"]["amount"]
    assert [services.products.stock(p) for p in products] == [20, 20]      # what it held is back in stock
    on_payment_event(sqs_event(refunded_event(order, order["total"]["amount"], fully=True)), LambdaContext())
    shown = api.get(f"/api/v1/orders/{order['id']}", headers=admin).json
    assert shown["status"] == "cancelled" and shown["refunds"][0]["status"] == "succeeded"

    shipped = paid()
    api.post(f"/api/v1/orders/{shipped['id']}/shipments", headers=admin,
             json={"items": [{"line_id": "0", "quantity": 1}], "carrier": "DHL", "tracking_number": "T"})
    refused = api.post(f"/api/v1/orders/{shipped['id']}/cancel", headers=admin, json={})
    assert refused.status == 409 and "/refunds" in refused.json["detail"]


# ---------------------------------------------------------------------------- the dashboard's figures
def test_stats_report_gross_refunded_and_net_per_currency(api, admin, paid, on_payment_event):
    partly, fully, kept = paid(), paid(), paid()
    api.post(f"/api/v1/orders/{partly['id']}/refunds", headers=admin, json={"amount": "2.00", "reason": "x"})
    on_payment_event(sqs_event(refunded_event(partly, "2.00")), LambdaContext())
    api.post(f"/api/v1/orders/{fully['id']}/refunds", headers=admin, json={"reason": "x"})
    on_payment_event(sqs_event(refunded_event(fully, fully["total"]["amount"], fully=True)), LambdaContext())
    api.post(f"/api/v1/orders/{kept['id']}/fulfil", headers=admin, json={})
    gross = sum(Decimal(o["total"]["amount"]) for o in (partly, fully, kept))
    refunded = Decimal(fully["total"]["amount"]) + 2
    stats = api.get(STATS, headers=signed("admin")).json
    assert stats["revenue_breakdown"] == {"EUR": {"gross": str(gross), "refunded": str(refunded),
                                                  "net": str(gross - refunded)}}
    assert stats["revenue"] == {"EUR": str(gross - refunded)}
    assert {k: v for k, v in stats["orders_by_status"].items() if v} == {"partially_refunded": 1, "refunded": 1,
                                                                         "fulfilled": 1}
