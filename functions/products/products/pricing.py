"""Prices in the shopper's currency and market: converted with the localization rate client (meridian.fx),
with tax where the market shows prices with it (meridian.money.shelf_price: the cart's and the order's rule).

The stored base price (USD, net) never changes with FX or tax: both apply on every read, rounding once to the
target currency's minor units. The market is the country the shopper's locale and currency point to
(meridian.markets: de/EUR → DE, en-US → US); its rates are orders' tax table (market_taxes.py). When no rate
snapshot can be had at all, prices in the base currency itself are still served (rate 1); any other currency
answers 503 with Retry-After.

A fixed price (stock.fixed_prices_of: a product's or a variant's own price in one currency) is the price on the
shelf in that currency as it stands: never converted, never rounded, tax included as the market shows it. It
wins over conversion before any rate is read (`fx` says `source: "fixed"`, no rate), so rounding rules of the
conversion path never touch it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from meridian import fx, markets
from meridian.clock import iso
from meridian.errors import ServiceUnavailable
from meridian.money import BASE_CURRENCY, Money, shelf_price
from meridian.rates import rate_text

from . import market_taxes

RATE_OF_CLASS = {"standard": "standard", "reduced": "reduced"}    # the zero class pays none


@dataclass(frozen=True)
class Shelf:
    """How a shopper sees prices: in `currency`, with tax where their market shows prices with it."""
    currency: str
    tax: dict | None = None        # the market's rates (market_taxes.for_country), None when unknown

    @classmethod
    def of(cls, locale: str, currency: str) -> Shelf:
        country = markets.home_country(locale, currency)
        return cls(currency, market_taxes.for_country(country) if country else None)

    def tax_rate(self, tax_class: str) -> Decimal:
        """The rate added to the shown price of goods of `tax_class` (0 where prices are shown without tax)."""
        if not self.tax or not self.tax.get("included") or tax_class not in RATE_OF_CLASS:
            return Decimal(0)
        return Decimal(self.tax[RATE_OF_CLASS[tax_class]])

    def tax_view(self, tax_class: str) -> dict:
        """What the price includes: {included, rate?, name?, country?}."""
        rate = self.tax_rate(tax_class)
        if not self.tax or not self.tax.get("included"):
            return {"included": False, "country": (self.tax or {}).get("country")}
        return {"included": True, "rate": rate_text(rate), "name": self.tax["name"], "country": self.tax["country"]}


FIXED_SOURCE = "fixed"


def fixed_fx() -> dict:
    """The fx block of a fixed price: no conversion, so no rate."""
    return {"rate": None, "as_of": None, "source": FIXED_SOURCE, "stale": False}


def price(amount: Decimal, shelf: Shelf, tax_class: str = "standard", base: str = BASE_CURRENCY,
          fixed: Mapping[str, Decimal] | None = None) -> tuple[dict, dict]:
    """(price {amount, currency}, fx {rate, as_of, source, stale}) of a net base-currency amount on `shelf`;
    `fixed`: the unit's fixed prices (currency → amount), the one in the shelf's currency wins as it is."""
    currency = shelf.currency
    if fixed and fixed.get(currency) is not None:
        return Money(fixed[currency], currency).to_json(), fixed_fx()
    try:
        conversion = fx.convert(amount, base, currency)
        rate, fx_block, rounding = conversion.rate, conversion.fx_json(), fx.rounding(currency)
    except ServiceUnavailable:
        if currency != base:
            raise
        rate, fx_block, rounding = Decimal(1), {"rate": "1", "as_of": iso(), "source": "identity", "stale": False}, None
    amount_shown = shelf_price(amount, rate, currency, tax_rate=shelf.tax_rate(tax_class), rounding=rounding)
    return Money(amount_shown, currency).to_json(), fx_block


def base_price(amount: Decimal, base: str = BASE_CURRENCY) -> dict:
    return Money.of(amount, base).to_json()


def fixed_prices_json(prices: Mapping[str, Decimal]) -> dict[str, str]:
    """Fixed prices as the API shows them: currency → amount string ("2500", "21.90")."""
    return {code: Money(amount, code).to_json()["amount"] for code, amount in sorted(prices.items())}
