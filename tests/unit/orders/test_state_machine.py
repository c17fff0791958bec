"""Order moves: exactly the contract's, each conditional, each with a history item; a refused move is 409."""
from __future__ import annotations

import itertools
import json
import threading
import uuid

import pytest


@pytest.fixture
def placed(checkout, services):
    product = services.products.add("4.00", stock=10)

    def place():
        response = checkout(str(uuid.uuid4()), [{"product_id": product, "quantity": 1}])
        assert response.status == 201
        return response.json["id"]

    return place


def test_transitions_are_exactly_the_contracts(orders_app):
    from orders import state_machine as sm

    expected = {("pending_payment", "paid"), ("pending_payment", "cancelled"),
                ("paid", "partially_fulfilled"), ("paid", "fulfilled"), ("paid", "partially_refunded"),
                ("paid", "refunded"), ("paid", "cancelled"),
                ("partially_fulfilled", "fulfilled"), ("partially_fulfilled", "partially_refunded"),
                ("partially_fulfilled", "refunded"),
                ("fulfilled", "partially_refunded"), ("fulfilled", "refunded"),
                ("partially_refunded", "refunded")}
    for pair in itertools.product(sm.STATUSES, repeat=2):
        assert sm.allowed(*pair) == (pair in expected), pair


def test_a_move_updates_status_and_appends_history(placed):
    from orders import repository
    from orders.state_machine import move

    order_id = placed()
    move(repository.get(order_id), "paid", reason="payment succeeded", actor="payments")
    assert repository.get(order_id).status == "paid"
    history = [(h.status, h.reason, h.actor) for h in repository.get(order_id).history]
    assert history == [("pending_payment", "order placed", history[0][2]), ("paid", "payment succeeded", "payments")]
    assert history[0][2].startswith("customer:")


@pytest.mark.parametrize("path,target", [(["cancelled"], "paid"), (["paid", "fulfilled"], "cancelled"),
                                         (["paid", "refunded"], "paid"), ([], "fulfilled"), ([], "refunded"),
                                         (["paid", "partially_refunded"], "fulfilled"),
                                         (["paid", "refunded"], "partially_refunded")])
def test_refused_moves_are_409_and_change_nothing(placed, path, target):
    from orders import repository
    from orders.state_machine import MoveRefused, move

    order_id = placed()
    for status in path:
        move(repository.get(order_id), status, reason="setup", actor="test")
    before = (repository.get(order_id).status, len(repository.get(order_id).history))
    with pytest.raises(MoveRefused) as refused:
        move(repository.get(order_id), target, reason="nope", actor="test")
    assert refused.value.status == 409
    assert (repository.get(order_id).status, len(repository.get(order_id).history)) == before


def test_every_change_bumps_the_version_and_is_published_with_it(placed, order_events):
    """place → version 1 (order.placed), a note → 2 (its event, status kept), a move → 3 (order.paid); each event
    names the order, its version and status, and carries no client secret."""
    from orders import repository
    from orders.state_machine import move, note

    order_id = placed()
    assert repository.get(order_id).version == 1
    note(repository.get(order_id), reason="payment failed (card_declined)", actor="payments",
         event="order.payment_failed", data={"reason": "card_declined"})
    move(repository.get(order_id), "paid", reason="payment succeeded", actor="payments")
    order = repository.get(order_id)
    assert (order.version, order.status) == (3, "paid")
    assert [(h.status, h.reason) for h in order.history][1:] == [("pending_payment", "payment failed (card_declined)"),
                                                                 ("paid", "payment succeeded")]
    received = [(e["detail-type"], e["detail"]["version"], e["detail"]["status"], e["detail"]["previous_status"])
                for e in order_events() if e["detail"]["order_id"] == order_id]
    assert received == [("order.placed", 1, "pending_payment", None),
                        ("order.payment_failed", 2, "pending_payment", "pending_payment"),
                        ("order.paid", 3, "paid", "pending_payment")]
    assert order.client_secret not in json.dumps(received)


