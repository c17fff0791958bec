"""The payment-gateway interface every adapter implements, and its value types.

Amounts cross this interface as Decimal in major units plus an ISO 4217 code; on the
wire, gateways (Stripe, the sandbox) use integers in minor units and lower-case codes.
`to_minor` / `from_minor` are the one place that converts, by Stripe's rules
(https://docs.stripe.com/currencies): the ISO 4217 exponent, except ISK, which Stripe
keeps two-decimal on the wire (ISK 5 → 500, a multiple of 100); and three-decimal
currencies (BHD, JOD, KWD, OMR, TND, …) must end in 0 on the wire (KWD 1.230 → 1230;
1.234 cannot be charged). `wire_problem` says why an amount cannot be sent, before any call.

Errors: `GatewayUnavailable` means the gateway could not be reached or answered 5xx (the
breaker counts it, the caller answers 503); `GatewayRejected` is the gateway refusing a
well-formed request (4xx: a wrong state, an unknown intent), never retried.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from meridian.money import fits_minor_units, minor_units, quantum


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


# currencies whose exponent on Stripe's wire differs from ISO 4217 (ISK: 0 in ISO, 2 at Stripe)
WIRE_EXPONENT = {"ISK": 2}


def wire_exponent(currency: str) -> int:
    return WIRE_EXPONENT.get(currency, minor_units(currency))


def wire_problem(amount: Decimal, currency: str) -> str | None:
    """Why `amount` cannot be sent to the gateway (Stripe's rules), or None when it can."""
    units = minor_units(currency)
    if not fits_minor_units(Decimal(amount), currency):
        return f"{currency} has {units} decimals."
    if units == 3 and Decimal(amount).scaleb(2) != Decimal(amount).scaleb(2).to_integral_value():
        return f"{currency} amounts must be whole multiples of 0.010 at the payment gateway."
    return None


def to_minor(amount: Decimal, currency: str) -> int:
    """The wire integer: 19.99 EUR → 1999, 500 JPY → 500, 5 ISK → 500, 1.230 KWD → 1230.

    ValueError for an amount the gateway cannot take (see `wire_problem`)."""
    problem = wire_problem(amount, currency)
    if problem:
        raise ValueError(f"{amount} {currency}: {problem}")
    return int(Decimal(amount).scaleb(wire_exponent(currency)))


def from_minor(value: int | str, currency: str) -> Decimal:
    """The wire integer in major units, at the ISO 4217 exponent when that is exact (ISK 500 → 5)."""
    amount = Decimal(int(value)).scaleb(-wire_exponent(currency))
    iso = amount.quantize(quantum(currency))
    return iso if iso == amount else amount


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
