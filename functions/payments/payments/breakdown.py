"""A payment's price breakdown: what the amount charged is made of (orders' pricing: subtotal, discounts,
shipping, taxes, lines), so the payment shows the same figures as the order.

Decides that a breakdown is consistent with the amount charged (else 422 naming `breakdown`):
subtotal − discount_total + shipping_total (+ tax_total unless tax_included) == amount, and the taxes
add up to tax_total. Its amounts fit the currency's minor units (schemas.CreateIntentRequest, 400 per field).
Also its one canonical form (amounts at the currency's minor units, rates as plain decimal strings) and
its digest, which the order's claim keeps so a repeat with another breakdown is refused like another amount.
"""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from meridian.errors import Unprocessable
from meridian.money import round_to_minor
from meridian.rates import rate_text

ZERO = Decimal(0)
BREAKDOWN_TOTALS = ("subtotal", "discount_total", "shipping_total", "tax_total")


def checked(breakdown: dict | None, *, amount: Decimal, currency: str) -> dict | None:
    """The breakdown (as CreateIntentRequest loaded it) in canonical form, or None for an older caller;
    Unprocessable (422, naming `breakdown`) when it does not add up to `amount` or its taxes to tax_total."""
    if breakdown is None:
        return None
    canonical = _canonical(breakdown, currency)
    problems = []
    charged = (canonical["subtotal"] - canonical["discount_total"] + canonical["shipping_total"]
               + (ZERO if canonical["tax_included"] else canonical["tax_total"]))
    if charged != amount:
        included = "" if canonical["tax_included"] else " + tax_total"
        problems.append(f"subtotal − discount_total + shipping_total{included} is {charged} {currency}, "
                        f"not the amount {format(amount, 'f')} {currency}.")
    taxes = sum((tax["amount"] for tax in canonical["taxes"]), ZERO)
    if taxes != canonical["tax_total"]:
        problems.append(f"The taxes add up to {taxes} {currency}, not tax_total {canonical['tax_total']} {currency}.")
    if problems:
        raise Unprocessable("The breakdown does not add up to the amount.", errors={"breakdown": problems})
    return canonical


def digest(breakdown: dict | None) -> str | None:
    """A fingerprint of a canonical breakdown (None for none): equal breakdowns, equal digests."""
    if breakdown is None:
        return None
    text = json.dumps(breakdown, sort_keys=True, default=lambda value: format(value, "f"), separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def metadata(breakdown: dict | None) -> dict[str, str]:
    """What the gateway's intent carries of it (a description only; amounts are never changed)."""
    if breakdown is None:
        return {}
    return {"tax_total": format(breakdown["tax_total"], "f"), "tax_included": str(breakdown["tax_included"]).lower()}


def _canonical(breakdown: dict, currency: str) -> dict:
    def money(value: Decimal) -> Decimal:
        return round_to_minor(value, currency)

    return {**{name: money(breakdown[name]) for name in BREAKDOWN_TOTALS},
            "tax_included": breakdown["tax_included"],
            "taxes": [{"name": tax["name"], "rate": rate_text(tax["rate"]), "amount": money(tax["amount"])}
                      for tax in breakdown["taxes"]],
            "lines": [{"product_id": line["product_id"], "sku": line["sku"], "name": line["name"],
                       "quantity": line["quantity"], "unit_price": money(line["unit_price"]),
                       "line_total": money(line["line_total"])} for line in breakdown["lines"]]}
