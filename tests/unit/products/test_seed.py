"""infra/seeds/30_catalog.py: a real-looking catalog, loaded idempotently."""
from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

SEED = Path(__file__).resolve().parents[3] / "infra" / "seeds" / "30_catalog.py"


def run_seed():
    spec = importlib.util.spec_from_file_location("seed_30_catalog", SEED)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.FUNCTION == "ProductsFunction"
    module.main()


def test_catalog_seed_is_complete_and_idempotent(products):
    run_seed()
    from products.models import ProductItem

    items = list(ProductItem.by_status.query("CATALOG#active"))
    assert len(items) >= 60
    categories = Counter(item.category for item in items)
    assert len(categories) >= 4 and min(categories.values()) >= 10
    for item in items:
        assert {"en", "de", "fr", "ja", "pt-BR"} <= set(item.l10n.as_dict())
    assert sum(1 for item in items if any(int(v) > 0 for v in item.stock.as_dict().values())) >= 55

    reserved = products.reservations.reserve("8a1f3f0e-4a59-4f0b-9a53-3c1f2f6d0a01",
                                             [{"product_id": items[0].id, "quantity": 1,
                                               "sku": items[0].variants[0].sku if items[0].variants else None}])
    run_seed()  # again: nothing duplicated, stock not reset
    again = list(ProductItem.by_status.query("CATALOG#active"))
    assert sorted(i.id for i in again) == sorted(i.id for i in items)
    assert products.views.reservation_view(reserved[0])["status"] == "held"
    first = products.pim.load(items[0].id, consistent=True)
    assert sum(level["held"] for level in products.stock.levels(first)) == 1

    german = products.client.get("/api/v1/products", query={"locale": "de", "currency": "EUR", "limit": "5"}).json
    assert all(item["locale"] == "de" for item in german["items"]) and german["next_cursor"]
    japanese = products.client.get("/api/v1/products", query={"locale": "ja", "q": "コーヒー"}).json["items"]
    assert japanese and all("コーヒー" in item["name"] for item in japanese)
