"""HTTP routes of the orders service (thin: parse → call → map): orders, carts, and the shop's shipping zones,
tax table and promotion codes."""
from meridian import idempotency, shopper
from meridian.api import ServiceApp, json_response
from meridian.apidoc import IDEMPOTENCY_KEY, REQUIRED_IDEMPOTENCY_KEY, Page, header, optional
from meridian.auth import authenticate, principal, require_role
from meridian.errors import Forbidden, NotFound
from meridian.lazy import lazy_module
from meridian.pagination import decode_cursor, page, page_limit
from meridian.service_auth import require_service
from meridian.validation import load
from orders import cancellation, queries, repository, stats

# marshmallow (~30 ms) loads with the first request that validates, not on a cold start
schemas = lazy_module("orders.schemas")
# pricing, FX and the cart rules load with the first cart or checkout, not on a cold start
carts = lazy_module("orders.carts")
views = lazy_module("orders.views")
shipping = lazy_module("orders.shipping")
taxes = lazy_module("orders.taxes")
promotions = lazy_module("orders.promotions")

app = ServiceApp("orders", schemas="orders.schemas")

CART_TOKEN = header("Cart-Token", description="A guest cart's secret (answered once, when the cart is made).")
CARTS = "/api/v1/carts"


def _caller():
    """The signed-in caller, or None for a guest (a bad token is a 401)."""
    return authenticate() if app.header("authorization") else None


# ---------------------------------------------------------------------------- orders
@app.route("/", methods=["POST"], body="CheckoutSchema", params=[REQUIRED_IDEMPOTENCY_KEY, CART_TOKEN],
           auth="optional", responses={201: "OrderAnswer"}, errors=(401, 404, 409, 422))
def place_order():
    """Check out (Idempotency-Key required). `{cart_id}`: the cart's lines, shipping, codes, tax lines and total,
    or 409 with the new quote if any of it moved since the shopper last saw it (a guest sends Cart-Token).
    `{items, currency, shipping_address}`: a signed-in customer's lines, priced now."""
    from orders import checkout

    key = idempotency.checked_key(app.header("Idempotency-Key"), required=True)
    body = app.json_body()
    if isinstance(body, dict) and body.get("cart_id") is not None:       # a guest may check a cart out
        order = load(schemas.CheckoutSchema(), body)
        status, answer = checkout.place_cart_order_once(_caller(), key=key, body=body, cart_id=str(order["cart_id"]),
                                                        cart_token=app.header("Cart-Token"))
        return json_response(answer, status)
    who = principal()
    if not who.is_at_least("customer"):
        raise Forbidden("This action needs the customer role.")
    order = load(schemas.CheckoutSchema(), body)
    authorization = app.header("Authorization")
    order["currency"] = shopper.currency(order["currency"], authorization)
    # the language the shopper reads: their e-mails are written in it (a cart's checkout has the cart's)
    order["locale"] = shopper.locale(None, app.header("accept-language"), authorization)
    status, answer = checkout.place_order_once(who, key=key, body=body, order=order, authorization=authorization)
    return json_response(answer, status)


@app.route("/", methods=["GET"], query="OrdersQuery", responses={200: Page("OrderAnswer")})
@require_role("customer")
def list_orders():
    """Your orders, newest first, with those you placed as a guest with your verified e-mail (admin: ?user_id=
    or ?status=, else every order)."""
    query = app.query_params("limit", "cursor", "user_id", "status")
    return queries.list_orders(principal(), limit=page_limit(query["limit"]), cursor=query["cursor"],
                               user_id=query["user_id"], status=query["status"])


@app.route("/{order_id}", methods=["GET"], query="OrderQuery", auth="optional", responses={200: "OrderAnswer"},
           errors=(401,))
def get_order(order_id):
    """One order with its history (owner or admin; a guest with the signed link's ?token=)."""
    query = app.query_params("token")
    return queries.order_detail(order_id, None if query["token"] else _caller(), link_token=query["token"])


@app.route("/{order_id}/cancel", methods=["POST"], body=optional("CancelSchema"), responses={200: "OrderAnswer"},
           errors=(409,))