def test_a_note_on_an_order_changed_meanwhile_is_refused_and_writes_nothing(placed, order_events):
    from orders import repository
    from orders.state_machine import OrderChanged, note

    order_id = placed()
    stale = repository.get(order_id)
    note(repository.get(order_id), reason="first", actor="test")
    with pytest.raises(OrderChanged) as refused:
        note(stale, reason="second", actor="test", event="order.payment_failed", changes={"email": "x@example.com"})
    assert refused.value.status == 409
    order = repository.get(order_id)
    assert order.version == 2 and order.email != "x@example.com"
    assert [h.reason for h in order.history][-1] == "first"
    assert [e["detail-type"] for e in order_events()] == ["order.placed"]


def test_a_move_that_lost_a_race_is_refused(placed):
    """Two writers read pending_payment; the second conditional write fails and leaves no history."""
    from orders import repository
    from orders.state_machine import MoveRefused, move

    order_id = placed()
    stale_a, stale_b = repository.get(order_id), repository.get(order_id)
    move(stale_a, "paid", reason="payment succeeded", actor="payments")
    with pytest.raises(MoveRefused):
        move(stale_b, "cancelled", reason="customer", actor="customer")
    assert repository.get(order_id).status == "paid"
    assert [h.status for h in repository.get(order_id).history] == ["pending_payment", "paid"]


@pytest.mark.dynamodb_local
def test_racing_moves_of_one_order_let_exactly_one_through(placed):
    """Eight writers read pending_payment, then move at once (DynamoDB Local): one wins, one entry."""
    from orders import repository
    from orders.state_machine import MoveRefused, move

    order_id = placed()
    targets = ["paid", "cancelled"] * 4
    stale = [repository.get(order_id) for _ in targets]
    start, outcomes = threading.Barrier(len(targets)), []

    def race(order, target):
        start.wait()
        try:
            move(order, target, reason="race", actor="test")
            outcomes.append(target)
        except MoveRefused:
            outcomes.append(None)

    threads = [threading.Thread(target=race, args=pair) for pair in zip(stale, targets, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    winners = [target for target in outcomes if target]
    assert len(outcomes) == len(targets) and len(winners) == 1
    final = repository.get(order_id)
    assert final.status == winners[0]
    assert [entry.status for entry in final.history] == ["pending_payment", winners[0]]


def test_admin_fulfils_a_paid_order(api, tokens, placed):
    from orders import repository
    from orders.state_machine import move

    order_id = placed()
    assert api.post(f"/api/v1/orders/{order_id}/fulfil", headers=tokens.header(role="admin")).status == 409
    move(repository.get(order_id), "paid", reason="payment succeeded", actor="payments")
    assert api.post(f"/api/v1/orders/{order_id}/fulfil", headers=tokens.header(role="customer")).status == 403
    response = api.post(f"/api/v1/orders/{order_id}/fulfil", headers=tokens.header(role="admin"))
    assert response.status == 200 and response.json["status"] == "fulfilled"


def test_fulfil_and_cancel_keep_what_they_are_told_and_refuse_what_they_do_not_take(api, tokens, placed):
    """The fulfil call's carrier and tracking number land in the history; `items` (no partial fulfilment) is a 400
    that changes nothing, as is any field a route does not take."""
    from orders import repository
    from orders.state_machine import move

    admin = tokens.header(role="admin")
    order_id = placed()
    move(repository.get(order_id), "paid", reason="payment succeeded", actor="payments")
    refused = api.post(f"/api/v1/orders/{order_id}/fulfil", headers=admin,
                       json={"items": [{"product_id": "p", "quantity": 1}], "carrier": "DHL"})
    assert refused.status == 400 and "items" in refused.json["errors"]
    assert repository.get(order_id).status == "paid"
    shipped = api.post(f"/api/v1/orders/{order_id}/fulfil", headers=admin,
                       json={"carrier": "DHL", "tracking_number": "JD0146000012345"})
    assert shipped.status == 200
    assert shipped.json["history"][-1]["reason"] == "fulfilled (DHL JD0146000012345)"

    pending = placed()
    assert api.post(f"/api/v1/orders/{pending}/cancel", headers=admin, json={"refund": True}).status == 400
    cancelled = api.post(f"/api/v1/orders/{pending}/cancel", headers=admin, json={"reason": "duplicate order"})
    assert cancelled.status == 200
    assert cancelled.json["history"][-1]["reason"] == "cancelled by the admin: duplicate order"
