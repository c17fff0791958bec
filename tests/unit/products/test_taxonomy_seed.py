"""The demo catalog's structure seed (infra/harness/seeds/35_taxonomy.py) against products' real app, in process:
every category of the seeded products is managed, named in every seeded language, and every attribute and
variant option of the seeded products is in the dictionary; the seed is idempotent."""
from __future__ import annotations

import importlib.util
import json

from .test_catalog_seed import SEEDS, InProcessApi

SEEDED_LOCALES = {"en", "de", "fr", "ja", "pt-BR"}


def load_seed():
    spec = importlib.util.spec_from_file_location("seed_35_taxonomy", SEEDS / "35_taxonomy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_seeded_structure_covers_the_seeded_catalog_in_every_seeded_language(products, capsys):
    rows = json.loads((SEEDS / "data" / "products.json").read_text(encoding="utf-8"))
    seed = load_seed()
    seed.main(InProcessApi(products))
    seed.main(InProcessApi(products))               # again: same content, no error
    assert "taxonomy: 5 categories" in capsys.readouterr().out

    admin_list = products.client.get("/api/v1/products/categories", headers=products.admin).json["items"]
    assert {c["key"] for c in admin_list} == {row["category"] for row in rows}
    assert all(set(c["names"]) == SEEDED_LOCALES for c in admin_list)

    ja = products.client.get("/api/v1/products/categories", query={"locale": "ja"}).json["items"]
    assert {c["key"]: c["name"] for c in ja}["kitchen"] == "キッチン"

    dictionary = {a["key"]: a for a in products.client.get("/api/v1/products/attributes",
                                                           headers=products.admin).json["items"]}
    used = {key for row in rows for key in (row.get("attributes") or {})}
    used |= {key for row in rows for variant in row.get("variants") or [] for key in variant.get("attributes") or {}}
    assert used <= set(dictionary)
    assert all(set(term["names"]) == SEEDED_LOCALES for term in dictionary.values())
    materials = {str(row["attributes"]["material"]) for row in rows if "material" in (row.get("attributes") or {})}
    assert materials <= set(dictionary["material"]["values"])
    assert dictionary["material"]["values"]["canvas"]["ja"] == "キャンバス"
