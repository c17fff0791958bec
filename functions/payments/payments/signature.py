"""Stripe's webhook signatures: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…][,v0=<hex>]`.

The rule (HMAC-SHA256 of "<t>.<raw body>", several v1 while a secret rolls, the tolerance) is the
layer's `meridian.signature`, shared with the webhooks service that signs merchants' deliveries the
same way; this module names what is the payments service's own: the header and the path gateways
POST to. The sandbox gateway signs the same way, with the same header.
"""
from __future__ import annotations

from meridian.signature import SCHEME, InvalidSignature, compute, sign
from meridian.signature import verify as verify_webhook_signature

HEADER = "Stripe-Signature"
WEBHOOK_PATH = "/webhooks/payments"   # where gateways POST events (the function URL; the dev harness names it too)

__all__ = ["HEADER", "SCHEME", "WEBHOOK_PATH", "InvalidSignature", "compute", "sign", "verify_webhook_signature"]
