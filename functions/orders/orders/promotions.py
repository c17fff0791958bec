"""Promotion codes: when one applies, what it takes off, and redeeming it exactly once.

A code takes a percentage off the subtotal, a fixed amount (set per currency: a currency without an amount
cannot use it), or the shipping. It applies when it is active, inside its window [starts_at, ends_at), the
cart's subtotal reaches its minimum for the cart's currency (a currency without a minimum has none), its
total usage limit is not reached and the customer is under their own limit. One code per order unless every
code on it is combinable.

Redemption (checkout): a redemption record per (code, order), then ONE conditional update of the code's count
(limit, window, active in the condition), then one of the customer's count: concurrent checkouts can never
pass the limit (100 racing checkouts on a code limited to 10 → exactly 10 orders). A step refused undoes the
steps before it. Giving back (the order cancelled, or its payment failed) deletes the redemption record
first, so only one give-back ever counts down.
"""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from meridian.clock import iso
from meridian.errors import Conflict, NotFound
from meridian.observability import count, logger

from . import repository
from .models import PromotionModel
from .pricing import DiscountTerms

PERCENTAGE, FIXED, FREE_SHIPPING = "percentage", "fixed", "free_shipping"
KINDS = (PERCENTAGE, FIXED, FREE_SHIPPING)


class PromotionRefused(Conflict):
    type_slug = "promotion-not-applicable"

    def __init__(self, code: str, reason: str):
        super().__init__(f"Code {code} cannot be used: {reason}.", code=code, reason=reason)
        self.code, self.reason = code, reason


def per_currency(promo: PromotionModel, name: str) -> dict[str, str]:
    """A code's `amounts` or `minimum_subtotal`: currency → amount."""
    value = getattr(promo, name)
    return value.as_dict() if hasattr(value, "as_dict") else dict(value or {})


def normalise(code: str) -> str:
    return code.strip().upper()


def why_not(promo: PromotionModel | None, *, currency: str, subtotal: Decimal, customer: str | None,
            now: str | None = None) -> str | None:
    """Why `promo` does not apply to a cart (a short reason), or None when it does."""
    reason = unavailable(promo, now or iso())
    if reason or promo is None:
        return reason
    if promo.kind == FIXED and currency not in per_currency(promo, "amounts"):
        return f"not offered in {currency}"
    minimum = per_currency(promo, "minimum_subtotal").get(currency)
    if minimum is not None and subtotal < Decimal(str(minimum)):
        return f"needs a subtotal of at least {minimum} {currency}"
    if customer and promo.per_customer_limit is not None and \
            repository.customer_uses(promo.code, customer) >= promo.per_customer_limit:
        return "already used"
    return None


def unavailable(promo: PromotionModel | None, now: str) -> str | None:
    """Why nobody can use `promo` now, or None."""
    if promo is None or not promo.active:
        return "unknown code"
    if promo.starts_at and now < promo.starts_at:
        return "not valid yet"
    if promo.ends_at and now >= promo.ends_at:
        return "expired"
    if promo.usage_limit is not None and promo.redeemed >= promo.usage_limit:
        return "fully redeemed"
    return None


def combination_refused(promos: Sequence[PromotionModel]) -> str | None:
    """Why these codes cannot go on one order together, or None."""
    if len(promos) > 1 and not all(p.combinable for p in promos):
        return "only one code per order (this one is not combinable)"
    return None


def terms(promo: PromotionModel, currency: str) -> DiscountTerms:
    """What pricing needs of a code that applies."""
    if promo.kind == PERCENTAGE:
        return DiscountTerms(promo.code, PERCENTAGE, percent=promo.percent)
    if promo.kind == FIXED:
        return DiscountTerms(promo.code, FIXED, amount=Decimal(per_currency(promo, "amounts")[currency]))
    return DiscountTerms(promo.code, FREE_SHIPPING)


def redeem(codes: Sequence[str], *, order_id: str, customer: str) -> None:
    """Redeem every code for the order, or none (PromotionRefused naming the first that ran out)."""
    done: list[str] = []
    try:
        for code in codes:
            _redeem_one(code, order_id=order_id, customer=customer)
            done.append(code)
    except BaseException:
        give_back(done, order_id=order_id)
        raise


def _redeem_one(code: str, *, order_id: str, customer: str) -> None:
    now = iso()
    if not repository.take_redemption(code, order_id, customer, now):
        return                                          # this order holds it already (a repeat)
    promo = repository.promotion(code)
    if promo is None or not repository.count_redemption(code, now):
        repository.drop_redemption(code, order_id)
        count("PromotionsExhausted")
        raise PromotionRefused(code, unavailable(repository.promotion(code), now) or "fully redeemed")
    if not repository.count_customer_use(code, customer, promo.per_customer_limit):
        repository.drop_redemption(code, order_id)
        repository.uncount_redemption(code)
        raise PromotionRefused(code, "already used")
    count("PromotionsRedeemed")


def give_back(codes: Sequence[str], *, order_id: str) -> None:
    """Return the order's codes (each at most once, however often this runs)."""
    for code in codes:
        customer = repository.drop_redemption(code, order_id)
        if customer is None:
            continue
        repository.uncount_redemption(code)
        repository.uncount_customer_use(code, customer)
        count("PromotionsGivenBack")
        logger.info("promotion given back", extra={"code": code, "order_id": order_id})


# ---------------------------------------------------------------------------- managing codes (admin)
TERMS = ("kind", "percent", "amounts", "minimum_subtotal", "starts_at", "ends_at", "usage_limit",
         "per_customer_limit", "combinable", "active")


def _stored(name: str, value):
    if name in ("amounts", "minimum_subtotal"):
        return {currency: format(amount, "f") for currency, amount in (value or {}).items()}
    if name in ("starts_at", "ends_at") and value is not None:
        return iso(value)
    return value


def create(data: dict) -> PromotionModel:
    """A new code from a validated PromotionSchema body; 409 naming `code` when it exists."""
    code, now = normalise(data["code"]), iso()
    promo = PromotionModel(PromotionModel.key(code), "PROMO", code=code, redeemed=0, created_at=now, updated_at=now,
                           **{name: _stored(name, data.get(name)) for name in TERMS})
    if not repository.create_promotion(promo):
        raise Conflict(f"Code {code} exists.", errors={"code": ["This code exists."]})
    return promo


def update(code: str, data: dict) -> PromotionModel:
    """Change a code's terms (a partial PromotionSchema body); its redemption count is not the admin's to set."""
    promo = repository.promotion(normalise(code))
    if promo is None:
        raise NotFound("No such promotion.")
    actions = [getattr(PromotionModel, name).set(_stored(name, data[name])) if data[name] is not None
               else getattr(PromotionModel, name).remove() for name in TERMS if name in data]
    repository.save_promotion_terms(promo, [*actions, PromotionModel.updated_at.set(iso())])
    return repository.promotion(promo.code)
