"""The sandbox payment gateway: a local stand-in for Stripe (Stripe's objects, errors and webhook signatures).

    python -m infra.harness.sandbox_gateway --port P --control-port C --webhook-url URL --aws-endpoint E \
        --webhook-secret-id NAME --api-key-secret-id NAME

API routes (port P; nginx serves them under /sandbox/ with the prefix stripped). As at Stripe, every
call needs the secret API key (`Authorization: Bearer <key>`, or Basic with the key as user name; the
PaymentGatewayApiKeySecret the payments service sends), except the health check and a confirm, which
the shopper's browser makes with the intent's client_secret. Without the key: 401.
  POST /v1/payment_intents                       {amount (minor units), currency, metadata}  + Idempotency-Key
  GET  /v1/payment_intents/{id}
  POST /v1/payment_intents/{id}/cancel
  POST /v1/payment_intents/{id}/confirm          {client_secret, card_number}   (the shopper's browser)
  POST /v1/refunds                               {payment_intent, amount?}      + Idempotency-Key
  GET  /v1/refunds/{id}
  GET  /v1/health                                (no key)

Test controls (port C, on 127.0.0.1 only, never routed by nginx: a shopper can neither slow the
gateway down nor point its webhooks elsewhere):
  GET  /v1/health
  GET|POST /v1/control                           {fail, delay_ms, duplicates, out_of_order, hold_ms, webhook_url}
  POST /v1/control/reset
  GET  /v1/deliveries                            webhook delivery counters

Request bodies are form-encoded as Stripe's API takes them (`metadata[order_id]=…`, so the
stripe SDK can talk to it) or JSON (the sandbox adapter, the shopper's browser); answers and
errors (`{"error": {"type", "code", "message"}}`) are Stripe's JSON.

Test cards: 4242424242424242 succeeds, 4000000000000002 is declined (card_declined),
4000000000009995 fails for insufficient funds. Each state change sends an event signed as
Stripe signs it (`Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under the
webhook secret; `stripe.Webhook.construct_event` accepts it), retried with exponential
backoff until the receiver answers 2xx.

Control: `fail` answers 503 to every API call; `delay_ms` answers slowly; `duplicates: n`
sends every webhook n times; `out_of_order` holds each intent's event until the next one
of that intent overtakes it (or `hold_ms`, default 2000, passes); `webhook_url` points the
webhooks elsewhere. POST /v1/control/reset puts everything back.
"""
from .server import SandboxGateway

__all__ = ["SandboxGateway"]
