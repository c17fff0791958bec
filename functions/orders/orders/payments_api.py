"""The payments service's internal API, as orders uses it."""
from __future__ import annotations

from decimal import Decimal

from meridian.clients import ServiceClient
from meridian.errors import Conflict, ServiceUnavailable

_client: ServiceClient | None = None


class PaymentRefused(Conflict):
    type_slug = "payment-state"


def client() -> ServiceClient:
    global _client
    if _client is None:
        _client = ServiceClient("payments")
    return _client


def _failed(response, action: str):
    body = response.body if isinstance(response.body, dict) else {}
    detail = body.get("detail") or f"payments answered {response.status}"
    if response.status == 409:
        return PaymentRefused(detail)
    if response.status == 503:
        return ServiceUnavailable(detail, retry_after=int(response.headers.get("Retry-After") or 5))
    return ServiceUnavailable(f"The payments service could not {action} ({response.status}: {detail}).",
                              retry_after=5)


def create_intent(*, order_id: str, user_id: str, amount: Decimal, currency: str) -> dict:
    """{id, intent_id, client_secret, status, ...} of the order's payment (idempotent per order)."""
    response = client().post("/internal/intents", internal=True,
                             json={"order_id": order_id, "user_id": user_id, "amount": format(amount, "f"),
                                   "currency": currency})
    if not response.ok:
        raise _failed(response, "create a payment")
    return response.body


def cancel(payment_id: str) -> dict:
    """Cancel the payment's intent; PaymentRefused (409) when it already succeeded."""
    response = client().post(f"/internal/payments/{payment_id}/cancel", internal=True, json={})
    if not response.ok:
        raise _failed(response, "cancel a payment")
    return response.body


def refund_in_full(payment_id: str) -> dict:
    response = client().post(f"/internal/payments/{payment_id}/refund", internal=True, json={})
    if not response.ok:
        raise _failed(response, "refund a payment")
    return response.body


def succeeded_since(since: str) -> list[dict]:
    """Every payment that succeeded (and is still succeeded) since `since` (all pages)."""
    payments, cursor = [], None
    while True:
        params = {"status": "succeeded", "since": since, "limit": "100", **({"cursor": cursor} if cursor else {})}
        response = client().get("/internal/payments", internal=True, params=params)
        if not response.ok:
            raise _failed(response, "list payments")
        payments.extend(response.body["items"])
        cursor = response.body.get("next_cursor")
        if not cursor:
            return payments
