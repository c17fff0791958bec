"""Typed errors of the products service (mapped to problem+json by meridian.api)."""
from __future__ import annotations

from meridian.errors import Conflict, DomainError, NotFound


class ProductNotFound(NotFound):
    def __init__(self, product_id: str):
        super().__init__(f"Product {product_id} does not exist.", product_id=product_id)


class VariantNotFound(NotFound):
    def __init__(self, product_id: str, sku: str):
        super().__init__(f"Product {product_id} has no variant {sku!r}.", product_id=product_id, sku=sku)


class SlugTaken(Conflict):
    type_slug = "slug-taken"

    def __init__(self, slug: str, locale: str | None = None):
        where = f" in {locale}" if locale else ""
        super().__init__(f"The slug {slug!r} is already used by another product{where}.", slug=slug)


class SkuTaken(Conflict):
    type_slug = "sku-taken"

    def __init__(self, sku: str):
        super().__init__(f"The SKU {sku!r} is already used by another product.", sku=sku)


class StockUnavailable(Conflict):
    """A reservation line cannot be held: not enough stock, or the product is not for sale."""
    type_slug = "insufficient-stock"

    def __init__(self, product_id: str, sku: str | None, reason: str, requested: int, available: int):
        what = f"{product_id}" + (f" (SKU {sku})" if sku else "")
        detail = (f"Not enough stock for product {what}: {requested} requested, {available} available."
                  if reason == "insufficient_stock" else f"Product {what} is not available for sale.")
        super().__init__(detail, product_id=product_id, sku=sku, reason=reason, requested=requested,
                         available=available)


class ReservationNotFound(NotFound):
    def __init__(self, reservation_id: str):
        super().__init__(f"Reservation {reservation_id} does not exist.", reservation_id=reservation_id)


class ReservationStateConflict(Conflict):
    type_slug = "reservation-state"

    def __init__(self, reservation_id: str, status: str, detail: str):
        super().__init__(detail, reservation_id=reservation_id, reservation_status=status)


class StockInconsistent(DomainError):
    """A held reservation whose product has no matching hold (never happens while every change is a
    transaction): nothing is changed, the reservation is left for an operator."""
