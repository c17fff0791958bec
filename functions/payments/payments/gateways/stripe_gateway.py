"""Adapter for Stripe, on the official stripe SDK (`stripe.StripeClient`, v1 API).

On the wire this is Stripe's own API: form-encoded POSTs to `/v1/payment_intents`,
`/v1/payment_intents/{id}/cancel`, `/v1/refunds`, GET `/v1/payment_intents/{id}`, with
`Authorization: Bearer sk_…`, our `Idempotency-Key` on every create, and the API version
the SDK is pinned to (`Stripe-Version`). The SDK makes no retries of its own
(`max_network_retries=0`: the breaker and our caller decide), sends no telemetry, and
has our timeout on every call.

Errors, in Stripe's format (`{"error": {"type", "code", "message", …}}`), become ours:
  - no answer (timeout, connection refused), an unreadable one, 5xx, 429 (rate limit) and
    409 (a request with the same idempotency key still in flight) → GatewayUnavailable
    (the breaker counts it; our caller gets 503 + Retry-After);
  - 401/403 (a wrong or revoked API key: the gateway is unusable until an operator fixes
    the secret) → GatewayUnavailable, logged as an error;
  - any other 4xx (unknown intent, wrong state, card error, idempotency-key reuse with other
    parameters) → GatewayRejected with Stripe's `code`.

`base_url` is `PAYMENT_GATEWAY_URL` (https://api.stripe.com on AWS); tests point it at a
local stub that answers in Stripe's format.
"""
from __future__ import annotations

from decimal import Decimal

from meridian.observability import logger

from .base import GatewayIntent, GatewayRefund, GatewayRejected, GatewayUnavailable, to_minor

SECRET_KEY_PREFIXES = ("sk_test_", "sk_live_", "rk_test_", "rk_live_")


class StripeGateway:
    name = "stripe"

    def __init__(self, api_key: str, *, base_url: str | None = None, timeout: float = 1.5):
        import stripe

        stripe.enable_telemetry = False        # no telemetry header, no ~/.config/stripe/telemetry_id file
        self._stripe = stripe
        api_key = (api_key or "").strip()
        if not api_key.startswith(SECRET_KEY_PREFIXES):
            logger.error("the payment gateway API key is not a Stripe secret key (sk_… or rk_…): "
                         "put it in the gateway-api-key secret")
        http_client = stripe.RequestsClient(timeout=(min(1.0, timeout), timeout))
        addresses = {"api": base_url.rstrip("/")} if base_url else None
        self.client = stripe.StripeClient(api_key, base_addresses=addresses,
                                          http_client=http_client, max_network_retries=0)

    def _guard(self, call):
        stripe = self._stripe
        try:
            return call()
        except stripe.APIConnectionError as exc:
            raise GatewayUnavailable(f"stripe unreachable: {exc.user_message or type(exc).__name__}") from None
        except stripe.StripeError as exc:
            status = exc.http_status or 0
            message = (exc.error.message if exc.error is not None else None) or exc.user_message or "rejected"
            if status in (401, 403):
                logger.error("stripe refused our API key", extra={"status": status, "stripe_message": message})
                raise GatewayUnavailable(f"stripe refused the API key ({status})") from None
            if status >= 500 or status < 400 or status in (409, 429):    # < 400: an unreadable answer
                raise GatewayUnavailable(f"stripe answered {status}: {message}") from None
            raise GatewayRejected(message, code=exc.code, status=status) from None

    @staticmethod
    def _wire(obj) -> dict:
        return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)

    def create_intent(self, *, amount: Decimal, currency: str, idempotency_key: str,
                      metadata: dict[str, str]) -> GatewayIntent:
        params = {"amount": to_minor(amount, currency), "currency": currency.lower(),
                  "metadata": {str(k): str(v) for k, v in metadata.items()},
                  "automatic_payment_methods": {"enabled": True}}
        intent = self._guard(lambda: self.client.v1.payment_intents.create(
            params, options={"idempotency_key": idempotency_key}))
        return GatewayIntent.from_wire(self._wire(intent))

    def retrieve_intent(self, intent_id: str) -> GatewayIntent:
        return GatewayIntent.from_wire(self._wire(self._guard(
            lambda: self.client.v1.payment_intents.retrieve(intent_id))))

    def cancel_intent(self, intent_id: str) -> GatewayIntent:
        return GatewayIntent.from_wire(self._wire(self._guard(
            lambda: self.client.v1.payment_intents.cancel(intent_id))))

    def refund(self, *, intent_id: str, amount: Decimal, currency: str, idempotency_key: str) -> GatewayRefund:
        refund = self._guard(lambda: self.client.v1.refunds.create(
            {"payment_intent": intent_id, "amount": to_minor(amount, currency)},
            options={"idempotency_key": idempotency_key}))
        return GatewayRefund.from_wire(self._wire(refund))