@require_role("customer")
def cancel_order(order_id):
    """Cancel a pending order: its payment intent is cancelled, its stock and codes given back. An admin may also
    cancel a paid order nothing of which shipped: it is refunded in full. Body: {reason?}."""
    body = load(schemas.CancelSchema(), app.optional_json_body())
    return cancellation.cancel_by_request(order_id, principal(), note=body["reason"])


@app.route("/{order_id}/shipments", methods=["POST"], body="ShipmentSchema", responses={201: "OrderAnswer"},
           errors=(409,))
@require_role("admin")
def ship_order(order_id):
    """Record a parcel (admin): `{items: [{line_id, quantity}], carrier, tracking_number, tracking_url?}` → the
    order, partially_fulfilled or fulfilled, with the shipment listed; the shopper gets a shipment e-mail.
    400 naming the field for an unknown line or more than is left to ship; 409 when the order does not ship."""
    from orders import shipments

    body = load(schemas.ShipmentSchema(), app.json_body())
    order = shipments.ship_by_admin(order_id, principal(), items=body["items"], carrier=body["carrier"],
                                    tracking_number=body["tracking_number"], tracking_url=body["tracking_url"])
    return json_response(order, 201)


@app.route("/{order_id}/fulfil", methods=["POST"], body=optional("FulfilSchema"), responses={200: "OrderAnswer"},
           errors=(409,))
@require_role("admin")
def fulfil_order(order_id):
    """Ship everything not shipped yet (admin): one shipment with {carrier?, tracking_number?, tracking_url?}."""
    from orders import shipments

    body = load(schemas.FulfilSchema(), app.optional_json_body())
    return shipments.ship_by_admin(order_id, principal(), items=None, carrier=body["carrier"],
                                   tracking_number=body["tracking_number"], tracking_url=body["tracking_url"])


@app.route("/{order_id}/refunds", methods=["POST"], body="OrderRefundSchema", params=[IDEMPOTENCY_KEY],
           responses={202: "OrderAnswer"}, errors=(409, 422))
@require_role("admin")
def refund_order(order_id):
    """Refund the order, all or part (admin): `{amount?, reason, lines?}` → 202, the order with the refund listed
    `pending` until the payment confirms it (then partially_refunded or refunded). 400 naming `amount` beyond
    what is left (the total less what was refunded or is pending); 409 when the order may not be refunded or
    another refund is pending. Idempotency-Key: a replay answers the first result and refunds nothing again."""
    from orders import refunds

    body = app.json_body()
    request = load(schemas.OrderRefundSchema(), body)
    status, answer = refunds.refund_once(order_id, principal(), request, key=app.header("Idempotency-Key"), body=body)
    return json_response(answer, status)


# ---------------------------------------------------------------------------- returns (returns.py)
@app.route("/{order_id}/returns", methods=["POST"], body="ReturnRequestSchema", responses={201: "OrderAnswer"},
           errors=(409,))
@require_role("customer")
def request_return(order_id):
    """Return shipped lines (the order's customer, or an admin): {items: [{line_id, quantity, reason?}], note?}
    → 201 the order with the return `requested`. 409 once the return window closed, or on a cancelled or
    refunded order."""
    from orders import returns

    body = load(schemas.ReturnRequestSchema(), app.json_body())
    return json_response(returns.request(order_id, principal(), items=body["items"], note_text=body["note"]), 201)


@app.route("/{order_id}/returns/{return_id}/approve", methods=["POST"], responses={200: "OrderAnswer"},
           errors=(409,))
@require_role("admin")
def approve_return(order_id, return_id):
    """Approve a requested return (admin)."""
    from orders import returns

    return returns.approve(order_id, return_id, principal())


@app.route("/{order_id}/returns/{return_id}/reject", methods=["POST"], body="ReturnRejectSchema",
           responses={200: "OrderAnswer"}, errors=(409,))
@require_role("admin")
def reject_return(order_id, return_id):
    """Reject a requested or approved return (admin): {reason}."""
    from orders import returns

    body = load(schemas.ReturnRejectSchema(), app.json_body())
    return returns.reject(order_id, return_id, principal(), reason=body["reason"])


@app.route("/{order_id}/returns/{return_id}/receive", methods=["POST"], body="ReturnReceiveSchema",
           responses={200: "OrderAnswer"}, errors=(409, 422))
