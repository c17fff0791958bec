"""The demo catalog seed (infra/harness/seeds/30_catalog.py) against products' real app, in process: every row
is accepted by the admin API, with its weight and tax class."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from infra.harness.seed_api import Answer, SeedApi

SEEDS = Path(__file__).resolve().parents[3] / "infra" / "harness" / "seeds"


class InProcessApi:
    """The part of SeedApi the catalog seed uses, answered by the products app in process."""

    def __init__(self, products):
        self.products = products

    def super_admin_token(self) -> str:
        return self.products.admin["Authorization"].split(" ", 1)[1]

    def call(self, method, path, *, token=None, json_body=None, headers=None, params=None) -> Answer:
        sent = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token else {})}
        response = self.products.client.request(method, path, json=json_body, headers=sent, query=params)
        return Answer(response.status, response.json, dict(response.headers))

    expect = SeedApi.expect


def load_seed():
    spec = importlib.util.spec_from_file_location("seed_30_catalog", SEEDS / "30_catalog.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_seeded_product_has_a_weight_and_a_tax_class(products, monkeypatch, capsys):
    rows = json.loads((SEEDS / "data" / "products.json").read_text(encoding="utf-8"))
    assert all(isinstance(row.get("weight_grams"), int) and row["weight_grams"] > 0 for row in rows)
    assert {row["category"]: row["tax_class"] for row in rows} == {
        "coffee-tea": "reduced", "kitchen": "standard", "stationery": "standard", "outdoor": "standard",
        "audio": "standard"}

    seed = load_seed()
    monkeypatch.setattr(seed, "PARALLEL", 1)           # the in-process app serves one request at a time
    seed.main(InProcessApi(products))
    assert f"catalog: {len(rows)} products ({len(rows)} created" in capsys.readouterr().out

    for row in rows:
        shown = products.client.get(f"/api/v1/products/{row['slug']}").json
        assert (shown["weight_grams"], shown["tax_class"]) == (row["weight_grams"], row["tax_class"]), row["slug"]
        own = {v["sku"]: v.get("weight_grams", row["weight_grams"]) for v in row.get("variants") or []}
        assert {v["sku"]: v["weight_grams"] for v in shown.get("variants", [])} == own
