"""Order totals in the shopper's currency: the ONE rounding rule (see ../README.md).

Rule: PER LINE, at the unit. Each unit price (USD, from the products service) is
converted with the order's single FX snapshot and rounded once to the order currency's
minor units (ROUND_HALF_UP) — the same number the catalog shows for that product in that
currency. A line total is that unit price × quantity (exact, no further rounding) and the
order total is the sum of the line totals (exact). So every figure on the order adds up
to the charged total to the last minor unit, and it matches the prices the shopper saw.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from meridian import fx
from meridian.money import BASE_CURRENCY, Money, UnknownCurrency
from meridian.rates import NoRate, RateSnapshot, rate_text

from .models import FxSnapshot, OrderLine


@dataclass(frozen=True)
class PricedLine:
    product_id: str
    sku: str | None
    name: str | None
    quantity: int
    base_unit_price: Money       # USD
    unit_price: Money            # order currency, rounded
    line_total: Money            # unit_price × quantity


@dataclass(frozen=True)
class PricedOrder:
    lines: list[PricedLine]
    total: Money
    base_total: Money
    rate: Decimal
    snapshot_id: str
    as_of: str
    source: str
    stale: bool


def price_lines(reserved: list[dict], currency: str, snapshot: RateSnapshot) -> PricedOrder:
    """Price reserved lines ({product_id, sku, name, quantity, unit_price:{amount, currency}}) in `currency`."""
    lines: list[PricedLine] = []
    rate = None
    stale = snapshot.is_stale()
    for item in reserved:
        base = Money(Decimal(str(item["unit_price"]["amount"])), item["unit_price"].get("currency", BASE_CURRENCY))
        try:
            conversion = snapshot.convert(base.amount, base.currency, currency)
        except (UnknownCurrency, NoRate):
            raise fx.UnsupportedCurrency(currency) from None
        rate = conversion.rate
        quantity = int(item["quantity"])
        unit = conversion.amount                                  # rounded once, per unit
        lines.append(PricedLine(product_id=item["product_id"], sku=item.get("sku"), name=item.get("name"),
                                quantity=quantity, base_unit_price=base, unit_price=unit,
                                line_total=unit.times(quantity)))
    total = Money(sum((line.line_total.amount for line in lines), Decimal(0)), currency)
    base_total = Money(sum((line.base_unit_price.amount * line.quantity for line in lines), Decimal(0)),
                       BASE_CURRENCY)
    if rate is None:
        rate = snapshot.rate(BASE_CURRENCY, currency)
    return PricedOrder(lines=lines, total=total, base_total=base_total, rate=rate,
                       snapshot_id=snapshot.snapshot_id, as_of=snapshot.as_of, source=snapshot.source, stale=stale)


def price(reserved: list[dict], currency: str) -> PricedOrder:
    """Price with the current FX snapshot (one snapshot for the whole order)."""
    return price_lines(reserved, currency, fx.snapshot())


def order_fields(priced: PricedOrder) -> dict:
    """What an order stores of its pricing: the lines, the totals and the rate it is charged at."""
    return {
        "items": [OrderLine(product_id=line.product_id, sku=line.sku, name=line.name, quantity=line.quantity,
                            base_unit_price=format(line.base_unit_price.amount, "f"),
                            unit_price=format(line.unit_price.amount, "f"),
                            line_total=format(line.line_total.amount, "f")) for line in priced.lines],
        "total": priced.total.amount, "base_total": priced.base_total.amount,
        "fx": FxSnapshot(snapshot_id=priced.snapshot_id or None, rate=rate_text(priced.rate), as_of=priced.as_of,
                         source=priced.source, stale=priced.stale, base_currency=priced.base_total.currency)}
