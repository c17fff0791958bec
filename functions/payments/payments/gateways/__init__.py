"""Payment gateways: one interface (base.PaymentGateway), two adapters, chosen by PAYMENT_GATEWAY.

`gateway()` returns the configured adapter wrapped in the gateway's circuit breaker, so
every call has a timeout, counts toward the breaker, and turns "the gateway is down"
into ServiceUnavailable (503 + Retry-After) for our own caller.
"""
from __future__ import annotations

import os
from decimal import Decimal
from functools import lru_cache

import pybreaker
from meridian import aws, resilience
from meridian.config import int_env, require_env, seconds_env
from meridian.errors import ServiceUnavailable
from meridian.observability import count, logger

from .base import (
    GatewayError,
    GatewayIntent,
    GatewayRefund,
    GatewayRejected,
    GatewayUnavailable,
    PaymentGateway,
    from_minor,
    to_minor,
    wire_problem,
)

__all__ = ["gateway", "GuardedGateway", "GatewayError", "GatewayIntent", "GatewayRefund", "GatewayRejected",
           "GatewayUnavailable", "PaymentGateway", "from_minor", "to_minor", "wire_problem", "build_adapter"]


def build_adapter(kind: str, base_url: str, *, api_key: str = "", timeout: float = 1.5) -> PaymentGateway:
    if kind == "sandbox":
        from .sandbox import SandboxGateway

        return SandboxGateway(base_url, api_key=api_key, timeout=timeout)
    if kind == "stripe":
        from .stripe_gateway import StripeGateway

        return StripeGateway(api_key, base_url=base_url or None, timeout=timeout)
    raise ValueError(f"PAYMENT_GATEWAY must be sandbox or stripe, not {kind!r}")


class GuardedGateway:
    """An adapter behind the `payment-gateway` circuit breaker."""

    def __init__(self, adapter: PaymentGateway, *, fail_max: int = 3, reset_seconds: int = 10):
        self.adapter = adapter
        self.name = adapter.name
        self.reset_seconds = reset_seconds
        self.breaker = resilience.breaker("payment-gateway", fail_max=fail_max, reset_timeout=reset_seconds,
                                          exclude=[GatewayRejected])

    def _call(self, operation: str, fn):
        try:
            return self.breaker.call(fn)
        except pybreaker.CircuitBreakerError:
            count("PaymentGatewayBreakerOpen")
            raise ServiceUnavailable("The payment gateway is unavailable.", retry_after=self.reset_seconds) from None
        except GatewayUnavailable as exc:
            count("PaymentGatewayUnavailable", operation=operation)
            logger.warning("payment gateway unavailable", extra={"operation": operation, "error": str(exc)})
            raise ServiceUnavailable("The payment gateway is unavailable.", retry_after=5) from None

    def create_intent(self, *, amount: Decimal, currency: str, idempotency_key: str,
                      metadata: dict[str, str]) -> GatewayIntent:
        return self._call("create_intent", lambda: self.adapter.create_intent(
            amount=amount, currency=currency, idempotency_key=idempotency_key, metadata=metadata))

    def retrieve_intent(self, intent_id: str) -> GatewayIntent:
        return self._call("retrieve_intent", lambda: self.adapter.retrieve_intent(intent_id))

    def cancel_intent(self, intent_id: str) -> GatewayIntent:
        return self._call("cancel_intent", lambda: self.adapter.cancel_intent(intent_id))

    def refund(self, *, intent_id: str, amount: Decimal, currency: str, idempotency_key: str) -> GatewayRefund:
        return self._call("refund", lambda: self.adapter.refund(
            intent_id=intent_id, amount=amount, currency=currency, idempotency_key=idempotency_key))


def _api_key() -> str:
    arn = os.environ.get("PAYMENT_GATEWAY_API_KEY_ARN")
    return aws.secret_string(arn) if arn else ""


@lru_cache(maxsize=1)
def gateway() -> GuardedGateway:
    """The configured gateway (one per execution environment)."""
    adapter = build_adapter(require_env("PAYMENT_GATEWAY"), require_env("PAYMENT_GATEWAY_URL"),
                            api_key=_api_key(),
                            timeout=seconds_env("PAYMENT_GATEWAY_TIMEOUT_SECONDS", 1.5))
    return GuardedGateway(adapter, fail_max=int_env("PAYMENT_GATEWAY_BREAKER_FAIL_MAX", 3),
                          reset_seconds=int_env("PAYMENT_GATEWAY_BREAKER_RESET_SECONDS", 10))
