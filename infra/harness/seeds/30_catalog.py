"""The demo catalog: 66 products in 5 categories, localized in en, de, fr, ja and pt-BR, with stock.

Data: infra/harness/seeds/data/products.json (one row per product) and
infra/harness/seeds/data/product_localized_details.json (one row per product and locale).
Products go through the admin API with the super admin's token, as an operator would:
POST /api/v1/products (English text, price, weight, tax class, stock, variants; an Idempotency-Key
per row), PUT /api/v1/products/{id}/localizations/{locale} for the other locales. Idempotent: a product
found by its slug is left as it is (its stock is not reset; a product seeded before weights keeps
weight 0 and tax class standard until an admin PATCHes them); missing localizations are added.
Tax classes: coffee and tea are food (reduced); the catalog has no books; everything else is standard.
"""
from __future__ import annotations

FUNCTION = "ProductsFunction"
PARALLEL = 8
CREATED_FIELDS = ("category", "base_price", "weight_grams", "tax_class", "status", "slug", "sku", "images",
                  "attributes", "stock", "variants")


def main(api=None) -> None:
    import json
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    from infra.harness.seed_api import SeedApi

    api = api or SeedApi.from_state()
    data = Path(__file__).resolve().parent / "data"
    products = json.loads((data / "products.json").read_text(encoding="utf-8"))
    details: dict[str, dict[str, dict]] = {}
    for row in json.loads((data / "product_localized_details.json").read_text(encoding="utf-8")):
        details.setdefault(row["product_id"], {})[row["locale"]] = row
    token = api.super_admin_token()
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        outcomes = list(pool.map(lambda row: _seed_product(api, token, row, details[row["id"]]), products))
    created = sum(1 for was_created, _ in outcomes if was_created)
    localized = sum(added for _, added in outcomes)
    print(f"catalog: {len(products)} products ({created} created, {localized} localizations added)")


def _find(api, token: str, slug: str) -> str | None:
    answer = api.call("GET", f"/api/v1/products/{slug}", token=token)
    if answer.status == 404:
        return None
    return api.expect(answer, 200, what=f"look up {slug}").body["id"]


def _seed_product(api, token: str, row: dict, texts: dict[str, dict]) -> tuple[bool, int]:
    english = texts["en"]
    product_id, created, have = _find(api, token, row["slug"]), False, set()
    if product_id is None:
        body = {"name": english["name"], "description": english["description"],
                **{key: row[key] for key in CREATED_FIELDS if row.get(key) is not None}}
        if "attributes" in body:   # the API takes strings, integers or booleans: 3.8 is sent as "3.8"
            body["attributes"] = {k: str(v) if isinstance(v, float) else v for k, v in body["attributes"].items()}
        answer = api.call("POST", "/api/v1/products", token=token, json_body=body,
                          headers={"Idempotency-Key": f"seed-product-{row['id']}"})
        if answer.status == 409:                 # created meanwhile (another seed run): use it
            product_id = _find(api, token, row["slug"])
        else:
            product_id, created = api.expect(answer, 201, what=f"create {row['slug']}").body["id"], True
    if not created:
        listed = api.expect(api.call("GET", f"/api/v1/products/{product_id}/localizations", token=token), 200,
                            what=f"localizations of {row['slug']}")
        have = {item["locale"] for item in listed.body["items"]}
    added = 0
    for locale, text in texts.items():
        if locale == "en" or locale in have:
            continue
        body = {"name": text["name"], "description": text["description"],
                **({"slug": text["slug"]} if text.get("slug") else {})}
        api.expect(api.call("PUT", f"/api/v1/products/{product_id}/localizations/{locale}", token=token,
                            json_body=body), 200, what=f"{locale} text of {row['slug']}")
        added += 1
    return created, added
