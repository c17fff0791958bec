"""Products through the real local stack: the seeded catalog over HTTPS via nginx, admin
PIM, and the orders service's internal reservations API on the internal gateway port."""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

import pytest
import requests
from meridian import service_auth

from infra.harness.seeding import SEEDS_DIR
from tests.integration.accounts import bearer

PRODUCTS = "/api/v1/products"
RESERVATIONS = "/api/v1/products/internal/reservations"


@pytest.fixture(scope="module")
def api(stack):
    session = stack.session()

    class Api:
        base = stack.base_url

        def get(self, path, **kw):
            return session.get(self.base + path, timeout=15, **kw)

        def send(self, method, path, **kw):
            return session.request(method, self.base + path, timeout=15, **kw)

        def token(self, email):
            return bearer(stack, email)

    return Api()


@pytest.fixture(scope="module")
def admin(api):
    return api.token("admin@example.com")


@pytest.fixture(scope="module")
def customer(api):
    return api.token("customer@example.com")


@pytest.fixture(scope="module")
def orders_signer(stack):
    arn = stack.template.function("ProductsFunction").environment["SERVICE_SECRET_ARN"]
    secret = stack.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"].encode()

    def sign(method: str, path: str, body: bytes, service: str = "orders") -> dict[str, str]:
        """meridian.service_auth's scheme: method, path below the stage, query, body hash, time, nonce."""
        now, nonce = int(time.time()), secrets.token_hex(16)
        canonical = service_auth.canonical_request(service, now, nonce, method, path, None, body)
        mac = hmac.new(secret, canonical.encode(), hashlib.sha256).hexdigest()
        return {service_auth.HEADER: f"svc={service},t={now},n={nonce},v1={mac}"}

    return sign


def internal_post(stack, signer, path, body):
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", **signer("POST", path, data)}
    return requests.post(stack.api_base_url + path, data=data, headers=headers, timeout=15)


