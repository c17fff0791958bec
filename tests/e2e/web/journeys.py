"""Steps the browser tests share: products and codes made through the admin API, a shopper's way through the
storefront's pages by their test ids (web/src/store), the address form, the card element."""
from __future__ import annotations

import re
import uuid
from urllib.parse import urlparse

from tests.integration.checkout_helpers import url

GOOD_CARD, DECLINED_CARD = "4242424242424242", "4000000000000002"
THREE_DS_CARD = "4000002760003184"          # the sandbox asks for 3-D Secure, then it succeeds
PAID_TIMEOUT_MS = 60_000


def new_product(stack, admin_headers: dict, *, price: str = "24.00", stock: int = 20,
                localized: dict[str, str] | None = None) -> dict:
    """A product of the test's own (its name unique), localized as asked: {"de": "Becher …"}."""
    tag = uuid.uuid4().hex[:6]
    name = f"Enamel mug {tag}"
    body = {"name": name, "description": "Enamel mug for the browser tests.", "category": "kitchen",
            "base_price": price, "stock": stock}
    session = stack.session()
    created = session.post(url(stack, "/api/v1/products"), json=body,
                           headers={**admin_headers, "Idempotency-Key": str(uuid.uuid4())}, timeout=20)
    assert created.status_code == 201, created.text
    names = {"en": name}
    for locale, local_name in (localized or {}).items():
        names[locale] = f"{local_name} {tag}"
        answer = session.put(url(stack, f"/api/v1/products/{created.json()['id']}/localizations/{locale}"),
                             json={"name": names[locale], "description": f"{local_name} ({locale})"},
                             headers=admin_headers, timeout=20)
        assert answer.status_code == 200, answer.text
    return {"id": created.json()["id"], "names": names}


def new_code(stack, admin_headers: dict, percent: str = "10") -> str:
    code = f"WEB{uuid.uuid4().hex[:6].upper()}"
    created = stack.session().post(url(stack, "/api/v1/promotions"), headers=admin_headers, timeout=20,
                                   json={"code": code, "kind": "percentage", "percent": percent})
    assert created.status_code == 201, created.text
    return code


def path_of(link: str) -> str:
    parsed = urlparse(link)
    return f"{parsed.path}?{parsed.query}" if parsed.query else parsed.path


def find_product(page, name: str):
    """Search the catalog for `name`, open its product page."""
    page.get_by_test_id("search").fill(name)
    page.get_by_test_id("search").press("Enter")
    card = page.get_by_test_id("product-card").filter(has_text=name).first
    card.wait_for()
    price = card.get_by_test_id("price").inner_text()
    card.get_by_role("link").first.click()
    page.get_by_test_id("product-name").filter(has_text=name).wait_for()
    return price


def add_to_cart(page, quantity: int) -> None:
    page.get_by_test_id("quantity").fill(str(quantity))
    page.get_by_test_id("add-to-cart").click()
    page.locator(f"[data-testid=cart-link][data-count='{quantity}']").wait_for()


def fill(page, name: str, value: str) -> None:
    field = page.locator(f"[name={name}]").first
    if field.evaluate("e => e.tagName") == "SELECT":
        field.select_option(value)
    else:
        field.fill(value)


def sign_in(shop, path: str, email: str, password: str, context=None):
    """Open `path` (a login page of either app), sign in; the page, in `context` (a new one by default)."""
    page = shop.open(path, context)
    fill(page, "email", email)
    fill(page, "password", password)
    page.get_by_test_id("submit").click()
    return page


def ship_to(page, address: dict, method_id: str, email: str | None = None) -> None:
    """On /checkout: the guest's e-mail, the address, then the shipping method."""
    if email:
        fill(page, "email", email)
    for name, value in address.items():
        fill(page, name, value)
    page.get_by_test_id("save-address").click()
    method = page.locator(f"[data-testid=shipping-method][value='{method_id}']")
    method.check()
    page.wait_for_load_state("networkidle")                 # the cart's answer to the choice, shown
    page.wait_for_function("() => !document.querySelector('[data-testid=place-order]').disabled")


def pay(page, card: str) -> None:
    page.get_by_test_id("card-number").fill(card)
    page.get_by_test_id("pay").click()


def wait_paid(page) -> None:
    page.locator("[data-testid=order-status][data-status=paid]").wait_for(timeout=PAID_TIMEOUT_MS)


def order_from_url(page) -> tuple[str, str | None]:
    """/orders/<id>?token=<guest token> → (id, token)."""
    parsed = urlparse(page.url)
    assert parsed.path.startswith("/orders/"), page.url
    token = dict(p.split("=", 1) for p in parsed.query.split("&") if "=" in p).get("token")
    return parsed.path.rsplit("/", 1)[-1], token


def paying_order(page) -> str:
    """On /checkout/pay/<id>: the order being paid."""
    page.get_by_test_id("card-number").wait_for()
    parsed = urlparse(page.url)
    assert parsed.path.startswith("/checkout/pay/"), page.url
    return parsed.path.rsplit("/", 1)[-1]


def authenticate(shop, page, outcome: str, look_as: str) -> None:
    """On the sandbox's 3-D Secure page (what a bank's challenge is): complete or fail it; back to the shop."""
    page.wait_for_url(re.compile(r"/sandbox/v1/payment_intents/[A-Za-z0-9_]+/authenticate\?"))
    shop.look(page, look_as)
    label = {"complete": "Complete authentication", "fail": "Fail authentication"}[outcome]
    page.get_by_role("button", name=label).click()
    page.wait_for_url("**/orders/**")
    page.locator("#root main").first.wait_for()
