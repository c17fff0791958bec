"""The payments service's internal API, as orders uses it."""
from __future__ import annotations

from decimal import Decimal

from meridian import resilience
from meridian.clients import ServiceClient
from meridian.config import seconds_env
from meridian.errors import Conflict

_client: ServiceClient | None = None


class PaymentRefused(Conflict):
    type_slug = "payment-state"


def client() -> ServiceClient:
    global _client
    if _client is None:
        _client = ServiceClient("payments", attempts=2)
    return _client


def _result(response, action: str):
    """The answer's body; PaymentRefused (409) when payments refuses, ServiceUnavailable (503) otherwise."""
    return response.result(action, errors={409: PaymentRefused})


def create_intent(*, order_id: str, user_id: str, amount: Decimal, currency: str,
                  breakdown: dict | None = None) -> dict:
    """{id, intent_id, client_secret, status, ...} of the order's payment (idempotent per order); `breakdown`:
    the figures of the total (pricing.breakdown), which the payment shows."""
    response = client().post("/internal/intents", internal=True, idempotent=True, timeout=intent_timeout(),
                             json={"order_id": order_id, "user_id": user_id, "amount": format(amount, "f"),
                                   "currency": currency, **({"breakdown": breakdown} if breakdown else {})})
    return _result(response, "create a payment")


def intent_timeout() -> tuple[float, float]:
    """What creating an intent may take: payments' own gateway timeout (PAYMENT_GATEWAY_TIMEOUT_SECONDS, the
    same value as the payments function's) plus a cold start of payments (resilience.timeout_for). The call
    is safe to repeat (payments makes one intent per order, gateway key order-<id>): a timeout is retried."""
    return resilience.timeout_for(seconds_env("PAYMENT_GATEWAY_TIMEOUT_SECONDS", 1.5))


def abandon(order_id: str, *, retry: bool = True) -> dict:
    """Orders gave up on `order_id`: payments cancels whatever it made for it, even an intent whose answer
    never came back ({"order_id", "payment": the payment or None}); PaymentRefused (409) once it succeeded.
    `retry=False`: one attempt (a checkout's compensation, whose time is spent; reconciliation follows up)."""
    response = client().post(f"/internal/orders/{order_id}/abandon", internal=True, idempotent=retry,
                             timeout=intent_timeout(), json={})
    return _result(response, "abandon a payment")


def cancel(payment_id: str) -> dict:
    """Cancel the payment's intent; PaymentRefused (409) when it already succeeded."""
    response = client().post(f"/internal/payments/{payment_id}/cancel", internal=True, json={})
    return _result(response, "cancel a payment")


def refund(payment_id: str, amount: Decimal, key: str) -> dict:
    """Refund `amount` of the payment (refunds.py), once per `key`: the payment with its `refund`; PaymentRefused
    (409) when payments refuses it (another refund pending, the payment not refundable), ValidationFailed (400)
    when the amount is beyond what is left."""
    response = client().post(f"/internal/payments/{payment_id}/refund", internal=True,
                             json={"amount": format(amount, "f"), "idempotency_key": key})
    return _result(response, "refund a payment")


def refund_in_full(payment_id: str) -> dict:
    response = client().post(f"/internal/payments/{payment_id}/refund", internal=True, json={})
    return _result(response, "refund a payment")


def open_before(status: str, before: str) -> list[dict]:
    """Payments in `status` (pending, failed, requires_action; `claimed`: claims without a payment yet) not
    changed since before `before` (all pages)."""
    return _all_pages({"status": status, "before": before}, "list open payments")


def succeeded_since(since: str) -> list[dict]:
    """Every payment that succeeded (and is still succeeded) since `since` (all pages)."""
    return _all_pages({"status": "succeeded", "since": since}, "list payments")


def _all_pages(query: dict, action: str) -> list[dict]:
    payments, cursor = [], None
    while True:
        params = {**query, "limit": "100", **({"cursor": cursor} if cursor else {})}
        page = _result(client().get("/internal/payments", internal=True, params=params), action)
        payments.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return payments
