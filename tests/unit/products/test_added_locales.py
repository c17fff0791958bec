"""A locale staff add in localization is one the catalog takes at once (meridian.locales' registry)."""
from __future__ import annotations

from meridian import locales

from .helpers import make_product

LIST = "/api/v1/products"
KO = locales.Locale("ko", "Korean", "한국어", fallback=("en",))
FR_BE = locales.Locale("fr-BE", "French (Belgium)", "Français (Belgique)", fallback=("fr", "en"))


def test_a_locale_not_served_is_400_naming_it(products):
    pid = make_product(products, name="Travel mug")
    refused = products.client.put(f"{LIST}/{pid}/localizations/ko", headers=products.admin,
                                  json={"name": "여행용 머그"})
    assert refused.status == 400
    asked = products.client.get(f"{LIST}/{pid}", query={"locale": "ko"})
    assert asked.status == 400 and "locale" in asked.json["errors"]


def test_an_added_locale_takes_texts_and_serves_them_with_its_chain(products):
    locales.use_static([*locales.SEED, KO, FR_BE])
    pid = make_product(products, name="Travel mug")
    other = make_product(products, name="Canvas tote")
    put = products.client.put(f"{LIST}/{pid}/localizations/ko", headers=products.admin, json={"name": "여행용 머그"})
    assert put.status == 200, put.json
    korean = products.client.get(f"{LIST}/{pid}", query={"locale": "ko"})
    assert (korean.json["locale"], korean.json["name"]) == ("ko", "여행용 머그")
    assert korean.headers["content-language"] == "ko"
    fallback = products.client.get(f"{LIST}/{other}", query={"locale": "ko"}).json
    assert fallback["name"] == "Canvas tote"                       # ko → en
    assert products.client.put(f"{LIST}/{other}/localizations/fr", headers=products.admin,
                               json={"name": "Sac en toile"}).status == 200
    belgian = products.client.get(f"{LIST}/{other}", query={"locale": "fr-be"}).json
    assert belgian["name"] == "Sac en toile"                       # fr-BE → fr
