"""The demo catalog: 66 products in 5 categories, localized in en, de, fr, ja and pt-BR, with stock.

Data: infra/seeds/data/products.json (one row per product, fixed UUIDs) and
infra/seeds/data/product_localized_details.json (one row per product and locale).
Idempotent: a product that exists is left as it is (its stock is not reset); missing
localizations are added. No product.changed events: seeding is not an admin action.
"""
FUNCTION = "ProductsFunction"


def main() -> None:
    import json
    from decimal import Decimal
    from pathlib import Path

    from products import pim
    from products.errors import ProductNotFound

    data = Path(__file__).resolve().parent / "data"
    products = json.loads((data / "products.json").read_text(encoding="utf-8"))
    details: dict[str, dict[str, dict]] = {}
    for row in json.loads((data / "product_localized_details.json").read_text(encoding="utf-8")):
        details.setdefault(row["product_id"], {})[row["locale"]] = row

    created = localized = 0
    for row in products:
        texts = details[row["id"]]
        try:
            product = pim.load(row["id"], consistent=True)
        except ProductNotFound:
            english = texts["en"]
            product = pim.create({
                "name": english["name"], "description": english["description"], "category": row["category"],
                "base_price": Decimal(row["base_price"]), "status": row.get("status", "active"), "slug": row["slug"],
                "sku": row.get("sku"), "images": row.get("images", []), "attributes": row.get("attributes", {}),
                "stock": row.get("stock"), "variants": [dict(v) for v in row.get("variants", [])],
            }, actor="seed", product_id=row["id"], emit=False)
            created += 1
        have = product.l10n.as_dict() if product.l10n else {}
        for locale, text in texts.items():
            if locale == "en" or locale in have:
                continue
            pim.localize(product.id, locale, {"name": text["name"], "description": text["description"],
                                              "slug": text.get("slug")}, actor="seed", emit=False)
            localized += 1
    print(f"catalog: {len(products)} products ({created} created, {localized} localizations added)")
