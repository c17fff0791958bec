"""The commerce seed's data (infra/harness/seeds/data/commerce.json) is what the admin API accepts."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = json.loads((Path(__file__).resolve().parents[3] / "infra/harness/seeds/data/commerce.json").read_text())


@pytest.fixture
def schemas(load_function):
    load_function("OrdersFunction")
    from orders import schemas

    return schemas


def test_every_row_loads_through_its_admin_schema(schemas):
    for row in DATA["tax_rates"]:
        assert schemas.TaxRateSchema().validate(row) == {}, row
    for zone in DATA["shipping_zones"]:
        assert schemas.ShippingZoneSchema().validate(zone) == {}, zone["name"]
    for promo in DATA["promotions"]:
        assert schemas.PromotionSchema().validate(promo) == {}, promo["code"]


def test_every_taxed_country_is_shipped_to_and_method_ids_are_unique(schemas):
    shipped = {country for zone in DATA["shipping_zones"] for country in zone["countries"]}
    assert {row["country"] for row in DATA["tax_rates"]} <= shipped
    ids = [m["id"] for zone in DATA["shipping_zones"] for m in zone["methods"]]
    assert len(ids) == len(set(ids))
