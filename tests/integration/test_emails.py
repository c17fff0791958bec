"""E-mails as shoppers get them, through the gateway and SES (moto's, which keeps each message's text and HTML
parts: infra/localaws/moto_server.py): a Japanese and an Arabic (right to left) shopper's order confirmation in
their language with the total as their locale writes it, and a registration's verification link that opens this
stack's storefront page for it, whose API call with the link's token succeeds."""
from __future__ import annotations

import re
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from meridian import mail

from tests import storefront
from tests.integration.accounts import bearer
from tests.integration.checkout_helpers import (
    ADDRESS,
    PASSWORD,
    admin,
    confirm,
    new_product,
    sandbox_control,
    url,
    wait_for_status,
)


@pytest.fixture(scope="module")
def admin_headers(stack):
    assert "admin@example.com" in stack.credentials, "the admin account is not seeded"
    assert stack.sandbox_url, "the stack runs no sandbox payment gateway"
    sandbox_control(stack)
    return admin(stack)


def wait_for_email(stack, to: str, subject: str, timeout: float = 45.0) -> dict:
    """The message moto's SES kept for `to` with this subject: {subject, body, text, html, ...}."""
    deadline = time.monotonic() + timeout
    while True:
        data = stack.session().get(f"{stack.aws_endpoint}/moto-api/data.json", timeout=20).json()
        found = [m for m in data.get("ses", {}).get("Message", [])
                 if to in m["destinations"].get("ToAddresses", []) and m["subject"] == subject]
        if found:
            return found[-1]
        if time.monotonic() > deadline:
            raise AssertionError(f"no e-mail {subject!r} to {to} within {timeout}s")
        time.sleep(0.5)


def shopper(stack, locale: str, currency: str) -> dict:
    email = f"mail-{locale}-{uuid.uuid4().hex[:8]}@example.com"
    registered = stack.session().post(url(stack, "/api/v1/auth/register"), timeout=20,
                                      json={"email": email, "password": PASSWORD, "locale": locale,
                                            "currency": currency})
    assert registered.status_code == 201, registered.text
    return {"email": email, "headers": bearer(stack, email, PASSWORD)}


def paid_order(stack, admin_headers, who: dict, currency: str, price: str) -> dict:
    product = new_product(stack, admin_headers, price=price)
    placed = stack.session().post(url(stack, "/api/v1/orders"), timeout=30,
                                  headers={**who["headers"], "Idempotency-Key": str(uuid.uuid4())},
                                  json={"items": [{"product_id": product, "quantity": 2}], "currency": currency,
                                        "shipping_address": ADDRESS})
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert confirm(stack, order).status_code == 200
    wait_for_status(stack, who["headers"], order["id"], "paid")
    return order


def test_a_japanese_shoppers_order_confirmation_is_japanese_in_html_and_text(stack, admin_headers):
    who = shopper(stack, "ja", "JPY")
    order = paid_order(stack, admin_headers, who, "JPY", "24.00")
    total = mail.money(order["total"]["amount"], "JPY", "ja")
    assert re.fullmatch(r"￥\d{1,3}(,\d{3})*", total), total                  # yen, grouped, no decimals

    sent = wait_for_email(stack, who["email"], f"Meridian ご注文 {order['id'][:8]} が確定しました")
    text, html = sent["text"], sent["html"]
    assert text and html and sent["body"] == html
    for part in (text, html):
        assert "ご注文ありがとうございます" in part and "お支払い合計" in part and order["id"] in part
        assert total in part
    assert "<html" not in text and '<html lang="ja" dir="ltr">' in html
    assert f"お支払い合計: {total}" in text
    assert f"{stack.base_url}/orders/{order['id']}?locale=ja" in text            # this stack's storefront


def test_an_arabic_shoppers_order_confirmation_is_arabic_and_right_to_left(stack, admin_headers):
    who = shopper(stack, "ar", "USD")
    order = paid_order(stack, admin_headers, who, "USD", "10.95")
    total = mail.money(order["total"]["amount"], "USD", "ar")
    assert "US$" in total and order["total"]["amount"] in total                # as Babel (CLDR) writes it for ar

    sent = wait_for_email(stack, who["email"], f"تم تأكيد طلبك {order['id'][:8]} من Meridian")
    text, html = sent["text"], sent["html"]
    for part in (text, html):
        assert "شكرًا لطلبك" in part and "إجمالي المدفوع" in part and total in part
    assert '<html lang="ar" dir="rtl">' in html and 'body dir="rtl"' in html
    assert "text-align:right" in html
    assert f"إجمالي المدفوع: {total}" in text


def test_the_verification_link_opens_this_stacks_storefront_page_and_its_token_verifies(stack):
    email = f"mail-link-{uuid.uuid4().hex[:8]}@example.com"
    session = stack.session()
    registered = session.post(url(stack, "/api/v1/auth/register"), json={"email": email, "password": PASSWORD},
                              headers={"Accept-Language": "he-IL,he;q=0.9"}, timeout=20)
    assert registered.status_code == 201, registered.text
    sent = wait_for_email(stack, email, "אימות כתובת הדוא״ל שלך")          # the browser's language: Hebrew
    assert '<html lang="he" dir="rtl">' in sent["html"]

    link = re.search(r"https?://\S+/verify-email\?\S+", sent["text"]).group(0)
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == stack.base_url              # PublicBaseUrl: this stack, not :8443
    assert f'href="{link.replace("&", "&amp;")}"' in sent["html"]
    route = storefront.route_of(parts.path)
    assert route == "/verify-email", f"{parts.path} is not a storefront route: the SPA shows its 404 page"
    query = parse_qs(parts.query)
    assert storefront.reads_query(route, "token") and query["locale"] == ["he"]

    page = session.get(link, timeout=20)                                      # the SPA's document, from this stack
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    # what the page does with the link's token (VerifyEmail: POST /api/v1/auth/verify-email {token})
    verified = session.post(url(stack, "/api/v1/auth/verify-email"), json={"token": query["token"][0]}, timeout=20)
    assert verified.status_code == 204, verified.text
    again = session.post(url(stack, "/api/v1/auth/login"), json={"email": email, "password": PASSWORD}, timeout=20)
    claims = jwt.decode(again.json()["access_token"], options={"verify_signature": False})
    assert claims["email_verified"] is True
