"""A signed-in shopper's saved locale and currency apply when the request names none."""
from __future__ import annotations

import json

import responses

from ..conftest import API_BASE_URL
from .helpers import make_product

LIST = "/api/v1/products"
ME = f"{API_BASE_URL}/api/v1/users/me"


def saved(locale, currency):
    return lambda request: (200, {"Content-Type": "application/json"},
                            json.dumps({"email": "s@example.com", "locale": locale, "currency": currency}))


def test_saved_preferences_apply_after_the_query_and_before_accept_language(products):
    pid = make_product(products, name="Travel mug")
    products.client.put(f"{LIST}/{pid}/localizations/de", headers=products.admin,
                        json={"name": "Reisebecher", "description": ""})
    shopper = products.tokens.header(role="customer")
    with responses.RequestsMock() as users:
        users.add_callback(responses.GET, ME, callback=saved("de", "JPY"))
        mine = products.client.get(f"{LIST}/{pid}", headers=shopper).json
        assert (mine["locale"], mine["name"], mine["price"]["currency"]) == ("de", "Reisebecher", "JPY")
        browser = products.client.get(f"{LIST}/{pid}", headers={**shopper, "Accept-Language": "en-US,en;q=0.9"},
                                      query={"currency": "EUR"}).json
        assert (browser["locale"], browser["name"], browser["price"]["currency"]) == ("de", "Reisebecher", "EUR")
        asked = products.client.get(f"{LIST}/{pid}", headers={**shopper, "Accept-Language": "de"},
                                    query={"locale": "en"}).json
        assert (asked["locale"], asked["price"]["currency"]) == ("en", "JPY")
        assert len(users.calls) == 1          # cached per token


def test_no_preferences_when_anonymous_or_users_is_down(products):
    pid = make_product(products)
    anonymous = products.client.get(f"{LIST}/{pid}").json
    assert (anonymous["locale"], anonymous["price"]["currency"]) == ("en", "USD")
    with responses.RequestsMock() as users:
        users.add(responses.GET, ME, status=503)
        down = products.client.get(f"{LIST}/{pid}", headers=products.tokens.header(role="customer"))
        assert down.status == 200
        assert (down.json["locale"], down.json["price"]["currency"]) == ("en", "USD")
