"""Stock through the products service's internal reservations API."""
from __future__ import annotations

from meridian.clients import ServiceClient
from meridian.errors import Conflict, ServiceUnavailable, Unprocessable, ValidationFailed
from meridian.observability import count, logger

_client: ServiceClient | None = None


def client() -> ServiceClient:
    global _client
    if _client is None:
        _client = ServiceClient("products")
    return _client


def reserve(reservation_id: str, items: list[dict], ttl_seconds: int) -> dict:
    """Hold stock for every line (or none). Conflict (409) when stock is short; ValidationFailed (400)
    with the lines' errors (under items.) for unknown products or bad lines; Unprocessable (422)."""
    lines = [{"product_id": str(i["product_id"]), "quantity": i["quantity"],
              **({"sku": i["sku"]} if i.get("sku") else {})} for i in items]
    response = client().post("/internal/reservations", internal=True,
                             json={"reservation_id": reservation_id, "items": lines, "ttl_seconds": ttl_seconds})
    if response.status == 409:
        count("CheckoutsOutOfStock")
    return response.result("reserve stock", errors={409: Conflict, 400: ValidationFailed, 404: ValidationFailed,
                                                    422: Unprocessable},
                           field="items", members=("product_id", "sku", "reason", "requested", "available"),
                           shape=dict)


def _settle(action: str, reservation_id: str) -> bool:
    try:
        response = client().post(f"/internal/reservations/{reservation_id}/{action}", internal=True, json={})
    except ServiceUnavailable:
        logger.warning(f"could not {action} reservation", extra={"reservation_id": reservation_id})
        raise
    if not response.ok:
        logger.warning(f"products refused to {action} reservation",
                       extra={"reservation_id": reservation_id, "status": response.status})
    return response.ok


def release(reservation_id: str) -> bool:
    """Give the reserved stock back (idempotent)."""
    return _settle("release", reservation_id)


def commit(reservation_id: str) -> bool:
    """The reserved stock is sold (idempotent)."""
    return _settle("commit", reservation_id)
