"""HTTP routes of the orders service (thin: parse → call → map)."""
from meridian import idempotency, shopper
from meridian.api import ServiceApp, json_response
from meridian.apidoc import REQUIRED_IDEMPOTENCY_KEY, Page, optional
from meridian.auth import principal, require_role
from meridian.lazy import lazy_module
from meridian.pagination import page_limit
from meridian.service_auth import require_service
from meridian.validation import load
from orders import cancellation, queries, stats
from orders.state_machine import FULFILLED

# marshmallow (~30 ms) loads with the first request that validates, not on a cold start
schemas = lazy_module("orders.schemas")

app = ServiceApp("orders", schemas="orders.schemas")


@app.route("/", methods=["POST"], body="CheckoutSchema", params=[REQUIRED_IDEMPOTENCY_KEY],
           responses={201: "OrderAnswer"}, errors=(404, 409, 422))
@require_role("customer")
def place_order():
    """Check out: reserve stock, price it, open a payment intent (Idempotency-Key required)."""
    from orders import checkout  # its pricing and FX load with the first checkout, not on a cold start

    key = idempotency.checked_key(app.header("Idempotency-Key"), required=True)
    body = app.json_body()
    order = load(schemas.CheckoutSchema(), body)
    authorization = app.header("Authorization")
    order["currency"] = shopper.currency(order["currency"], authorization)
    status, answer = checkout.place_order_once(principal(), key=key, body=body, order=order,
                                               authorization=authorization)
    return json_response(answer, status)


@app.route("/", methods=["GET"], query="OrdersQuery", responses={200: Page("OrderAnswer")})
@require_role("customer")
def list_orders():
    """Your orders, newest first (admin: ?user_id= or ?status=, else every order)."""
    query = app.query_params("limit", "cursor", "user_id", "status")
    return queries.list_orders(principal(), limit=page_limit(query["limit"]), cursor=query["cursor"],
                               user_id=query["user_id"], status=query["status"])


@app.route("/{order_id}", methods=["GET"], responses={200: "OrderAnswer"})
@require_role("customer")
def get_order(order_id):
    """One order with its history (owner or admin)."""
    return queries.order_detail(order_id, principal())


@app.route("/{order_id}/cancel", methods=["POST"], body=optional("CancelSchema"), responses={200: "OrderAnswer"},
           errors=(409,))
@require_role("customer")
def cancel_order(order_id):
    """Cancel a pending order: its payment intent is cancelled and its stock released. Body: {reason?}."""
    body = load(schemas.CancelSchema(), app.optional_json_body())
    return cancellation.cancel_by_request(order_id, principal(), note=body["reason"])


@app.route("/{order_id}/fulfil", methods=["POST"], body=optional("FulfilSchema"), responses={200: "OrderAnswer"},
           errors=(409,))
@require_role("admin")
def fulfil_order(order_id):
    """Mark a paid order fulfilled (admin). Body: {carrier?, tracking_number?}, kept in its history."""
    body = load(schemas.FulfilSchema(), app.optional_json_body())
    shipped = " ".join(part for part in (body["carrier"], body["tracking_number"]) if part)
    return queries.move_by_admin(order_id, FULFILLED, principal(),
                                 reason=f"fulfilled ({shipped})" if shipped else "fulfilled")


@app.route("/internal/stats", methods=["GET"])
@require_service("admin")
def order_stats():
    """Orders by status and revenue per currency (paid + fulfilled) for the admin dashboard."""
    return stats.order_stats()
