"""The payment-gateway interface every adapter implements, and its value types.

Amounts cross this interface as Decimal in major units plus an ISO 4217 code; on the
wire, gateways (Stripe, the sandbox) use integers in minor units and lower-case codes.
`to_minor` / `from_minor` are the one place that converts.

Errors: `GatewayUnavailable` means the gateway could not be reached or answered 5xx (the
breaker counts it, the caller answers 503); `GatewayRejected` is the gateway refusing a
well-formed request (4xx: a wrong state, an unknown intent), never retried.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from meridian.money import minor_units


class GatewayError(Exception):
    pass


class GatewayUnavailable(GatewayError):
    """Timeout, connection refused or a 5xx: the gateway is down or slow."""


class GatewayRejected(GatewayError):
    """The gateway refused the request (4xx)."""

    def __init__(self, message: str, *, code: str | None = None, status: int = 400):
        super().__init__(message)
        self.code = code
        self.status = status


def to_minor(amount: Decimal, currency: str) -> int:
    """19.99 EUR → 1999; refuses amounts finer than the currency's minor units."""
    scaled = Decimal(amount).scaleb(minor_units(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more decimals than {currency} allows")
    return int(scaled)


def from_minor(value: int | str, currency: str) -> Decimal:
    return Decimal(int(value)).scaleb(-minor_units(currency))


@dataclass(frozen=True)
class GatewayIntent:
    id: str
    client_secret: str
    status: str            # the gateway's own words: requires_payment_method, succeeded, canceled, ...
    amount: Decimal
    currency: str          # upper-case ISO 4217
    metadata: dict = field(default_factory=dict)

    @classmethod
    def from_wire(cls, body: dict) -> GatewayIntent:
        currency = str(body["currency"]).upper()
        return cls(id=body["id"], client_secret=body.get("client_secret") or "", status=body["status"],
                   amount=from_minor(body["amount"], currency), currency=currency,
                   metadata=dict(body.get("metadata") or {}))


@dataclass(frozen=True)
class GatewayRefund:
    id: str
    status: str            # pending, succeeded, failed
    amount: Decimal
    currency: str

    @classmethod
    def from_wire(cls, body: dict) -> GatewayRefund:
        currency = str(body["currency"]).upper()
        return cls(id=body["id"], status=body["status"], amount=from_minor(body["amount"], currency),
                   currency=currency)


class PaymentGateway(Protocol):
    name: str

    def create_intent(self, *, amount: Decimal, currency: str, idempotency_key: str,
                      metadata: dict[str, str]) -> GatewayIntent: ...

    def retrieve_intent(self, intent_id: str) -> GatewayIntent: ...

    def cancel_intent(self, intent_id: str) -> GatewayIntent: ...

    def refund(self, *, intent_id: str, amount: Decimal, currency: str, idempotency_key: str) -> GatewayRefund: ...
