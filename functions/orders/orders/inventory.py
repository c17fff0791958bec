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


def _extra(body) -> dict:
    body = body if isinstance(body, dict) else {}
    return {k: body[k] for k in ("product_id", "sku", "reason", "requested", "available") if k in body}


def reserve(reservation_id: str, items: list[dict], ttl_seconds: int) -> dict:
    """Hold stock for every line (or none). Conflict (409) when stock is short."""
    lines = [{"product_id": str(i["product_id"]), "quantity": i["quantity"],
              **({"sku": i["sku"]} if i.get("sku") else {})} for i in items]
    response = client().post("/internal/reservations", internal=True,
                             json={"reservation_id": reservation_id, "items": lines, "ttl_seconds": ttl_seconds})
    body = response.body if isinstance(response.body, dict) else {}
    if response.ok:
        return body
    detail = body.get("detail") or f"products answered {response.status}"
    if response.status == 409:
        count("CheckoutsOutOfStock")
        raise Conflict(detail, **_extra(body))
    if response.status in (400, 404):
        errors = body.get("errors") or {"items": [detail]}
        raise ValidationFailed({f"items.{k}" if not k.startswith("items") else k: v for k, v in errors.items()})
    if response.status == 422:
        raise Unprocessable(detail)
    raise ServiceUnavailable(f"The products service could not reserve stock ({response.status}).", retry_after=5)


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
