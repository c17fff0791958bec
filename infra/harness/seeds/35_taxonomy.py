"""The demo catalog's structure: its 5 categories and the attribute dictionary (attribute and variant-option
names, and the labels of their values), in the seeded languages (en, de, fr, ja, pt-BR).

Data: infra/harness/seeds/data/taxonomy.json. Through the admin API with the super admin's token, as an operator
would: PUT /api/v1/products/categories/{key} (parents before children: the file lists them so) and
PUT /api/v1/products/attributes/{key}. Idempotent: a PUT replaces the item with the same content.
"""
from __future__ import annotations

FUNCTION = "ProductsFunction"


def main(api=None) -> None:
    import json
    from pathlib import Path

    from infra.harness.seed_api import SeedApi

    api = api or SeedApi.from_state()
    data = json.loads((Path(__file__).resolve().parent / "data" / "taxonomy.json").read_text(encoding="utf-8"))
    token = api.super_admin_token()
    for category in data["categories"]:
        body = {key: category[key] for key in ("parent", "position", "names", "slugs") if key in category}
        answer = api.call("PUT", f"/api/v1/products/categories/{category['key']}", token=token, json_body=body)
        api.expect(answer, 200, 201, what=f"category {category['key']}")
    for attribute in data["attributes"]:
        body = {key: attribute[key] for key in ("names", "values") if key in attribute}
        answer = api.call("PUT", f"/api/v1/products/attributes/{attribute['key']}", token=token, json_body=body)
        api.expect(answer, 200, 201, what=f"attribute {attribute['key']}")
    print(f"taxonomy: {len(data['categories'])} categories, {len(data['attributes'])} attributes")