@require_role("admin")
def receive_return(order_id, return_id):
    """The approved return came back (admin): {items: [{line_id, quantity, restock}]}; restocked units go back
    in stock once."""
    from orders import returns

    body = load(schemas.ReturnReceiveSchema(), app.json_body())
    return returns.receive(order_id, return_id, principal(), items=body["items"])


@app.route("/{order_id}/returns/{return_id}/refund", methods=["POST"], body=optional("ReturnRefundSchema"),
           responses={200: "OrderAnswer"}, errors=(409,))
@require_role("admin")
def refund_return(order_id, return_id):
    """Refund a received return (admin): {amount?, reason?}; amount defaults to the received lines' prices."""
    from orders import returns

    body = load(schemas.ReturnRefundSchema(), app.optional_json_body())
    return returns.refund(order_id, return_id, principal(), amount=body["amount"], reason=body["reason"])


@app.route("/internal/stats", methods=["GET"])
@require_service("admin")
def order_stats():
    """Orders by status, and revenue per currency (gross, refunded, net) for the admin dashboard."""
    return stats.order_stats()


@app.route("/internal/tax-rates/{country}", methods=["GET"])
@require_service("products")
def market_tax_rates(country):
    """The rates of a country (?region=) as the catalog shows prices there (taxes.engine())."""
    query = app.query_params("region")
    return views.tax_rates_view(taxes.engine().rates(country.upper(), query["region"]))


# ---------------------------------------------------------------------------- carts (anyone; a guest by Cart-Token)
def _cart_answer(quoted, status: int = 200):
    return json_response(views.cart_view(quoted), status)


def _change(cart_id: str, edit):
    return _cart_answer(carts.change(cart_id, _caller(), app.header("Cart-Token"), edit))


@app.route(CARTS, absolute=True, methods=["POST"], body=optional("CartCreateSchema"), params=[CART_TOKEN],
           auth="optional", responses={201: "CartAnswer", 200: "CartAnswer"}, errors=(404,))
def create_cart():
    """A new cart (201; a guest's answer carries its `cart_token`), or a signed-in customer's open cart (200).
    At sign-in, `guest_cart_id` + the guest's Cart-Token moves the guest cart's lines into the customer's cart."""
    body = load(schemas.CartCreateSchema(), app.optional_json_body())
    who, authorization = _caller(), app.header("authorization")
    status, cart, token = carts.create(
        who, currency=shopper.currency(body["currency"], authorization),
        locale=shopper.locale(body["locale"], app.header("accept-language"), authorization), email=body["email"])
    if body["guest_cart_id"] and who is not None:
        guest_id = str(body["guest_cart_id"])
        quoted = carts.change(cart.id, who, None, carts.merge(guest_id, app.header("Cart-Token")))
        carts.close_merged(guest_id, app.header("Cart-Token"))
    else:
        quoted = carts.show(cart.id, who, token)
    return json_response(views.cart_view(quoted, cart_token=token), status)


@app.route(CARTS + "/{cart_id}", absolute=True, methods=["GET"], params=[CART_TOKEN], auth="optional",
           responses={200: "CartAnswer"})
def get_cart(cart_id):
    """The cart as a live quote: lines, subtotal, discounts, shipping, taxes, total, warnings."""
    return _cart_answer(carts.show(cart_id, _caller(), app.header("Cart-Token")))


@app.route(CARTS + "/{cart_id}", absolute=True, methods=["PATCH"], body="CartPatchSchema", params=[CART_TOKEN],
           auth="optional", responses={200: "CartAnswer"}, errors=(409,))
def update_cart(cart_id):
    """Set the cart's e-mail (a guest's order goes there), currency or locale."""
    body = load(schemas.CartPatchSchema(), app.json_body())
    return _change(cart_id, carts.set_details(body["email"], body["currency"], body["locale"]))


@app.route(CARTS + "/{cart_id}/items", absolute=True, methods=["POST"], body="CartItemSchema", params=[CART_TOKEN],
           auth="optional", responses={200: "CartAnswer"}, errors=(409, 422))
def add_cart_item(cart_id):
    """Add a product (or one SKU of it); the same product again adds to its line."""
    body = load(schemas.CartItemSchema(), app.json_body())
    return _change(cart_id, carts.add_item(str(body["product_id"]), body["sku"], body["quantity"]))


