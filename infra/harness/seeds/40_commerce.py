"""The shop's tax table, shipping zones and promotion codes for the seeded catalog's markets.

Data: infra/harness/seeds/data/commerce.json. Through the admin API with the super admin's token, as an
operator would: PUT /api/v1/taxes/rates per row, POST (or PUT, when a zone of that name exists)
/api/v1/shipping/zones, POST /api/v1/promotions (a code that exists is left as it is). Idempotent.
"""
from __future__ import annotations

FUNCTION = "OrdersFunction"


def main(api=None) -> None:
    import json
    from pathlib import Path

    from infra.harness.seed_api import SeedApi

    api = api or SeedApi.from_state()
    data = json.loads((Path(__file__).resolve().parent / "data" / "commerce.json").read_text(encoding="utf-8"))
    token = api.super_admin_token()
    for row in data["tax_rates"]:
        api.expect(api.call("PUT", "/api/v1/taxes/rates", token=token, json_body=row), 200,
                   what=f"tax rate {row['country']} {row.get('region') or ''}")
    zones = {zone["name"]: zone["id"] for zone in api.expect(
        api.call("GET", "/api/v1/shipping/zones", token=token), 200, what="list shipping zones").body["items"]}
    for zone in data["shipping_zones"]:
        if zone["name"] in zones:
            api.expect(api.call("PUT", f"/api/v1/shipping/zones/{zones[zone['name']]}", token=token, json_body=zone),
                       200, what=f"shipping zone {zone['name']}")
        else:
            api.expect(api.call("POST", "/api/v1/shipping/zones", token=token, json_body=zone), 201,
                       what=f"shipping zone {zone['name']}")
    created = 0
    for promo in data["promotions"]:
        answer = api.call("POST", "/api/v1/promotions", token=token, json_body=promo)
        created += api.expect(answer, 201, 409, what=f"promotion {promo['code']}").status == 201
    print(f"commerce: {len(data['tax_rates'])} tax rates, {len(data['shipping_zones'])} shipping zones, "
          f"{len(data['promotions'])} promotion codes ({created} created)")
