"""Categories and the attribute dictionary as data (products/taxonomy.py): the admin writes and their rules
(parent exists, no cycles, slugs unique, 400 naming the field, 409 on delete in use), the public list and tree
in a locale with its fallback chain, and product views naming their category and attributes in the locale."""
from __future__ import annotations

from .helpers import make_product

LIST = "/api/v1/products"
CATEGORIES = "/api/v1/products/categories"
ATTRIBUTES = "/api/v1/products/attributes"


def put(products, key, **body):
    body.setdefault("names", {"en": key.replace("-", " ").title()})
    return products.client.put(f"{CATEGORIES}/{key}", json=body, headers=products.admin)


def test_put_creates_then_replaces_and_lists_localized_with_fallback(products):
    created = put(products, "kitchen", position=1, names={"en": "Kitchen", "de": "Küche", "ja": "キッチン"},
                  slugs={"de": "kueche", "ja": "kicchin"})
    assert created.status == 201, created.json
    assert created.json["names"]["ja"] == "キッチン" and created.json["parent"] is None
    again = put(products, "kitchen", position=1, names={"en": "Kitchen", "de": "Küche", "ja": "キッチン",
                                                        "pt": "Cozinha"}, slugs={"de": "kueche"})
    assert again.status == 200 and again.json["created_at"] == created.json["created_at"]
    assert put(products, "cookware", parent="kitchen", names={"en": "Cookware", "de": "Kochgeschirr"}).status == 201
    assert put(products, "audio", position=0, names={"en": "Audio"}).status == 201

    de = products.client.get(CATEGORIES, query={"locale": "de-AT"})
    assert de.status == 200
    assert [(c["key"], c["name"], c["slug"], c["locale"], c["depth"]) for c in de.json["items"]] == [
        ("audio", "Audio", "audio", "en", 0),
        ("kitchen", "Küche", "kueche", "de", 0),
        ("cookware", "Kochgeschirr", "cookware", "de", 1)]
    assert set(de.headers["content-language"].split(", ")) == {"de", "en"}
    pt_br = products.client.get(CATEGORIES, query={"locale": "pt-BR"}).json["items"]
    assert [c["name"] for c in pt_br] == ["Audio", "Cozinha", "Cookware"]   # pt-BR → pt → en
    assert "names" not in pt_br[0]                                          # shoppers get the locale's text only
    assert products.client.get(CATEGORIES, headers=products.admin).json["items"][0]["names"] == {"en": "Audio"}


def test_tree_nests_children_by_parent_in_position_order(products):
    put(products, "outdoor", position=2)
    put(products, "tents", parent="outdoor", position=2)
    put(products, "stoves", parent="outdoor", position=1)
    put(products, "gas-stoves", parent="stoves")
    put(products, "audio", position=1)
    tree = products.client.get(CATEGORIES, query={"tree": "true"}).json["items"]
    assert [node["key"] for node in tree] == ["audio", "outdoor"]
    outdoor = tree[1]
    assert [child["key"] for child in outdoor["children"]] == ["stoves", "tents"]
    assert outdoor["children"][0]["children"][0]["key"] == "gas-stoves"
    assert outdoor["children"][0]["children"][0]["children"] == []


def test_parent_must_exist_and_no_cycles_400_naming_the_field(products):
    assert put(products, "a").status == 201
    assert put(products, "b", parent="a").status == 201
    assert put(products, "c", parent="b").status == 201
    for key, parent in (("a", "c"), ("a", "b"), ("a", "a"), ("b", "nope")):
        response = put(products, key, parent=parent)
        assert response.status == 400, (key, parent)
        assert response.headers["content-type"] == "application/problem+json"
        assert list(response.json["errors"]) == ["parent"], response.json
    # nothing changed: a is still a root
    items = {c["key"]: c for c in products.client.get(CATEGORIES).json["items"]}
    assert items["a"]["parent"] is None and items["c"]["parent"] == "b"
    # moving a leaf elsewhere is fine
    assert put(products, "c", parent="a").status == 200


def test_bad_bodies_are_400_per_field(products):
    cases = [
        ({"names": {"de": "Küche"}}, "names.en"),
        ({"names": {"en": "Kitchen", "xx": "?"}}, "names.xx"),
        ({"names": {"en": "<b>Kitchen</b>"}}, "names.en"),
        ({"names": {"en": ""}}, "names.en"),
        ({"names": {"en": "Kitchen"}, "slugs": {"de": "Küche"}}, "slugs.de"),
        ({"names": {"en": "Kitchen"}, "position": -1}, "position"),
        ({"names": {"en": "Kitchen"}, "position": "1"}, "position"),
        ({"names": {"en": "Kitchen"}, "colour": "red"}, "colour"),
        ({}, "names"),
    ]
    for body, field in cases:
        response = products.client.put(f"{CATEGORIES}/kitchen", json=body, headers=products.admin)
        assert response.status == 400, body
        assert field in response.json["errors"], (body, response.json)
    bad_key = products.client.put(f"{CATEGORIES}/Bad_Key", json={"names": {"en": "X"}}, headers=products.admin)
    assert bad_key.status == 400 and "key" in bad_key.json["errors"]
    assert products.client.get(CATEGORIES).json["items"] == []


def test_localized_slugs_are_unique_per_locale_and_never_another_key(products):
    put(products, "kitchen", slugs={"de": "kueche"})
    put(products, "audio")
    taken = put(products, "cookware", slugs={"de": "kueche"})
    assert taken.status == 400 and "slugs.de" in taken.json["errors"]
    a_key = put(products, "cookware", slugs={"fr": "audio"})
    assert a_key.status == 400 and "slugs.fr" in a_key.json["errors"]
    assert put(products, "kitchen", slugs={"de": "kueche", "fr": "cuisine"}).status == 200   # its own slug again


