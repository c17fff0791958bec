"""The scheduled reconciliation: expired pending orders are cancelled; lost payment webhooks are repaired."""
from __future__ import annotations

import datetime as _dt
import uuid

import pytest


@pytest.fixture
def product(services):
    return services.products.add("4.00", stock=10)


@pytest.fixture
def place(checkout, product):
    def run():
        response = checkout(str(uuid.uuid4()), [{"product_id": product, "quantity": 1}])
        assert response.status == 201
        return response.json
    return run


def later(minutes: int) -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(minutes=minutes)


def test_expired_pending_orders_are_cancelled_and_their_stock_released(place, services, product, load_function):
    from meridian.clock import iso

    expired, fresh = place(), place()
    assert services.products.stock(product) == 8
    load_function("OrdersReconciliationFunction")
    from orders import reconciliation, repository
    from orders.models import OrderModel

    # the second order was placed "later": its payment window ends after the reconciliation time
    young = repository.get(fresh["id"])
    young.update(actions=[OrderModel.gsi2sk.set(f"{iso(later(90))}#{young.id}")])
    report = reconciliation.reconcile(now=later(31))
    assert report["expired_cancelled"] == 1
    assert repository.get(expired["id"]).status == "cancelled"
    assert repository.get(expired["id"]).history[-1].actor == "reconciliation"
    assert repository.get(fresh["id"]).status == "pending_payment"
    assert services.payments.cancels == [expired["payment"]["id"]]
    assert services.products.stock(product) == 9


def test_reconciliation_queries_the_due_orders_and_never_scans(place, services, load_function, aws_calls):
    """Only the pending orders whose window closed are read: one Query of the status index up to now."""
    from meridian.clock import iso

    due, young = place(), place()
    load_function("OrdersReconciliationFunction")
    from orders import reconciliation, repository
    from orders.models import OrderModel

    fresh = repository.get(young["id"])
    fresh.update(actions=[OrderModel.gsi2sk.set(f"{iso(later(90))}#{fresh.id}")])
    aws_calls.clear()
    report = reconciliation.reconcile(now=later(31))
    operations = [op for service, op in aws_calls if service == "dynamodb"]
    assert "Scan" not in operations
    assert operations.count("Query") == 1
    assert report["expired_cancelled"] == 1
    assert repository.get(due["id"]).status == "cancelled"
    assert repository.get(young["id"]).status == "pending_payment"
    assert services.payments.cancels == [due["payment"]["id"]]


def test_a_succeeded_payment_whose_webhook_was_lost_marks_the_order_paid(place, services, load_function):
    order = place()
    services.payments.succeed(order["payment"]["id"])
    load_function("OrdersReconciliationFunction")
    from orders import reconciliation, repository

    report = reconciliation.reconcile()
    assert report["paid_fixed"] == 1
    assert repository.get(order["id"]).status == "paid"
    assert services.products.status(order["id"]) == "committed"
    assert reconciliation.reconcile()["paid_fixed"] == 0          # nothing left to fix


def test_an_expired_order_whose_payment_succeeded_is_marked_paid_not_cancelled(place, services, load_function):
    order = place()
    services.payments.succeed(order["payment"]["id"])
    load_function("OrdersReconciliationFunction")
    from orders import reconciliation, repository

    report = reconciliation.reconcile(now=later(31))
    assert report["paid_fixed"] >= 1 and report["expired_cancelled"] == 0
    assert repository.get(order["id"]).status == "paid"


def test_a_succeeded_payment_of_a_cancelled_order_is_refunded(place, services, load_function, api, tokens):
    order = place()
    from orders import repository
    from orders.state_machine import move

    move(repository.get(order["id"]), "cancelled", reason="test", actor="test")
    services.payments.succeed(order["payment"]["id"])
    load_function("OrdersReconciliationFunction")
    from orders import reconciliation

    assert reconciliation.reconcile()["refunds_started"] == 1
    assert services.payments.refunds == [order["payment"]["id"]]


def test_the_scheduled_handler_runs(place, load_function):
    from tests.lambda_testing import LambdaContext

    handler = load_function("OrdersReconciliationFunction")
    report = handler({"source": "aws.events", "detail-type": "Scheduled Event"}, LambdaContext())
    assert set(report) >= {"expired_cancelled", "paid_fixed", "refunds_started"}


def orphan(services, *, minutes_ago: int, status: str = "pending") -> dict:
    """A payment payments made for an order that was never stored (its checkout gave up)."""
    from meridian.clock import iso

    order_id = str(uuid.uuid4())
    payment = {"id": str(uuid.uuid4()), "order_id": order_id, "status": status, "intent_id": "pi_x",
               "created_at": iso(later(-minutes_ago))}
    services.payments.by_order[order_id] = services.payments.by_id[payment["id"]] = payment
    return payment


def test_intents_orphaned_by_a_checkout_that_gave_up_are_abandoned(place, services, load_function):
    old, declined, young = orphan(services, minutes_ago=45), orphan(services, minutes_ago=45, status="failed"), \
        orphan(services, minutes_ago=5)
    placed = place()                                                    # its order exists: never abandoned
    services.payments.by_id[placed["payment"]["id"]]["created_at"] = old["created_at"]
    services.payments.claims[str(uuid.uuid4())] = old["created_at"]    # a claim that never got its payment
    load_function("OrdersReconciliationFunction")
    from orders import reconciliation, repository

    report = reconciliation.reconcile()
    assert report["orphan_intents_cancelled"] == 3
    assert set(services.payments.abandoned) >= {old["order_id"], declined["order_id"]}
    assert young["order_id"] not in services.payments.abandoned       # may still be being placed
    assert placed["id"] not in services.payments.abandoned
    assert repository.get(placed["id"]).status == "pending_payment"
    assert old["status"] == declined["status"] == "canceled" and young["status"] == "pending"
    assert reconciliation.reconcile()["orphan_intents_cancelled"] == 0  # nothing left


def test_an_orphaned_payment_that_succeeded_is_reported_not_cancelled(load_function, services):
    paid = orphan(services, minutes_ago=45)
    load_function("OrdersReconciliationFunction")
    from orders import reconciliation

    paid["status"] = "succeeded"
    report = reconciliation.reconcile()
    assert report["orphan_intents_cancelled"] == 0 and report["orphan_payments"] == 1
    assert paid["status"] == "succeeded"


def test_the_scheduled_run_takes_its_time_from_the_event(load_function, services):
    from meridian.clock import iso

    from tests.lambda_testing import LambdaContext

    young = orphan(services, minutes_ago=5)
    handler = load_function("OrdersReconciliationFunction")
    report = handler({"source": "aws.events", "detail-type": "Scheduled Event", "time": iso(later(60))},
                     LambdaContext())
    assert report["orphan_intents_cancelled"] == 1 and young["status"] == "canceled"