@app.route(CARTS + "/{cart_id}/items/{line_id}", absolute=True, methods=["PATCH"], body="CartItemPatchSchema",
           params=[CART_TOKEN], auth="optional", responses={200: "CartAnswer"}, errors=(409, 422))
def update_cart_item(cart_id, line_id):
    """Set a line's quantity."""
    body = load(schemas.CartItemPatchSchema(), app.json_body())
    return _change(cart_id, carts.set_quantity(line_id, body["quantity"]))


@app.route(CARTS + "/{cart_id}/items/{line_id}", absolute=True, methods=["DELETE"], params=[CART_TOKEN],
           auth="optional", responses={200: "CartAnswer"}, errors=(409,))
def remove_cart_item(cart_id, line_id):
    """Remove a line."""
    return _change(cart_id, carts.remove_item(line_id))


@app.route(CARTS + "/{cart_id}/shipping-address", absolute=True, methods=["PUT"], body="CartAddressSchema",
           params=[CART_TOKEN], auth="optional", responses={200: "CartAnswer"}, errors=(409, 422))
def set_cart_address(cart_id):
    """Ship to an address, or `{address_id}` of one of a signed-in customer's saved addresses."""
    body = app.json_body()
    if isinstance(body, dict) and "address_id" in body:
        choice = load(schemas.SavedAddressChoice(), body)
        return _change(cart_id, carts.set_address(None, choice["address_id"], app.header("authorization")))
    return _change(cart_id, carts.set_address(load(schemas.CartAddressSchema(), body), None, None))


@app.route(CARTS + "/{cart_id}/shipping-methods", absolute=True, methods=["GET"], params=[CART_TOKEN],
           auth="optional", responses={200: "ShippingOffersAnswer"})
def list_cart_shipping_methods(cart_id):
    """The methods that ship this cart to its address, priced as they would be charged, cheapest first."""
    return views.offers_view(carts.show(cart_id, _caller(), app.header("Cart-Token")))


@app.route(CARTS + "/{cart_id}/shipping-method", absolute=True, methods=["PUT"], body="ShippingMethodChoice",
           params=[CART_TOKEN], auth="optional", responses={200: "CartAnswer"}, errors=(409, 422))
def set_cart_shipping_method(cart_id):
    """Choose one of the cart's shipping methods."""
    body = load(schemas.ShippingMethodChoice(), app.json_body())
    return _change(cart_id, carts.set_shipping_method(body["method_id"]))


@app.route(CARTS + "/{cart_id}/promotions", absolute=True, methods=["POST"], body="PromotionCodeSchema",
           params=[CART_TOKEN], auth="optional", responses={200: "CartAnswer"}, errors=(409, 422))
def apply_cart_code(cart_id):
    """Apply a promotion code (409 naming `code` when it does not apply to this cart)."""
    body = load(schemas.PromotionCodeSchema(), app.json_body())
    return _change(cart_id, carts.add_code(body["code"]))


@app.route(CARTS + "/{cart_id}/promotions/{code}", absolute=True, methods=["DELETE"], params=[CART_TOKEN],
           auth="optional", responses={200: "CartAnswer"}, errors=(409,))
def remove_cart_code(cart_id, code):
    """Take a promotion code off the cart."""
    return _change(cart_id, carts.remove_code(code))


# ---------------------------------------------------------------------------- shipping zones (admin)
@app.route("/api/v1/shipping/zones", absolute=True, methods=["GET"], responses={200: Page("ShippingZoneAnswer")})
@require_role("admin")
def list_shipping_zones():
    """Every shipping zone with its methods."""
    return page([views.zone_view(zone) for zone in repository.shipping_zones()], None, "zones")


@app.route("/api/v1/shipping/zones", absolute=True, methods=["POST"], body="ShippingZoneSchema",
           responses={201: "ShippingZoneAnswer"}, errors=(409,))
@require_role("admin")
def create_shipping_zone():
    """A zone: countries, and its methods (flat, by weight band or by subtotal; free above; delivery days)."""
    zone = shipping.save_zone(load(schemas.ShippingZoneSchema(), app.json_body()))
    return json_response(views.zone_view(zone), 201)


