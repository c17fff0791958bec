"""Helpers shared by the products tests."""
from __future__ import annotations

import uuid


def service_headers(caller: str, method: str, path: str) -> dict:
    """Signed by `caller` over this method and path, and the query and body the client sends."""
    from tests import lambda_testing

    return lambda_testing.service_headers(caller, method, path)


def make_product(products, *, stock: int = 10, status: str = "active", category: str = "kitchen",
                 name: str | None = None, base_price: str = "19.99", **extra) -> str:
    body = {"name": name or f"Test kettle {uuid.uuid4().hex[:6]}", "description": "A kettle.", "category": category,
            "base_price": base_price, "status": status, **extra}
    if "variants" not in extra:
        body["stock"] = stock
    response = products.client.post("/api/v1/products", json=body, headers=products.admin)
    assert response.status == 201, response.json
    return response.json["id"]


def available(products, product_id: str, sku: str | None = None) -> int:
    from products.stock import levels as stock_levels

    product = products.pim.load(product_id, consistent=True)
    levels = stock_levels(product)
    return next(level["available"] for level in levels if sku is None or level["sku"] == sku)


def reservation(products, reservation_id: str) -> dict:
    """A reservation as the internal API answers it (views.reservation_view of reservations.get)."""
    return products.views.reservation_view(products.reservations.get(reservation_id))


def bulk_products(products, count: int, *, categories=("paper",)) -> set[str]:
    """`count` active products written in batches (as pim.create would store them, minus the claims)."""
    from decimal import Decimal

    from meridian.clock import iso
    from products.models import META, ProductItem, catalog_partition, product_pk

    ids = set()
    with ProductItem.batch_write() as batch:
        for index in range(count):
            pid, category, stamp = str(uuid.uuid4()), categories[index % len(categories)], iso()
            name = f"Notebook {index}"
            batch.save(ProductItem(
                product_pk(pid), META, id=pid, slug=f"notebook-{index}", category=category, status="active",
                base_price=Decimal("3.50"), stock={"_": 1}, holds={}, sold={},
                l10n={"en": {"name": name, "description": "", "slug": f"notebook-{index}"}},
                created_at=stamp, updated_at=stamp, gsi1pk=catalog_partition("active", category),
                gsi1sk=f"{stamp}#{pid}", gsi2pk=catalog_partition("active"), gsi2sk=f"{stamp}#{pid}"))
            ids.add(pid)
    return ids
