"""Order e-mails in the shopper's language: the locale is stored on the order at checkout (the items body's from
the saved preference or Accept-Language; a cart's is the cart's), and the e-mail is written in it, HTML and text,
with the order's money as that locale writes it and a link to the order's storefront page."""
from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest


@pytest.fixture
def product(services):
    return services.products.add("15.40", stock=10)


def _confirmation(order_id: str):
    from orders import emails, repository

    return emails.render(repository.get(order_id), emails.CONFIRMATION)


def test_a_japanese_shoppers_order_confirmation_is_japanese_with_yen_as_japan_writes_them(checkout, product):
    from meridian import mail
    from orders import repository

    placed = checkout(str(uuid.uuid4()), [{"product_id": product, "quantity": 2}], currency="JPY",
                      headers={"Accept-Language": "ja,en;q=0.5"})
    assert placed.status == 201, placed.json
    assert repository.get(placed.json["id"]).locale == "ja"                   # stored at checkout
    email = _confirmation(placed.json["id"])
    total = placed.json["total"]
    assert total["currency"] == "JPY" and "." not in total["amount"]
    written = mail.money(total["amount"], "JPY", "ja")
    assert written.startswith("￥") and "," in written                         # ￥4,630: yen, grouped, no decimals
    assert email.subject == f"Meridian ご注文 {placed.json['id'][:8]} が確定しました"
    for part in (email.text, email.html):
        assert written in part and "ご注文ありがとうございます" in part and placed.json["id"] in part
    assert '<html lang="ja" dir="ltr">' in email.html
    link = f"https://localhost:8443/orders/{placed.json['id']}?locale=ja"     # a customer's: no token
    assert link in email.text


def test_a_saved_arabic_preference_gives_a_right_to_left_email(checkout, product, services):
    from meridian import mail

    services.saved_locale = "ar"
    placed = checkout(str(uuid.uuid4()), [{"product_id": product, "quantity": 1}], currency="EUR")
    assert placed.status == 201, placed.json
    email = _confirmation(placed.json["id"])
    assert email.locale == "ar" and email.direction == "rtl"
    assert email.subject == f"تم تأكيد طلبك {placed.json['id'][:8]} من Meridian"
    assert '<html lang="ar" dir="rtl">' in email.html and "text-align:right" in email.html
    assert mail.money(placed.json["total"]["amount"], "EUR", "ar") in email.text


def test_an_order_without_a_locale_is_written_in_english(checkout, product):
    from orders import repository
    from orders.models import OrderModel

    placed = checkout(str(uuid.uuid4()), [{"product_id": product, "quantity": 1}]).json
    repository.get(placed["id"]).update(actions=[OrderModel.locale.remove()])     # placed before locales were
    email = _confirmation(placed["id"])
    assert email.locale == "en" and email.subject.endswith("is confirmed")


def test_a_guests_order_link_keeps_its_token(orders_app):
    from orders import emails, guest_links
    from orders.repository import GUEST_PREFIX

    order_id = str(uuid.uuid4())
    guest = emails._common(SimpleNamespace(id=order_id, user_id=f"{GUEST_PREFIX}{uuid.uuid4()}"), "de")
    assert guest["link"] == f"https://localhost:8443/orders/{order_id}?token={guest_links.token(order_id)}&locale=de"
    assert guest_links.valid(order_id, guest["link"].split("token=")[1].split("&")[0])
    customer = emails._common(SimpleNamespace(id=order_id, user_id=str(uuid.uuid4())), "de")
    assert customer["link"] == f"https://localhost:8443/orders/{order_id}?locale=de"
