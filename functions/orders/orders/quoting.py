"""A cart's live quote: what it costs now, gathered from the services that know, priced by pricing.py.

    lines      the products service's price, name (in the cart's locale), weight, tax class and stock now
    rate       ONE exchange-rate snapshot (meridian.fx)
    taxes      the destination's rates (taxes.engine()): the shipping address, else the market the cart's
               locale and currency point to (meridian.markets: de/EUR → DE) until there is one
    shipping   the chosen method's price for this cart (shipping.py)
    codes      the codes that still apply (promotions.py)

Anything that stopped applying is left out of the figures and named in `warnings`: a line that is no longer
for sale or short of stock, a unit price that changed since the shopper last saw it, a code that no longer
applies, a shipping method that no longer ships the cart. Checkout refuses a quote with warnings or one
whose figures differ from the last shown (pricing.Quote.digest).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from meridian import fx, markets
from meridian.money import BASE_CURRENCY, UnknownCurrency
from meridian.rates import NoRate, RateSnapshot

from . import pricing, products_api, promotions, repository, shipping, taxes
from .models import CartModel

OUT_OF_STOCK, UNAVAILABLE, PRICE_CHANGED = "out_of_stock", "unavailable", "price_changed"
PROMOTION_NOT_APPLICABLE, SHIPPING_UNAVAILABLE = "promotion_not_applicable", "shipping_method_unavailable"


@dataclass
class CartQuote:
    cart: CartModel
    quote: pricing.Quote
    snapshot: RateSnapshot
    tax: taxes.TaxRates
    offers: list[shipping.MethodOffer]
    method: shipping.MethodOffer | None
    items: dict[str, dict]                        # line id → the products service's answer
    warnings: list[dict] = field(default_factory=list)

    @property
    def blocking(self) -> list[dict]:
        """Warnings checkout refuses (a changed price is fine once shown: the digest covers it)."""
        return [w for w in self.warnings if w["code"] != PRICE_CHANGED]


def destination(cart: CartModel) -> tuple[str | None, str | None]:
    """(country, region) the cart's taxes and shipping are for."""
    address = cart.shipping_address
    if address is not None:
        return address.country, address.region
    return markets.home_country(cart.locale, cart.currency), None


def customer_of(cart: CartModel) -> str | None:
    """Whose use of a code a checkout of this cart counts: the customer, else the guest's e-mail."""
    if cart.owner:
        return cart.owner
    return repository.guest_id(cart.email) if cart.email else None


def rate_of(snapshot: RateSnapshot, currency: str) -> Decimal:
    """Units of `currency` per base unit in `snapshot`; 400 naming `currency` when it has no rate or the shop
    does not sell in it (any more)."""
    if not snapshot.is_sold(currency):
        raise fx.UnsupportedCurrency(currency, reason="is not sold in this shop")
    try:
        return snapshot.rate(BASE_CURRENCY, currency)
    except (UnknownCurrency, NoRate):
        raise fx.UnsupportedCurrency(currency) from None


def _line_inputs(cart: CartModel, warnings: list[dict]) -> tuple[list[pricing.LineInput], dict[str, dict]]:
    answers = products_api.quote([{"product_id": line.product_id, "sku": line.sku} for line in cart.lines],
                                 cart.locale) if cart.lines else []
    inputs, items = [], {}
    for line, info in zip(cart.lines, answers, strict=True):
        items[line.id] = info
        if not info.get("found") or not info.get("for_sale"):
            warnings.append({"code": UNAVAILABLE, "line_id": line.id, "message": "No longer for sale."})
            continue
        if int(line.quantity) > int(info.get("available") or 0):
            warnings.append({"code": OUT_OF_STOCK, "line_id": line.id, "available": int(info.get("available") or 0),
                             "message": f"Only {int(info.get('available') or 0)} left."})
        inputs.append(pricing.line_input(line.id, line.product_id, line.sku, int(line.quantity), info, cart.currency))
    return inputs, items


def _weight_and_value(lines: list[pricing.LineInput]) -> tuple[int, Decimal]:
    return (sum(line.weight_grams * line.quantity for line in lines),
            sum((line.base_unit_price * line.quantity for line in lines), Decimal(0)))


def shipping_offers(cart: CartModel) -> list[shipping.MethodOffer]:
    """The methods that ship this cart to its address."""
    return shipping_offers_for(cart, _line_inputs(cart, [])[0])


def shipping_offers_for(cart: CartModel, lines: list[pricing.LineInput]) -> list[shipping.MethodOffer]:
    """The methods that ship these lines to the cart's address (none without an address or lines)."""
    if cart.shipping_address is None or not lines:
        return []
    weight, value = _weight_and_value(lines)
    return shipping.offers(cart.shipping_address.country, weight_grams=weight, base_subtotal=value)


def quote(cart: CartModel) -> CartQuote:
    warnings: list[dict] = []
    lines, items = _line_inputs(cart, warnings)
    snapshot = fx.snapshot()
    rate = rate_of(snapshot, cart.currency)
    country, region = destination(cart)
    tax = taxes.engine().rates(country, region) if country else taxes.NO_TAX

    offers = shipping_offers_for(cart, lines)
    method = next((o for o in offers if o.method.id == cart.shipping_method_id), None)
    if cart.shipping_method_id and method is None:
        warnings.append({"code": SHIPPING_UNAVAILABLE, "method_id": cart.shipping_method_id,
                         "message": "This shipping method no longer ships this cart; choose another."})

    rounding = snapshot.rounding(cart.currency)
    undiscounted = pricing.price(lines, currency=cart.currency, rate=rate, tax=tax, rounding=rounding)
    applying, customer = [], customer_of(cart)
    for code in cart.promotion_codes:
        promo = repository.promotion(code)
        reason = promotions.why_not(promo, currency=cart.currency, subtotal=undiscounted.subtotal, customer=customer)
        if reason:
            warnings.append({"code": PROMOTION_NOT_APPLICABLE, "promotion_code": code, "message": reason})
        else:
            applying.append(promotions.terms(promo, cart.currency))

    priced = pricing.price(lines, currency=cart.currency, rate=rate, tax=tax, rounding=rounding,
                           shipping_base=method.base_price if method else None, discounts=applying)
    for line in priced.lines:
        seen = next((c.seen_unit_price for c in cart.lines if c.id == line.line_id), None)
        if seen is not None and Decimal(seen) != line.unit_price:
            warnings.append({"code": PRICE_CHANGED, "line_id": line.line_id,
                             "was": {"amount": seen, "currency": cart.currency},
                             "message": "The price changed since you last saw it."})
    return CartQuote(cart=cart, quote=priced, snapshot=snapshot, tax=tax, offers=offers, method=method, items=items,
                     warnings=warnings)


def remember_shown(cart: CartModel, quoted: CartQuote) -> bool:
    """Record on the cart what the shopper is being shown (unit prices and the quote's digest); whether
    anything changed (the caller saves the cart)."""
    changed = cart.seen_digest != quoted.quote.digest()
    cart.seen_digest = quoted.quote.digest()
    prices = {line.line_id: format(line.unit_price, "f") for line in quoted.quote.lines}
    for line in cart.lines:
        if line.id in prices and line.seen_unit_price != prices[line.id]:
            line.seen_unit_price, changed = prices[line.id], True
    return changed
