"""The admin dashboard: orders by status, revenue per currency, FX freshness, queue depths.

Each part comes from its owner; a part whose owner is down is reported as unavailable
instead of failing the whole dashboard (its shape: admin/views.py).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from meridian.errors import DomainError

from . import localization_api, orders_api, queues


def _part(fetch: Callable[[], Any]) -> dict:
    try:
        body = fetch()
    except DomainError as exc:
        return {"available": False, "detail": exc.detail}
    return {"available": True, **(body if isinstance(body, dict) else {})}


def parts() -> tuple[dict, dict, dict]:
    """(orders statistics, FX rates, queue depths), each part marked available or not."""
    return _part(orders_api.stats), _part(localization_api.rates), queues.depths()