@app.route("/api/v1/shipping/zones/{zone_id}", absolute=True, methods=["GET"], responses={200: "ShippingZoneAnswer"})
@require_role("admin")
def get_shipping_zone(zone_id):
    """One zone."""
    return views.zone_view(repository.shipping_zone(zone_id))


@app.route("/api/v1/shipping/zones/{zone_id}", absolute=True, methods=["PUT"], body="ShippingZoneSchema",
           responses={200: "ShippingZoneAnswer"}, errors=(409,))
@require_role("admin")
def replace_shipping_zone(zone_id):
    """Replace a zone's countries and methods."""
    return views.zone_view(shipping.save_zone(load(schemas.ShippingZoneSchema(), app.json_body()), zone_id))


@app.route("/api/v1/shipping/zones/{zone_id}", absolute=True, methods=["DELETE"], responses={204: None})
@require_role("admin")
def delete_shipping_zone(zone_id):
    """Remove a zone (carts shipping there must choose again)."""
    repository.delete_shipping_zone(zone_id)
    return json_response(None, 204)


# ---------------------------------------------------------------------------- the built-in tax table (admin)
@app.route("/api/v1/taxes/rates", absolute=True, methods=["GET"], responses={200: Page("TaxRateAnswer")})
@require_role("admin")
def list_tax_rates():
    """Every row of the built-in tax table."""
    return page([views.tax_rate_view(row) for row in repository.tax_rates()], None, "tax-rates")


@app.route("/api/v1/taxes/rates", absolute=True, methods=["PUT"], body="TaxRateSchema",
           responses={200: "TaxRateAnswer"})
@require_role("admin")
def put_tax_rate():
    """Set a country's (or a region's) rates and whether its prices include tax."""
    return views.tax_rate_view(taxes.save_rate(load(schemas.TaxRateSchema(), app.json_body())))


@app.route("/api/v1/taxes/rates/{country}", absolute=True, methods=["DELETE"], query="TaxRateQuery",
           responses={204: None})
@require_role("admin")
def delete_tax_rate(country):
    """Remove a country's row (?region= for a region's)."""
    query = app.query_params("region")
    repository.delete_tax_rate(country.upper(), (query["region"] or "").upper() or None)
    return json_response(None, 204)


# ---------------------------------------------------------------------------- promotion codes (admin)
@app.route("/api/v1/promotions", absolute=True, methods=["GET"], query="PageQuerySchema",
           responses={200: Page("PromotionAnswer")})
@require_role("admin")
def list_promotions():
    """Every promotion code, by code, with how often it was redeemed."""
    query = app.query_params("limit", "cursor")
    purpose = "promotions"
    promos, last = repository.promotions_page(limit=page_limit(query["limit"]),
                                              start=decode_cursor(query["cursor"], purpose))
    return page([views.promotion_view(p) for p in promos], last, purpose)


@app.route("/api/v1/promotions", absolute=True, methods=["POST"], body="PromotionSchema",
           responses={201: "PromotionAnswer"}, errors=(409,))
@require_role("admin")
def create_promotion():
    """A code: percentage, fixed amount per currency or free shipping; minimum, window, limits, combinable."""
    promo = promotions.create(load(schemas.PromotionSchema(), app.json_body()))
    return json_response(views.promotion_view(promo), 201)


@app.route("/api/v1/promotions/{code}", absolute=True, methods=["GET"], responses={200: "PromotionAnswer"})
@require_role("admin")
def get_promotion(code):
    """One code with its redemption count."""
    promo = repository.promotion(promotions.normalise(code))
    if promo is None:
        raise NotFound("No such promotion.")
    return views.promotion_view(promo)


@app.route("/api/v1/promotions/{code}", absolute=True, methods=["PATCH"], body="PromotionSchema",
           responses={200: "PromotionAnswer"})
@require_role("admin")
def update_promotion(code):
    """Change a code's terms (any fields of the create body but `code`; `active: false` retires it)."""
    body = app.json_body()
    data = load(schemas.PromotionSchema(partial=True), body)
    changed = {name: data[name] for name in promotions.TERMS if isinstance(body, dict) and name in body}
    return views.promotion_view(promotions.update(code, changed))
