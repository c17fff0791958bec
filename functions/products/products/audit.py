"""`product.changed` on the platform bus, with before/after, for the admin audit log.

detail = {action, actor, target: "product:<id>", product_id, before, after}
(EventBridge adds event_id and occurred_at via meridian.events). Actions:
product.created, product.updated, product.archived, product.localized, product.inventory_set.
"""
from __future__ import annotations

from typing import Any

from meridian import events, resilience
from meridian.observability import count, logger


def product_changed(action: str, product_id: str, actor: str | None, before: Any, after: Any) -> None:
    detail = {"action": action, "actor": actor, "target": f"product:{product_id}", "product_id": product_id,
              "before": before, "after": after}
    try:
        resilience.retry(lambda: events.publish("products", "product.changed", detail), attempts=3, base=0.05, cap=0.3)
    except Exception:  # the change is made; losing its audit event must be loud, not fatal
        logger.exception("could not publish product.changed", extra={"product_id": product_id, "action": action})
        count("ProductChangedPublishFailed")
