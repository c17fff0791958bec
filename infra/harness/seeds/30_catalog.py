"""The demo catalog: 66 products in 5 categories, localized in en, de, fr, ja and pt-BR, with stock.

Data: infra/harness/seeds/data/products.json (one row per product, fixed UUIDs) and
infra/harness/seeds/data/product_localized_details.json (one row per product and locale).
Products go through the service's own rules (products.pim: unique slug/SKU claims,
conditional writes). Idempotent: a product that exists is left as it is (its stock is
not reset); missing localizations are added. No product.changed events: seeding is not
an admin action.
"""
FUNCTION = "ProductsFunction"
PARALLEL = 8


def main() -> None:
    import json
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    data = Path(__file__).resolve().parent / "data"
    products = json.loads((data / "products.json").read_text(encoding="utf-8"))
    details: dict[str, dict[str, dict]] = {}
    for row in json.loads((data / "product_localized_details.json").read_text(encoding="utf-8")):
        details.setdefault(row["product_id"], {})[row["locale"]] = row

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        outcomes = list(pool.map(lambda row: _seed_product(row, details[row["id"]]), products))
    created = sum(1 for was_created, _ in outcomes if was_created)
    localized = sum(added for _, added in outcomes)
    print(f"catalog: {len(products)} products ({created} created, {localized} localizations added)")


def _seed_product(row: dict, texts: dict[str, dict]) -> tuple[bool, int]:
    from decimal import Decimal

    from products import pim
    from products.errors import ProductNotFound

    created = False
    try:
        product = pim.load(row["id"], consistent=True)
    except ProductNotFound:
        english = texts["en"]
        product = pim.create({
            "name": english["name"], "description": english["description"], "category": row["category"],
            "base_price": Decimal(row["base_price"]), "status": row.get("status", "active"), "slug": row["slug"],
            "sku": row.get("sku"), "images": row.get("images", []), "attributes": row.get("attributes", {}),
            "stock": row.get("stock"), "variants": [dict(v) for v in row.get("variants", [])],
        }, product_id=row["id"], localizations=texts)
        created = True
    have = product.l10n.as_dict() if product.l10n else {}
    added = 0
    for locale, text in texts.items():
        if locale == "en" or locale in have:
            continue
        pim.localize(product.id, locale, {"name": text["name"], "description": text["description"],
                                          "slug": text.get("slug")})
        added += 1
    return created, added
