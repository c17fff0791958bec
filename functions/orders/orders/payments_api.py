"""The payments service's internal API, as orders uses it."""
from __future__ import annotations

from decimal import Decimal

from meridian.clients import ServiceClient
from meridian.errors import Conflict

_client: ServiceClient | None = None


class PaymentRefused(Conflict):
    type_slug = "payment-state"


def client() -> ServiceClient:
    global _client
    if _client is None:
        _client = ServiceClient("payments")
    return _client


def _result(response, action: str):
    """The answer's body; PaymentRefused (409) when payments refuses, ServiceUnavailable (503) otherwise."""
    return response.result(action, errors={409: PaymentRefused})


def create_intent(*, order_id: str, user_id: str, amount: Decimal, currency: str,
                  breakdown: dict | None = None) -> dict:
    """{id, intent_id, client_secret, status, ...} of the order's payment (idempotent per order); `breakdown`:
    the figures of the total (pricing.breakdown), which the payment shows."""
    response = client().post("/internal/intents", internal=True,
                             json={"order_id": order_id, "user_id": user_id, "amount": format(amount, "f"),
                                   "currency": currency, **({"breakdown": breakdown} if breakdown else {})})
    return _result(response, "create a payment")


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


def succeeded_since(since: str) -> list[dict]:
    """Every payment that succeeded (and is still succeeded) since `since` (all pages)."""
    payments, cursor = [], None
    while True:
        params = {"status": "succeeded", "since": since, "limit": "100", **({"cursor": cursor} if cursor else {})}
        response = client().get("/internal/payments", internal=True, params=params)
        page = _result(response, "list payments")
        payments.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return payments
