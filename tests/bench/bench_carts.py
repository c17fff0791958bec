"""Cart quote: GET /api/v1/carts/{id} of a guest's cart (de/EUR, 3 lines, shipping to Germany with a method,
a 10 % code), beside the catalog page of the same stack.

A quote asks products for the lines (one internal call), reads the rate snapshot (cached), the tax row, the
shipping zones and the code, and prices it all (orders/pricing.py). Floor: the catalog page p50 measured just
before on the same stack (one Query + localized texts). No target is set by the issue: the figure is reported.
"""
from __future__ import annotations

from tests.bench.measure import env_int, p50, p99, timed
from tests.bench.report import REPORT, ms

QUOTE_REQUESTS = env_int("BENCH_QUOTE_REQUESTS", 200)
WARM_UP = 20
ADDRESS = {"name": "Ada Lovelace", "line1": "Hauptstraße 1", "city": "Berlin", "postal_code": "10115",
           "country": "DE"}


def _ok(response, what: str):
    if response.status_code not in (200, 201):
        raise RuntimeError(f"{what} answered {response.status_code}: {response.text[:300]}")
    return response.json()


def _guest_cart(stack, session) -> tuple[str, dict]:
    base = stack.base_url
    listed = _ok(session.get(f"{base}/api/v1/products", params={"limit": "3", "locale": "de", "currency": "EUR"},
                             timeout=30), "the catalog")["items"]
    cart = _ok(session.post(f"{base}/api/v1/carts", json={"currency": "EUR", "locale": "de"}, timeout=30), "a cart")
    headers = {"Cart-Token": cart["cart_token"]}
    for product in listed:
        detail = _ok(session.get(f"{base}/api/v1/products/{product['id']}", timeout=30), "a product")
        line = {"product_id": product["id"], "quantity": 1,
                **({"sku": detail["variants"][0]["sku"]} if detail.get("variants") else {})}
        _ok(session.post(f"{base}/api/v1/carts/{cart['id']}/items", json=line, headers=headers, timeout=30),
            "adding a line")
    _ok(session.put(f"{base}/api/v1/carts/{cart['id']}/shipping-address", json=ADDRESS, headers=headers,
                    timeout=30), "the address")
    offers = _ok(session.get(f"{base}/api/v1/carts/{cart['id']}/shipping-methods", headers=headers, timeout=30),
                 "the shipping methods")["items"]
    if offers:
        _ok(session.put(f"{base}/api/v1/carts/{cart['id']}/shipping-method", json={"method_id": offers[0]["id"]},
                        headers=headers, timeout=30), "the method")
    session.post(f"{base}/api/v1/carts/{cart['id']}/promotions", json={"code": "WELCOME10"}, headers=headers,
                 timeout=30)                         # seeded by 40_commerce; a stack without it quotes without
    return cart["id"], headers


def run(stack) -> None:
    session = stack.session()
    cart_id, headers = _guest_cart(stack, session)
    url = f"{stack.base_url}/api/v1/carts/{cart_id}"
    catalog_url = f"{stack.base_url}/api/v1/products"

    def quote() -> None:
        body = _ok(session.get(url, headers=headers, timeout=30), "the cart quote")
        if len(body["items"]) != 3 or body["total"]["currency"] != "EUR":
            raise RuntimeError(f"the cart quote is not the cart made: {body}")

    def catalog() -> None:
        _ok(session.get(catalog_url, params={"locale": "de", "currency": "EUR", "limit": "20"}, timeout=30),
            "the catalog page")

    floor = timed(catalog, QUOTE_REQUESTS, WARM_UP)
    quotes = timed(quote, QUOTE_REQUESTS, WARM_UP)
    section = "carts"
    REPORT.figure(section, "cart quote p50 (3 lines, de/EUR, VAT, shipping, a code)", ms(p50(quotes)),
                  floor=f"catalog page {ms(p50(floor))}")
    REPORT.figure(section, "cart quote p99", ms(p99(quotes)), floor=f"catalog page {ms(p99(floor))}")
