"""The price of a cart or an order in the shopper's currency: THE rounding rule, in one place (no I/O).

Catalog prices and shipping rates are net amounts in the base currency (USD). Everything the shopper
sees is in the cart's currency, converted with ONE rate snapshot and rounded with ROUND_HALF_UP to
the currency's step (money.round_to_minor: its minor unit, 0.010 for KWD, BHD and the other three-decimal
currencies, which card gateways charge only in whole tens of fils), each figure rounded once:

  1. Unit price    = the line's fixed price in the cart's currency when the products service has one (as it is:
                     never converted, never rounded; tax contained in it where the market shows prices with
                     tax), else round(base unit price × rate × (1 + tax rate of the line's class, only where
                     the market shows prices with tax)). The same number the catalog shows, tax included
                     where the market expects it (EU, UK, Japan, Australia…), without it elsewhere (US, Canada);
                     "round" is the currency's rounding rule when staff set one (JPY to the nearest 10,
                     CHF to 0.05: money.RoundingRule), else to its minor units. Shipping keeps plain rounding.
  2. Line total    = unit price × quantity (exact). Subtotal = Σ line totals (exact).
  3. Shipping      = round(method's base price × rate × (1 + standard rate, where prices include tax));
                     0 with a free-shipping code.
  4. Discounts     = each code in the order applied: a percentage → round(subtotal × percent / 100);
                     a fixed amount (set per currency) → itself; never more than what is left of the subtotal.
  5. The discount is spread over the tax rates of the lines in proportion to their totals (largest
     remainder, to the step), so each rate's taxable amount is exact.
  6. Tax, per distinct rate: taxable = lines at that rate − their share of the discount (+ shipping, taxed
     at the standard rate); where prices include tax: round(taxable × rate / (1 + rate)) (the tax contained),
     elsewhere round(taxable × rate) (added on top). One tax line per rate.
  7. Total         = subtotal − discount total + shipping total (+ tax total where it is added on top).

So every figure shown adds up to the total to the minor unit, and the total charged is the total shown.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from meridian.money import BASE_CURRENCY, RoundingRule, round_to_minor, shelf_price, step
from meridian.rates import RateSnapshot, rate_text

from .models import AppliedPromotion, ChosenShippingMethod, FxSnapshot, OrderLine, TaxLineAttribute
from .taxes import STANDARD, TaxLine, TaxRates

ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class LineInput:
    """A line to price: what the products service says it costs now (net, base currency)."""
    line_id: str
    product_id: str
    sku: str | None
    name: str | None
    quantity: int
    base_unit_price: Decimal
    tax_class: str = STANDARD
    weight_grams: int = 0
    fixed_unit_price: Decimal | None = None     # the fixed price in the cart's currency (rule 1), if it has one


def fixed_price_in(prices: dict | None, currency: str) -> Decimal | None:
    """A line's fixed price in `currency` from the products service's `fixed_prices` ({currency: amount}), if any."""
    amount = (prices or {}).get(currency)
    return Decimal(str(amount)) if amount is not None else None


def line_input(line_id: str, product_id: str, sku: str | None, quantity: int, product: dict, currency: str
               ) -> LineInput:
    """A line to price from the products service's answer for it (a quote's or a reservation's line): its base
    price, name, tax class, weight, and its fixed price in `currency` if it has one."""
    return LineInput(line_id=line_id, product_id=product_id, sku=sku, name=product.get("name"), quantity=int(quantity),
                     base_unit_price=Decimal(str(product["unit_price"]["amount"])),
                     tax_class=product.get("tax_class") or STANDARD, weight_grams=int(product.get("weight_grams") or 0),
                     fixed_unit_price=fixed_price_in(product.get("fixed_prices"), currency))


@dataclass(frozen=True)
class DiscountTerms:
    """A promotion code as pricing sees it: `percent` of the subtotal, a fixed `amount` in the cart's
    currency, or `free_shipping`."""
    code: str
    kind: str                        # percentage | fixed | free_shipping
    percent: Decimal | None = None
    amount: Decimal | None = None


@dataclass(frozen=True)
class PricedLine:
    line_id: str
    product_id: str
    sku: str | None
    name: str | None
    quantity: int
    tax_class: str
    tax_rate: Decimal
    base_unit_price: Decimal        # net, base currency
    unit_price: Decimal             # cart currency, rounded, tax included where the market shows it
    line_total: Decimal
    fixed: bool = False             # unit_price is the product's fixed price in the cart's currency


@dataclass(frozen=True)
class AppliedDiscount:
    code: str
    kind: str
    amount: Decimal                  # what it takes off (the shipping it saves, for free shipping)


@dataclass(frozen=True)
class Quote:
    currency: str
    lines: list[PricedLine]
    subtotal: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    tax_total: Decimal
    total: Decimal
    tax_included: bool
    taxes: list[TaxLine]
    discounts: list[AppliedDiscount]
    base_total: Decimal              # the lines' net catalog value in the base currency (reporting)
    rate: Decimal                    # units of `currency` per base unit
    extra: dict = field(default_factory=dict, compare=False)

    def digest(self) -> str:
        """What the shopper agreed to: every figure that makes up the total. Any change → another digest."""
        figures = {
            "currency": self.currency,
            "lines": [[line.product_id, line.sku, line.quantity, str(line.unit_price)] for line in self.lines],
            "discounts": [[d.code, str(d.amount)] for d in self.discounts],
            "shipping": str(self.shipping_total),
            "taxes": [[t.name, str(t.rate), str(t.amount)] for t in self.taxes],
            "total": str(self.total),
        }
        return hashlib.sha256(json.dumps(figures, sort_keys=True).encode()).hexdigest()[:32]


unit_price = shelf_price   # rules 1 and 3: a net base amount as the shopper sees it, rounded once


def _discounts(terms: Sequence[DiscountTerms], subtotal: Decimal, shipping: Decimal,
               currency: str) -> tuple[list[AppliedDiscount], Decimal, Decimal]:
    """Rule 4: (applied discounts, discount total, shipping left)."""
    applied, left = [], subtotal
    for term in terms:
        if term.kind == "free_shipping":
            applied.append(AppliedDiscount(term.code, term.kind, shipping))
            shipping = ZERO
            continue
        wanted = (round_to_minor(subtotal * term.percent / HUNDRED, currency) if term.kind == "percentage"
                  else term.amount or ZERO)
        amount = min(wanted, left)
        left -= amount
        applied.append(AppliedDiscount(term.code, term.kind, amount))
    return applied, subtotal - left, shipping


def _spread(total: Decimal, weights: dict[Decimal, Decimal], currency: str) -> dict[Decimal, Decimal]:
    """Rule 5: `total` split over `weights` in proportion, to the step, by largest remainder."""
    whole = sum(weights.values(), ZERO)
    if not total or not whole:
        return {key: ZERO for key in weights}
    unit = step(currency)
    exact = {key: total * weight / whole for key, weight in weights.items()}
    floors = {key: (value // unit) * unit for key, value in exact.items()}
    left = total - sum(floors.values(), ZERO)
    for key in sorted(exact, key=lambda k: (exact[k] - floors[k], weights[k]), reverse=True):
        if left <= 0:
            break
        floors[key] += unit
        left -= unit
    return floors


def price(lines: Sequence[LineInput], *, currency: str, rate: Decimal, tax: TaxRates,
          shipping_base: Decimal | None = None, discounts: Sequence[DiscountTerms] = (),
          rounding: RoundingRule | None = None) -> Quote:
    """The whole quote (rules 1–7) of `lines` in `currency` at `rate` (units per base unit); `rounding`: the
    currency's price-rounding rule (RateSnapshot.rounding), applied to unit prices as the catalog does."""
    included = tax.included
    priced = []
    for line in lines:
        line_rate = tax.rate_for(line.tax_class)
        fixed = line.fixed_unit_price is not None
        unit = line.fixed_unit_price if fixed else unit_price(line.base_unit_price, rate, currency,
                                                              tax_rate=line_rate if included else ZERO,
                                                              rounding=rounding)
        priced.append(PricedLine(line_id=line.line_id, product_id=line.product_id, sku=line.sku, name=line.name,
                                 quantity=line.quantity, tax_class=line.tax_class, tax_rate=line_rate,
                                 base_unit_price=line.base_unit_price, unit_price=unit,
                                 line_total=unit * line.quantity, fixed=fixed))
    subtotal = sum((line.line_total for line in priced), ZERO)
    standard = tax.rate_for(STANDARD)
    shipping = (unit_price(shipping_base, rate, currency, tax_rate=standard if included else ZERO)
                if shipping_base is not None else ZERO)
    applied, discount_total, shipping = _discounts(discounts, subtotal, shipping, currency)

    by_rate: dict[Decimal, Decimal] = {}
    for line in priced:
        by_rate[line.tax_rate] = by_rate.get(line.tax_rate, ZERO) + line.line_total
    shares = _spread(discount_total, by_rate, currency)
    taxable = {r: amount - shares[r] for r, amount in by_rate.items()}
    if shipping:
        taxable[standard] = taxable.get(standard, ZERO) + shipping
    taxes = []
    for tax_rate in sorted(taxable, reverse=True):
        if tax_rate <= 0 or taxable[tax_rate] <= 0:
            continue
        contained = taxable[tax_rate] * tax_rate / (1 + tax_rate) if included else taxable[tax_rate] * tax_rate
        taxes.append(TaxLine(name=tax.name, rate=tax_rate, amount=round_to_minor(contained, currency)))
    tax_total = sum((t.amount for t in taxes), ZERO)
    total = subtotal - discount_total + shipping + (ZERO if included else tax_total)
    base_total = sum((line.base_unit_price * line.quantity for line in priced), ZERO)
    return Quote(currency=currency, lines=priced, subtotal=subtotal, discount_total=discount_total,
                 shipping_total=shipping, tax_total=tax_total, total=total, tax_included=included, taxes=taxes,
                 discounts=applied, base_total=base_total, rate=rate)


