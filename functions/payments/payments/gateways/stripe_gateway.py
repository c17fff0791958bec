"""Adapter for Stripe, on the official stripe SDK (StripeClient, v1 API).

`base_url` lets tests point it at a local HTTP stub that answers in Stripe's format.
"""
from __future__ import annotations

from decimal import Decimal

from .base import GatewayIntent, GatewayRefund, GatewayRejected, GatewayUnavailable, to_minor


class StripeGateway:
    name = "stripe"

    def __init__(self, api_key: str, *, base_url: str | None = None, timeout: float = 1.5):
        import stripe

        self._stripe = stripe
        http_client = stripe.RequestsClient(timeout=(min(1.0, timeout), timeout))
        addresses = {"api": base_url.rstrip("/")} if base_url else None
        self.client = stripe.StripeClient(api_key, base_addresses=addresses, http_client=http_client,
                                          max_network_retries=0)

    def _guard(self, call):
        stripe = self._stripe
        try:
            return call()
        except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
            raise GatewayUnavailable(f"stripe unreachable: {type(exc).__name__}") from None
        except stripe.StripeError as exc:
            status = exc.http_status or 0
            if status >= 500 or status == 0:
                raise GatewayUnavailable(f"stripe answered {status}") from None
            raise GatewayRejected(exc.user_message or str(exc), code=exc.code, status=status) from None

    @staticmethod
    def _intent(obj) -> GatewayIntent:
        return GatewayIntent.from_wire(obj.to_dict() if hasattr(obj, "to_dict") else dict(obj))

    def create_intent(self, *, amount: Decimal, currency: str, idempotency_key: str,
                      metadata: dict[str, str]) -> GatewayIntent:
        params = {"amount": to_minor(amount, currency), "currency": currency.lower(), "metadata": metadata,
                  "automatic_payment_methods": {"enabled": True}}
        return self._intent(self._guard(lambda: self.client.v1.payment_intents.create(
            params, options={"idempotency_key": idempotency_key})))

    def retrieve_intent(self, intent_id: str) -> GatewayIntent:
        return self._intent(self._guard(lambda: self.client.v1.payment_intents.retrieve(intent_id)))

    def cancel_intent(self, intent_id: str) -> GatewayIntent:
        return self._intent(self._guard(lambda: self.client.v1.payment_intents.cancel(intent_id)))

    def refund(self, *, intent_id: str, amount: Decimal, currency: str, idempotency_key: str) -> GatewayRefund:
        refund = self._guard(lambda: self.client.v1.refunds.create(
            {"payment_intent": intent_id, "amount": to_minor(amount, currency)},
            options={"idempotency_key": idempotency_key}))
        return GatewayRefund.from_wire(refund.to_dict() if hasattr(refund, "to_dict") else dict(refund))
