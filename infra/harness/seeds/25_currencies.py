"""The currencies the shop sells in (localization's sell currencies), after the first FX refresh.

Through the admin API with the super admin's token, as an operator would: PUT
/api/v1/localization/currencies/{code} {active: true, rounding} per currency. The markets of the seeded
catalog and tax table (USD, EUR, GBP, JPY, AUD, CAD, BRL), the Gulf's three-decimal dinars and its
riyal/dirham (KWD, BHD, SAR, AED), KRW and CHF. CHF is rounded to 0.05 (as Swiss cash prices are); every other
currency converts plainly (tests set rules through the API and put them back). KWD and BHD need no rule: every
amount in a three-decimal currency is a whole multiple of 0.010 already (meridian.money.step: card gateways
charge them in no finer steps).
Idempotent: PUT sets the same values again.
"""
from __future__ import annotations

FUNCTION = "LocalizationFunction"
SOLD = ("USD", "EUR", "GBP", "JPY", "CHF", "KWD", "BHD", "KRW", "SAR", "AED", "AUD", "CAD", "BRL")
ROUNDING = {"CHF": {"increment": "0.05", "mode": "nearest"}}


def main(api=None) -> None:
    from infra.harness.seed_api import SeedApi

    api = api or SeedApi.from_state()
    token = api.super_admin_token()
    for code in SOLD:
        body = {"active": True, "rounding": ROUNDING.get(code)}
        api.expect(api.call("PUT", f"/api/v1/localization/currencies/{code}", token=token, json_body=body), 200,
                   what=f"sell currency {code}")
    print(f"currencies: {len(SOLD)} sold ({', '.join(SOLD)}), rounding rules for {', '.join(ROUNDING)}")