def create_product(api, admin, **fields) -> str:
    body = {"name": f"Integration kettle {uuid.uuid4().hex[:6]}", "category": "integration",
            "base_price": "19.99", "stock": 10, **fields}
    response = api.send("POST", PRODUCTS, json=body, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def stock_of(api, admin, product_id) -> int:
    response = api.get(f"{PRODUCTS}/{product_id}/inventory", headers=admin)
    assert response.status_code == 200, response.text
    return response.json()["items"][0]["available"]


def test_seeded_catalog_in_german_and_euros(api):
    seeded_category = api.get(PRODUCTS, params={"locale": "de", "category": "audio"})
    assert seeded_category.headers["Content-Language"] == "de"
    response = api.get(PRODUCTS, params={"locale": "de", "currency": "EUR", "limit": "100"})
    assert response.status_code == 200, response.text
    assert "de" in response.headers["Content-Language"]  # other tests add en-only products
    items, cursor = response.json()["items"], response.json()["next_cursor"]
    while cursor:
        page = api.get(PRODUCTS, params={"locale": "de", "currency": "EUR", "limit": "100", "cursor": cursor}).json()
        items, cursor = items + page["items"], page["next_cursor"]
    seed_slugs = {row["slug"] for name in ("products.json", "product_localized_details.json")
                  for row in json.loads((SEEDS_DIR / "data" / name).read_text(encoding="utf-8")) if row.get("slug")}
    seeded = [item for item in items if item["slug"] in seed_slugs]   # other tests add en-only products
    assert len(seeded) >= 60 and len({item["category"] for item in seeded}) >= 4
    assert all(item["locale"] == "de" and item["price"]["currency"] == "EUR" for item in seeded)
    assert sum(item["in_stock"] for item in seeded) >= 55
    for locale in ("fr", "ja", "pt-BR"):
        first = api.get(PRODUCTS, params={"locale": locale, "limit": "3", "category": "audio"}).json()["items"]
        assert first and all(item["locale"] == locale for item in first)


def test_prices_match_localization_convert(api):
    """Where the market shows net prices (en-US), the catalog's price is localization's conversion; in Japan
    it is that with the seeded consumption tax (10 %) included, rounded once (meridian.money.shelf_price)."""
    net = api.get(PRODUCTS, params={"currency": "JPY", "locale": "en-US", "limit": "1", "category": "audio"}).json()
    item = net["items"][0]
    converted = api.get("/api/v1/localization/convert",
                        params={"amount": item["base_price"]["amount"], "from": "USD", "to": "JPY"}).json()
    assert item["price"] == converted["amount"] and item["tax"]["included"] is False
    assert item["fx"]["rate"] == converted["rate"] and item["fx"]["as_of"] == converted["as_of"]
    assert item["fx"]["stale"] == converted["stale"]
    japan = api.get(f"{PRODUCTS}/{item['id']}", params={"currency": "JPY", "locale": "ja"}).json()
    assert japan["tax"] == {"included": True, "rate": "0.1", "name": "Consumption tax", "country": "JP"}
    gross = Decimal(item["base_price"]["amount"]) * Decimal(converted["rate"]) * Decimal("1.1")
    assert japan["price"] == {"amount": str(gross.quantize(Decimal(1), rounding=ROUND_HALF_UP)), "currency": "JPY"}


def test_locale_fallback_chain_through_the_gateway(api, admin):
    pid = create_product(api, admin, name="Fallback mug")
    assert api.get(f"{PRODUCTS}/{pid}", params={"locale": "pt-BR"}).json()["locale"] == "en"
    assert api.send("PUT", f"{PRODUCTS}/{pid}/localizations/pt", json={"name": "Caneca"}, headers=admin).ok
    response = api.get(f"{PRODUCTS}/{pid}", headers={"Accept-Language": "pt-BR"})
    assert (response.json()["name"], response.json()["locale"]) == ("Caneca", "pt")
    assert response.headers["Content-Language"] == "pt"


def listed_ids(api, limit: int) -> list[str]:
    seen, cursor = [], None
    while True:
        body = api.get(PRODUCTS, params={"limit": str(limit), **({"cursor": cursor} if cursor else {})}).json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            return seen


def test_paging_sees_each_product_once_and_forged_cursors_are_400(api):
    everything = listed_ids(api, 100)
    seen = listed_ids(api, 7)
    assert len(seen) == len(set(seen)) == len(everything) and set(seen) == set(everything)
    first = api.get(PRODUCTS, params={"limit": "2"}).json()["next_cursor"]
    tampered = first[:-2] + ("AA" if not first.endswith("AA") else "BB")
    forged = api.get(PRODUCTS, params={"limit": "2", "cursor": tampered})
    assert forged.status_code == 400
    assert forged.headers["Content-Type"].startswith("application/problem+json")
    assert "cursor" in forged.json()["errors"]


def test_customers_cannot_use_admin_routes(api, customer, admin):
    pid = create_product(api, admin)
    for method, path, body in (("POST", PRODUCTS, {"name": "x", "category": "x", "base_price": "1"}),
                               ("PATCH", f"{PRODUCTS}/{pid}", {"base_price": "1.00"}),
                               ("DELETE", f"{PRODUCTS}/{pid}", None),
                               ("PUT", f"{PRODUCTS}/{pid}/localizations/de", {"name": "x"}),
                               ("PUT", f"{PRODUCTS}/{pid}/inventory", {"quantity": 1})):
        assert api.send(method, path, json=body, headers=customer).status_code == 403
        assert api.send(method, path, json=body).status_code == 401
    assert api.get(f"{PRODUCTS}/{pid}").json()["base_price"]["amount"] == "19.99"


def test_invalid_input_is_400_with_field_errors(api, admin):
    response = api.send("POST", PRODUCTS, headers=admin, json={
        "name": "<script>x</script>", "category": "Bad Category", "base_price": 1.5,
        "images": ["http://127.0.0.1/x.png"]})
    assert response.status_code == 400
    assert {"name", "category", "base_price", "images.0"} <= set(response.json()["errors"])


def test_fifty_concurrent_reservations_for_ten_units(stack, api, admin, customer, orders_signer):
    pid = create_product(api, admin, stock=10)

    def attempt(_):
        return internal_post(stack, orders_signer, RESERVATIONS, {
            "reservation_id": str(uuid.uuid4()), "items": [{"product_id": pid, "quantity": 1}]}).status_code

    with ThreadPoolExecutor(max_workers=25) as pool:
        statuses = list(pool.map(attempt, range(50)))
    assert statuses.count(201) == 10 and statuses.count(409) == 40, statuses
    assert stock_of(api, admin, pid) == 0

    body = {"reservation_id": str(uuid.uuid4()), "items": [{"product_id": pid, "quantity": 1}]}
    assert requests.post(stack.api_base_url + RESERVATIONS, json=body, headers=customer, timeout=15).status_code == 401


def test_expired_reservation_returns_stock_through_the_sweep(stack, api, admin, orders_signer):
    pid = create_product(api, admin, stock=3)
    held = internal_post(stack, orders_signer, RESERVATIONS, {
        "reservation_id": str(uuid.uuid4()), "items": [{"product_id": pid, "quantity": 3}], "ttl_seconds": 60})
    assert held.status_code == 201, held.text
    assert stock_of(api, admin, pid) == 0
    later = (datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    stats = stack.invoke("ReservationSweepFunction", {"source": "aws.events", "detail-type": "Scheduled Event",
                                                      "time": later})
    assert stats["expired"] >= 1
    assert stock_of(api, admin, pid) == 3
    rid = held.json()["reservation_id"]
    assert internal_post(stack, orders_signer, f"{RESERVATIONS}/{rid}/commit", {}).status_code == 409
