"""The admin service's call to the orders service (its internal API, through ServiceClient)."""
from __future__ import annotations

from typing import Any

from meridian.clients import ServiceClient


def stats() -> Any:
    """Orders by status and revenue per currency (GET /api/v1/orders/internal/stats); one attempt: the
    dashboard reports the part as unavailable instead of waiting (a DomainError when orders cannot answer)."""
    return ServiceClient("orders", attempts=1).get("/internal/stats", internal=True).result("report order statistics")
