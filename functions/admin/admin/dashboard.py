"""The admin dashboard: orders by status, revenue per currency, FX freshness, queue depths.

Each part comes from its owner; a part whose owner is down is reported as unavailable
instead of failing the whole dashboard.
"""
from __future__ import annotations

from meridian.clients import ServiceClient
from meridian.errors import DomainError

from . import queues


def _part(service: str, path: str) -> dict:
    try:
        response = ServiceClient(service, attempts=1).get(path, internal=True)
    except DomainError as exc:
        return {"available": False, "detail": exc.detail}
    if not response.ok:
        return {"available": False, "detail": f"{service} answered {response.status}"}
    return {"available": True, **(response.body or {})}


def dashboard() -> dict:
    orders = _part("orders", "/internal/stats")
    fx = _part("localization", "/rates?base=USD")
    return {
        "orders_by_status": orders.get("orders_by_status") if orders["available"] else None,
        "revenue": orders.get("revenue") if orders["available"] else None,
        "fx": {"available": fx["available"], "as_of": fx.get("as_of"), "source": fx.get("source"),
               "stale": fx.get("stale")},
        "queues": queues.depths(),
    }
