"""The admin dashboard: orders by status, revenue per currency, FX freshness, queue depths.

Each part comes from its owner; a part whose owner is down is reported as unavailable
instead of failing the whole dashboard.
"""
from __future__ import annotations

from meridian.clients import ServiceClient
from meridian.errors import DomainError

from . import queues


def _part(service: str, path: str, action: str) -> dict:
    try:
        body = ServiceClient(service, attempts=1).get(path, internal=True).result(action)
    except DomainError as exc:
        return {"available": False, "detail": exc.detail}
    return {"available": True, **(body if isinstance(body, dict) else {})}


def dashboard() -> dict:
    orders = _part("orders", "/internal/stats", "report order statistics")
    fx = _part("localization", "/rates?base=USD", "report exchange rates")
    return {
        "orders_by_status": orders.get("orders_by_status") if orders["available"] else None,
        "revenue": orders.get("revenue") if orders["available"] else None,
        "fx": {"available": fx["available"], "as_of": fx.get("as_of"), "source": fx.get("source"),
               "stale": fx.get("stale")},
        "queues": queues.depths(),
    }
