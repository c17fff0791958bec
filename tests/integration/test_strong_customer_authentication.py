"""Strong customer authentication (3-D Secure) through the gateway, as the shopper's browser does it: the confirm
answers `requires_action` with the sandbox's challenge page under /sandbox/ on the shop's own origin; completing it
pays the order (by webhook, as any payment); failing it leaves the order pending_payment and the SAME intent takes
another card (needs the orders change: a failed payment no longer cancels the order)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.integration.checkout_helpers import (
    admin,
    checkout,
    confirm,
    get_order,
    new_customer,
    new_product,
    url,
    wait_for_status,
    wait_until_settled,
)

THREE_DS_CARD = "4000002760003184"


@pytest.fixture(scope="module")
def admin_headers(stack):
    return admin(stack)


def confirm_3ds(stack, order: dict, session, return_url: str) -> dict:
    payment = order["payment"]
    response = session.post(url(stack, f"/sandbox/v1/payment_intents/{payment['intent_id']}/confirm"),
                            json={"client_secret": payment["client_secret"], "card_number": THREE_DS_CARD,
                                  "return_url": return_url}, timeout=20)
    assert response.status_code == 200, response.text
    intent = response.json()
    assert intent["status"] == "requires_action"
    return intent


def challenge(stack, session, intent: dict, outcome: str) -> str:
    """The shopper's browser on the challenge page: open it, press a button; the redirect's Location."""
    redirect = intent["next_action"]["redirect_to_url"]
    page_url = redirect["url"]
    assert page_url.startswith(f"{stack.base_url}/sandbox/v1/payment_intents/{intent['id']}/authenticate?"), page_url
    page = session.get(page_url, timeout=20)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "Complete authentication" in page.text and "<script" not in page.text
    secret = parse_qs(urlsplit(page_url).query)["client_secret"][0]
    answer = session.post(page_url.split("?")[0], data={"client_secret": secret, "outcome": outcome},
                          allow_redirects=False, timeout=20)
    assert answer.status_code == 303, answer.text
    return answer.headers["Location"]


def test_3d_secure_completed_pays_the_order(stack, admin_headers):
    shopper = new_customer(stack)
    product = new_product(stack, admin_headers)
    order = checkout(stack, shopper["headers"], product).json()
    session = stack.session()
    intent = confirm_3ds(stack, order, session, f"/orders/{order['id']}")
    assert get_order(stack, shopper["headers"], order["id"]).json()["status"] == "pending_payment"
    location = challenge(stack, session, intent, "complete")
    assert location == f"/orders/{order['id']}?payment_intent={intent['id']}&redirect_status=succeeded"
    paid = wait_for_status(stack, shopper["headers"], order["id"], "paid")
    payment = stack.session().get(url(stack, f"/api/v1/payments/{paid['payment']['id']}"), headers=admin_headers,
                                  timeout=20).json()
    assert payment["status"] == "succeeded"


def test_a_return_url_off_the_site_is_refused(stack, admin_headers):
    shopper = new_customer(stack)
    order = checkout(stack, shopper["headers"], new_product(stack, admin_headers)).json()
    payment = order["payment"]
    for return_url in ("https://evil.example/", "//evil.example/orders"):
        response = stack.session().post(
            url(stack, f"/sandbox/v1/payment_intents/{payment['intent_id']}/confirm"),
            json={"client_secret": payment["client_secret"], "card_number": THREE_DS_CARD, "return_url": return_url},
            timeout=20)
        assert response.status_code == 400 and response.json()["error"]["param"] == "return_url"


def test_3d_secure_failed_keeps_the_order_pending_and_a_good_card_pays_the_same_intent(stack, admin_headers):
    """Needs the orders change: a failed payment leaves the order pending_payment until its window closes."""
    shopper = new_customer(stack)
    product = new_product(stack, admin_headers)
    order = checkout(stack, shopper["headers"], product).json()
    session = stack.session()
    intent = confirm_3ds(stack, order, session, f"/orders/{order['id']}?token=t")
    location = challenge(stack, session, intent, "fail")
    assert location == f"/orders/{order['id']}?token=t&payment_intent={intent['id']}&redirect_status=failed"
    # the failure is noted on the order (history), which stays pending_payment with its window
    wait_until_settled(stack)
    pending = get_order(stack, shopper["headers"], order["id"]).json()
    assert pending["status"] == "pending_payment", pending["history"]
    assert pending["expires_at"]
    assert any("payment_intent_authentication_failure" in (entry.get("reason") or "")
               for entry in pending["history"]), pending["history"]
    retried = confirm(stack, order, "4242424242424242", session=session)             # same intent, another card
    assert retried.status_code == 200 and retried.json()["status"] == "succeeded", retried.text
    wait_for_status(stack, shopper["headers"], order["id"], "paid")
    mine = stack.session().get(url(stack, "/api/v1/orders"), headers=shopper["headers"], timeout=20).json()
    assert [o["id"] for o in mine["items"]] == [order["id"]]
