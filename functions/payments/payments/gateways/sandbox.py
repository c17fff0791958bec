"""Adapter for the local sandbox gateway (infra/harness/sandbox_gateway): JSON over HTTP, Stripe's shapes."""
from __future__ import annotations

from decimal import Decimal

import requests

from .base import GatewayIntent, GatewayRefund, GatewayRejected, GatewayUnavailable, to_minor


class SandboxGateway:
    name = "sandbox"

    def __init__(self, base_url: str, *, api_key: str = "", timeout: float = 1.5):
        self.base_url = base_url.rstrip("/")
        self.timeout = (min(1.0, timeout), timeout)
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {api_key}"

    def _call(self, method: str, path: str, *, json: dict | None = None, idempotency_key: str | None = None) -> dict:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        try:
            response = self.session.request(method, f"{self.base_url}{path}", json=json, headers=headers,
                                            timeout=self.timeout)
        except requests.RequestException as exc:
            raise GatewayUnavailable(f"sandbox gateway unreachable: {type(exc).__name__}") from None
        if response.status_code >= 500:
            raise GatewayUnavailable(f"sandbox gateway answered {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise GatewayUnavailable("sandbox gateway sent a body that is not JSON") from None
        if response.status_code >= 400:
            error = (body or {}).get("error") or {}
            raise GatewayRejected(error.get("message") or "rejected", code=error.get("code"),
                                  status=response.status_code)
        return body

    def create_intent(self, *, amount: Decimal, currency: str, idempotency_key: str,
                      metadata: dict[str, str]) -> GatewayIntent:
        body = self._call("POST", "/v1/payment_intents", idempotency_key=idempotency_key,
                          json={"amount": to_minor(amount, currency), "currency": currency.lower(),
                                "metadata": metadata})
        return GatewayIntent.from_wire(body)

    def retrieve_intent(self, intent_id: str) -> GatewayIntent:
        return GatewayIntent.from_wire(self._call("GET", f"/v1/payment_intents/{intent_id}"))

    def cancel_intent(self, intent_id: str) -> GatewayIntent:
        return GatewayIntent.from_wire(self._call("POST", f"/v1/payment_intents/{intent_id}/cancel", json={}))

    def refund(self, *, intent_id: str, amount: Decimal, currency: str, idempotency_key: str) -> GatewayRefund:
        body = self._call("POST", "/v1/refunds", idempotency_key=idempotency_key,
                          json={"payment_intent": intent_id, "amount": to_minor(amount, currency)})
        return GatewayRefund.from_wire(body)