def test_only_admins_write(products):
    body = {"names": {"en": "Kitchen"}}
    assert products.client.put(f"{CATEGORIES}/kitchen", json=body).status == 401
    assert products.client.put(f"{CATEGORIES}/kitchen", json=body, headers=products.customer).status == 403
    assert products.client.delete(f"{CATEGORIES}/kitchen", headers=products.customer).status == 403
    assert products.client.put(f"{ATTRIBUTES}/material", json=body, headers=products.customer).status == 403
    assert products.client.get(ATTRIBUTES, headers=products.customer).status == 403


def test_delete_only_when_unused(products):
    put(products, "kitchen")
    put(products, "cookware", parent="kitchen")
    put(products, "empty")
    make_product(products, category="cookware", status="draft")
    assert products.client.delete(f"{CATEGORIES}/kitchen", headers=products.admin).status == 409    # a child
    in_use = products.client.delete(f"{CATEGORIES}/cookware", headers=products.admin)
    assert in_use.status == 409 and in_use.json["category"] == "cookware"                         # a draft product
    assert products.client.delete(f"{CATEGORIES}/empty", headers=products.admin).status == 204
    assert products.client.delete(f"{CATEGORIES}/empty", headers=products.admin).status == 404
    assert [c["key"] for c in products.client.get(CATEGORIES).json["items"]] == ["kitchen", "cookware"]


def test_products_show_their_category_localized_and_filter_by_a_localized_slug(products):
    put(products, "kitchen", names={"en": "Kitchen", "ja": "キッチン", "de": "Küche"},
        slugs={"ja": "kicchin", "de": "kueche"})
    pan = make_product(products, name="Cast iron pan", category="kitchen")
    other = make_product(products, name="Ruler", category="stationery")       # not a managed category
    ja = products.client.get(f"{LIST}/{pan}", query={"locale": "ja"}).json
    assert (ja["category"], ja["category_name"], ja["category_slug"]) == ("kitchen", "キッチン", "kicchin")
    plain = products.client.get(f"{LIST}/{other}", query={"locale": "ja"}).json
    assert (plain["category"], plain["category_name"], plain["category_slug"]) == ("stationery",) * 3

    for category, locale in (("kitchen", "ja"), ("kicchin", "ja"), ("kueche", "de-CH"), ("kitchen", "en")):
        listed = products.client.get(LIST, query={"category": category, "locale": locale}).json["items"]
        assert [item["id"] for item in listed] == [pan], (category, locale)
        assert listed[0]["category_name"] == {"ja": "キッチン", "de-CH": "Küche", "en": "Kitchen"}[locale]
    assert products.client.get(LIST, query={"category": "kicchin", "locale": "de"}).json["items"] == []


def test_attribute_dictionary_names_attributes_and_variant_options_in_the_locale(products):
    material = {"names": {"en": "Material", "de": "Material", "ja": "素材"},
                "values": {"canvas": {"en": "Canvas", "de": "Segeltuch", "ja": "キャンバス"}}}
    assert products.client.put(f"{ATTRIBUTES}/material", json=material, headers=products.admin).status == 201
    size = {"names": {"en": "Size", "ja": "サイズ"}, "values": {"m": {"en": "M"}}}
    assert products.client.put(f"{ATTRIBUTES}/size", json=size, headers=products.admin).status == 201
    waterproof = {"names": {"en": "Waterproof", "ja": "防水"}, "values": {"true": {"en": "Yes", "ja": "はい"}}}
    assert products.client.put(f"{ATTRIBUTES}/waterproof", json=waterproof, headers=products.admin).status == 201
    tote = make_product(products, name="Tote", attributes={"material": "canvas", "waterproof": True, "pockets": 2},
                        variants=[{"sku": "TOTE-M", "attributes": {"size": "m"}, "stock": 1},
                                  {"sku": "TOTE-L", "attributes": {"size": "l"}, "stock": 1}])

    ja = products.client.get(f"{LIST}/{tote}", query={"locale": "ja"}).json
    assert ja["attributes"]["material"] == "canvas"                     # raw values stay
    assert ja["attribute_labels"]["material"] == {"name": "素材", "value": "キャンバス"}
    assert ja["attribute_labels"]["waterproof"] == {"name": "防水", "value": "はい"}
    assert ja["attribute_labels"]["pockets"] == {"name": "pockets", "value": 2}   # not in the dictionary
    labels = {v["sku"]: v["attribute_labels"]["size"] for v in ja["variants"]}
    assert labels == {"TOTE-M": {"name": "サイズ", "value": "M"}, "TOTE-L": {"name": "サイズ", "value": "l"}}
    de_at = products.client.get(f"{LIST}/{tote}", query={"locale": "de-AT"}).json
    assert de_at["attribute_labels"]["material"] == {"name": "Material", "value": "Segeltuch"}
    assert de_at["attribute_labels"]["waterproof"] == {"name": "Waterproof", "value": "Yes"}   # de → en

    listed = products.client.get(ATTRIBUTES, headers=products.admin).json["items"]
    assert [item["key"] for item in listed] == ["material", "size", "waterproof"]
    bad = products.client.put(f"{ATTRIBUTES}/material", headers=products.admin,
                              json={"names": {"en": "Material"}, "values": {"canvas": {"xx": "?"}}})
    assert bad.status == 400 and list(bad.json["errors"]) == ["values.canvas.value.xx"]   # marshmallow's Dict path
    assert products.client.delete(f"{ATTRIBUTES}/size", headers=products.admin).status == 204
    again = products.client.get(f"{LIST}/{tote}", query={"locale": "ja"}).json
    assert again["variants"][0]["attribute_labels"]["size"] == {"name": "size", "value": "m"}
