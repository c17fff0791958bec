"""Which country a shopper is buying in before they give an address: the one rule, for the catalog and carts.

The locale's region when it has one (en-GB → GB, de-AT → AT), else the country the currency is at home in
(EUR → DE, JPY → JP), else the language's (de → DE, ja → JP), else none (no tax shown, none guessed).
A shipping address, once there is one, decides instead (orders' quoting.destination).
"""
from __future__ import annotations

HOME_OF_CURRENCY = {"EUR": "DE", "USD": "US", "GBP": "GB", "JPY": "JP", "AUD": "AU", "CAD": "CA", "CHF": "CH",
                    "SEK": "SE", "DKK": "DK", "NOK": "NO", "PLN": "PL", "CZK": "CZ", "NZD": "NZ", "SGD": "SG",
                    "MXN": "MX", "BRL": "BR", "INR": "IN", "KRW": "KR", "CNY": "CN", "HKD": "HK"}
HOME_OF_LANGUAGE = {"de": "DE", "fr": "FR", "it": "IT", "es": "ES", "pt": "PT", "ja": "JP"}


def home_country(locale: str | None, currency: str | None) -> str | None:
    language, _, region = (locale or "").partition("-")
    if len(region) == 2 and region.isalpha():
        return region.upper()
    return HOME_OF_CURRENCY.get(currency or "") or HOME_OF_LANGUAGE.get(language.lower())