def order_fields(quote: Quote, snapshot: RateSnapshot, method=None) -> dict:
    """What an order stores of its quote: the lines, every figure of the total, and the rate it is charged at."""
    return {
        "items": [OrderLine(line_id=line.line_id, product_id=line.product_id, sku=line.sku, name=line.name,
                            quantity=line.quantity,
                            base_unit_price=format(line.base_unit_price, "f"), unit_price=format(line.unit_price, "f"),
                            line_total=format(line.line_total, "f")) for line in quote.lines],
        "total": quote.total, "base_total": quote.base_total, "subtotal": quote.subtotal,
        "discount_total": quote.discount_total, "shipping_total": quote.shipping_total, "tax_total": quote.tax_total,
        "tax_included": quote.tax_included,
        "taxes": [TaxLineAttribute(name=t.name, rate=rate_text(t.rate), amount=format(t.amount, "f"))
                  for t in quote.taxes],
        "shipping_method": ChosenShippingMethod(
            id=method.id, name=method.name, amount=format(quote.shipping_total, "f"), min_days=method.min_days,
            max_days=method.max_days) if method else None,
        "promotions": [AppliedPromotion(code=d.code, kind=d.kind, amount=format(d.amount, "f"))
                       for d in quote.discounts],
        "fx": FxSnapshot(snapshot_id=snapshot.snapshot_id or None, rate=rate_text(quote.rate), as_of=snapshot.as_of,
                         source=snapshot.pair_source(BASE_CURRENCY, quote.currency), stale=snapshot.is_stale(),
                         base_currency=BASE_CURRENCY),
    }


def breakdown(quote: Quote) -> dict:
    """The figures of the total as the payment records them (amounts as strings in the quote's currency)."""
    return {"subtotal": format(quote.subtotal, "f"), "discount_total": format(quote.discount_total, "f"),
            "shipping_total": format(quote.shipping_total, "f"), "tax_total": format(quote.tax_total, "f"),
            "tax_included": quote.tax_included,
            "taxes": [{"name": t.name, "rate": rate_text(t.rate), "amount": format(t.amount, "f")}
                      for t in quote.taxes],
            "lines": [{"product_id": line.product_id, "sku": line.sku, "name": line.name, "quantity": line.quantity,
                       "unit_price": format(line.unit_price, "f"), "line_total": format(line.line_total, "f")}
                      for line in quote.lines]}


__all__ = ["AppliedDiscount", "DiscountTerms", "LineInput", "PricedLine", "Quote", "breakdown", "fixed_price_in",
           "line_input", "order_fields", "price", "unit_price"]
