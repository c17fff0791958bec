"""The sandbox payment gateway: a local stand-in for Stripe (Stripe's objects, errors and webhook signatures).

    python -m infra.harness.sandbox_gateway --port P --control-port C --webhook-url URL --aws-endpoint E \
        --webhook-secret-id NAME --api-key-secret-id NAME

API routes (port P; nginx serves them under /sandbox/ with the prefix stripped). As at Stripe, every
call needs the secret API key (`Authorization: Bearer <key>`, or Basic with the key as user name; the
PaymentGatewayApiKeySecret the payments service sends), except the health check and what the shopper's
browser does with the intent's client_secret (confirm, the 3-D Secure challenge). Without the key: 401.
  POST /v1/payment_intents                       {amount (minor units), currency, metadata}  + Idempotency-Key
  GET  /v1/payment_intents/{id}
  POST /v1/payment_intents/{id}/cancel
  POST /v1/payment_intents/{id}/confirm          {client_secret, card_number, return_url?}  (the shopper's browser)
  GET  /v1/payment_intents/{id}/authenticate?client_secret=…   the 3-D Secure challenge page (HTML)
  POST /v1/payment_intents/{id}/authenticate     form {client_secret, outcome=complete|fail} → 303 to return_url
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
4000000000009995 fails for insufficient funds. A declined intent is back in requires_payment_method
and may be confirmed again with another card.

3-D Secure (Stripe's regulatory test cards, https://docs.stripe.com/testing#regulatory-cards):
4000002760003184 and 4000002500003155 require authentication, then succeed; 4000008260003178
requires authentication, then is declined for insufficient funds. Confirming with one answers 200
with the intent in `requires_action`, `next_action: {"type": "redirect_to_url", "redirect_to_url":
{"url": <challenge page>, "return_url": <as given>}}` and sends `payment_intent.requires_action`.
The challenge page's URL is where the browser reaches this API: through the shop's nginx (a request
with X-Forwarded-Proto) `<proto>://<Host>/sandbox/v1/payment_intents/<id>/authenticate?client_secret=…`
(`--public-prefix`, default /sandbox), called directly `http://<Host>/v1/…`. It is plain HTML (no
script) with "Complete authentication" and "Fail authentication" buttons, each a form POST of the
client_secret. Complete → the card's outcome, exactly as a plain confirm (succeeded, or declined back
to requires_payment_method with payment_intent.payment_failed); fail → requires_payment_method with
last_payment_error.code `payment_intent_authentication_failure` and payment_intent.payment_failed.
Then 303 to return_url with `?payment_intent=<id>&redirect_status=succeeded|failed` added (without a
return_url: a page saying so). return_url must be a path on the shop's own origin ("/…", not "//…",
no backslash): anything else is 400 `url_invalid` (no open redirect). An intent in requires_action
cannot be confirmed (400 payment_intent_unexpected_state, as Stripe) but can be cancelled.

Each state change sends an event signed as
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
