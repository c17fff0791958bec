"""HTTP routes of the payments service (thin: parse → call → map)."""
from meridian.api import ServiceApp, json_response
from meridian.apidoc import IDEMPOTENCY_KEY, header, optional
from meridian.auth import principal, require_role
from meridian.clock import iso
from meridian.errors import ValidationFailed
from meridian.lazy import lazy_module
from meridian.pagination import page_limit
from meridian.service_auth import require_service
from meridian.validation import load
from payments import service
from payments.signature import HEADER, WEBHOOK_PATH

# marshmallow (~30 ms) loads with the first request that validates, not on a cold start
schemas = lazy_module("payments.schemas")

app = ServiceApp("payments", schemas="payments.schemas")
app.document_route(
    WEBHOOK_PATH, "POST", name="receive_webhook",
    summary="The payment gateway's events (function URL): verified, queued, applied once per event id.",
    params=[header(HEADER, required=True, description="t=<unix time>,v1=<HMAC-SHA256 of t.body> (Stripe's scheme).",
                   example="t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd")],
    body="WebhookEventSchema", responses={200: "WebhookAnswer"}, errors=(400,))


@app.route("/{payment_id}", methods=["GET"], responses={200: "PaymentAnswer"})
@require_role("customer")
def get_payment(payment_id):
    """One payment (its owner or an admin)."""
    return service.payment_detail(payment_id, principal())


@app.route("/{payment_id}/refund", methods=["POST"], body=optional("RefundRequest"), params=[IDEMPOTENCY_KEY],
           responses={202: "RefundAnswer"}, errors=(409, 422))
@require_role("admin")
def refund_payment(payment_id):
    """Refund a payment, all or part (admin); the order becomes refunded when the gateway confirms.

    Idempotency-Key: a replay answers the first result and does nothing again; the key reused for
    another payment or amount is a 422."""
    body = app.optional_json_body()
    request = load(schemas.RefundRequest(), body)
    status, result = service.refund_once(payment_id, request["amount"], key=app.header("Idempotency-Key"), body=body)
    return json_response(result, status)


# ------------------------------------------------------------------ internal API (orders only)
@app.route("/internal/intents", methods=["POST"])
@require_service("orders")
def create_intent():
    """Create (or return) the payment and gateway intent of an order; `breakdown` (optional): what the amount
    is made of, shown on the payment (400 per field, 422 when it does not add up, 409 another one on a repeat)."""
    request = load(schemas.CreateIntentRequest(), app.json_body())
    payment, created = service.create_intent(order_id=str(request["order_id"]), user_id=request["user_id"],
                                             amount=request["amount"], currency=request["currency"],
                                             breakdown=request["breakdown"])
    return json_response(payment, 201 if created else 200)


@app.route("/internal/payments/{payment_id}/cancel", methods=["POST"])
@require_service("orders")
def cancel_payment(payment_id):
    """Cancel a pending payment's intent; 409 once it succeeded."""
    return service.cancel(payment_id)


@app.route("/internal/payments/{payment_id}/refund", methods=["POST"])
@require_service("orders")
def refund_for_order(payment_id):
    """Refund a payment for its order: `{amount, idempotency_key}` (a refund of the order: 400 naming `amount`
    beyond what is left, 409 while another refund is pending), or `{}`: all that is left (an order paid after
    it was cancelled; a payment already refunded is answered as it is)."""
    request = load(schemas.InternalRefundRequest(), app.optional_json_body())
    if request["amount"] is None and request["idempotency_key"] is None:
        return json_response(service.refund_in_full(payment_id), 202)
    return json_response(service.refund(payment_id, request["amount"], idempotency_key=request["idempotency_key"]),
                         202)


@app.route("/internal/orders/{order_id}/abandon", methods=["POST"])
@require_service("orders")
def abandon_order_payment(order_id):
    """Orders gave up on this order: cancel whatever payment (and gateway intent) was made for it, even one whose
    answer was lost; {"order_id", "payment": the payment or null}. 409 once it succeeded. Idempotent."""
    return service.abandon(order_id)


@app.route("/internal/payments", methods=["GET"])
@require_service("orders")
def list_payments():
    """Payments in one status changed since a time (reconciliation); with `before` (ISO 8601) instead: those
    not changed since before it (`status=claimed`: claims that never got their payment)."""
    query = app.query_params("status", "since", "before", "limit", "cursor")
    limit = page_limit(query["limit"])
    if query["before"]:
        return service.list_open_before(query["status"] or "pending", before=iso_param("before", query["before"]),
                                        limit=limit, cursor=query["cursor"])
    return service.list_by_status(query["status"] or "succeeded", since=query["since"],
                                  limit=limit, cursor=query["cursor"])


def iso_param(name: str, value: str) -> str:
    """A timestamp query parameter as our stored form (UTC, meridian.clock.iso); 400 naming it otherwise."""
    import datetime as _dt

    try:
        parsed = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed({name: ["Must be an ISO 8601 date and time."]}) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_dt.timezone.utc)
    return iso(parsed)
