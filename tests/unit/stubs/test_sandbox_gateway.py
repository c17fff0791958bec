"""The sandbox gateway process: intents, test cards, refunds, signed webhooks with retries, and its misbehaviours."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import stripe

from infra.harness.sandbox_gateway import SandboxGateway
from infra.harness.sandbox_gateway.server import parse_form

SECRET = "whsec_sandbox_test"
API_KEY = "sk_test_sandbox_unit"
API = requests.Session()                       # what the payments service is: it holds the secret key
API.headers["Authorization"] = f"Bearer {API_KEY}"


class Receiver:
    """A webhook endpoint that verifies each delivery as a Stripe integration would (`stripe.Webhook.construct_event`
    on the `Stripe-Signature` header), records events and headers, and can fail its first N calls."""

    def __init__(self):
        self.events: list[dict] = []
        self.headers: list[dict] = []
        self.failures_left = 0
        self.calls = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    stripe.Webhook.construct_event(body, self.headers.get("Stripe-Signature"), SECRET)
                    valid = True
                except (stripe.SignatureVerificationError, ValueError):
                    valid = False
                with receiver.lock:
                    receiver.calls += 1
                    receiver.headers.append(dict(self.headers))
                    failing = receiver.failures_left > 0
                    if failing:
                        receiver.failures_left -= 1
                    elif valid:
                        receiver.events.append(json.loads(body))
                status = 500 if failing else (200 if valid else 400)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/webhooks/payments"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.events) >= count:
                    return list(self.events)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} webhooks, got {len(self.events)}")

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.httpd.shutdown()


@pytest.fixture
def gateway(receiver):
    found = SandboxGateway(port=0, webhook_url=receiver.url, webhook_secret=SECRET, api_key=API_KEY).start()
    yield found
    found.stop()


def create(gateway, amount=1999, currency="eur", key=None) -> dict:
    headers = {"Idempotency-Key": key} if key else {}
    response = API.post(f"{gateway.url}/v1/payment_intents", json={"amount": amount, "currency": currency,
                                                                      "metadata": {"order_id": "o1"}},
                             headers=headers, timeout=5)
    assert response.status_code == 200
    return response.json()


def confirm(gateway, intent, card, secret=None) -> requests.Response:
    """As the shopper's browser confirms: with the intent's client_secret, without the API key."""
    return requests.post(f"{gateway.url}/v1/payment_intents/{intent['id']}/confirm",
                         json={"client_secret": secret or intent["client_secret"], "card_number": card}, timeout=5)


def settled(gateway, *, delivered: int, timeout: float = 20.0) -> dict:
    """The gateway's delivery counters once at least `delivered` webhooks got their 2xx and it is quiet:
    nothing queued, held or in flight (every queued delivery ended delivered or given up)."""
    deadline = time.monotonic() + timeout
    while True:
        stats = requests.get(f"{gateway.control_url}/v1/deliveries", timeout=5).json()
        quiet = stats["pending"] == 0 and stats["delivered"] + stats["given_up"] == stats["queued"]
        if quiet and stats["delivered"] >= delivered:
            return stats
        assert time.monotonic() < deadline, f"deliveries did not settle: {stats}"
        time.sleep(0.02)


def test_4242_succeeds_and_a_signed_webhook_is_delivered(gateway, receiver):
    intent = create(gateway)
    response = confirm(gateway, intent, "4242424242424242")
    assert response.status_code == 200 and response.json()["status"] == "succeeded"
    events = receiver.wait_for(2)
    by_type = {e["type"]: e for e in events}
    assert set(by_type) == {"payment_intent.created", "payment_intent.succeeded"}
    succeeded = by_type["payment_intent.succeeded"]
    assert succeeded["data"]["object"]["id"] == intent["id"] and succeeded["id"].startswith("evt_")
    assert succeeded["object"] == "event" and succeeded["livemode"] is False and "api_version" in succeeded


def test_deliveries_carry_stripes_signature_header(gateway, receiver):
    create(gateway)
    receiver.wait_for(1)
    [headers] = receiver.headers
    assert "Payment-Signature" not in headers
    t, v1 = headers["Stripe-Signature"].split(",")
    assert t.startswith("t=") and v1.startswith("v1=") and len(v1) == 3 + 64
    assert headers["Content-Type"].startswith("application/json")
    # a receiver with another secret refuses it, as Stripe's library would
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(json.dumps(receiver.events[0]), headers["Stripe-Signature"],
                                              "whsec_other", tolerance=300)


def test_form_encoded_requests_as_stripe_takes_them(gateway):
    """The stripe SDK's encoding: nested keys in brackets, every value a string."""
    response = API.post(f"{gateway.url}/v1/payment_intents",
                             data="amount=1999&currency=eur&metadata[order_id]=o1&metadata[payment_id]=p1"
                                  "&automatic_payment_methods[enabled]=true",
                 headers={"Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": "form-1"}, timeout=5)
    assert response.status_code == 200, response.text
    intent = response.json()
    assert (intent["amount"], intent["currency"], intent["metadata"]) == (1999, "eur", {"order_id": "o1",
                                                                                         "payment_id": "p1"})
    bad = API.post(f"{gateway.url}/v1/payment_intents", data="amount=abc&currency=eur",
                        headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=5)
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_request_error"


def test_parse_form():
    assert parse_form("a=1&m[k]=v&m[x]=&e[]=one&e[]=two&l[0]=z&amount=12") == {
        "a": "1", "m": {"k": "v", "x": ""}, "e": ["one", "two"], "l": ["z"], "amount": 12}


@pytest.mark.parametrize("card,decline_code", [("4000000000000002", "generic_decline"),
                                               ("4000000000009995", "insufficient_funds")])
def test_declined_cards_fail_with_their_reason(gateway, receiver, card, decline_code):
    intent = create(gateway)
    response = confirm(gateway, intent, card)
    assert response.status_code == 402
    assert response.json()["error"]["decline_code"] == decline_code
    events = receiver.wait_for(2)
    failed = [e for e in events if e["type"] == "payment_intent.payment_failed"]
    assert failed[0]["data"]["object"]["last_payment_error"]["decline_code"] == decline_code


def test_wrong_client_secret_or_unknown_card_changes_nothing(gateway, receiver):
    intent = create(gateway)
    assert confirm(gateway, intent, "4242424242424242", secret="pi_x_secret_wrong").status_code == 400
    assert confirm(gateway, intent, "1234123412341234").status_code == 402
    settled(gateway, delivered=1)                        # everything sent was delivered, nothing is queued
    assert receiver.types() == ["payment_intent.created"]
    assert API.get(f"{gateway.url}/v1/payment_intents/{intent['id']}", timeout=5).json()["status"] == \
        "requires_payment_method"


def test_delivery_is_retried_until_a_2xx(gateway, receiver):
    receiver.failures_left = 3
    create(gateway)
    receiver.wait_for(1, timeout=30)
    stats = settled(gateway, delivered=1)                # the sender counts the 2xx after the receiver saw it
    assert receiver.calls == 4
    assert stats["delivered"] == 1 and stats["failed_attempts"] == 3 and stats["pending"] == 0


def test_duplicates_send_each_event_several_times(gateway, receiver):
    requests.post(f"{gateway.control_url}/v1/control", json={"duplicates": 3}, timeout=5)
    create(gateway)
    events = receiver.wait_for(3)
    assert len({e["id"] for e in events}) == 1


def test_out_of_order_sends_succeeded_before_created(gateway, receiver):
    requests.post(f"{gateway.control_url}/v1/control", json={"out_of_order": True, "hold_ms": 30000}, timeout=5)
    intent = create(gateway)
    held = requests.get(f"{gateway.control_url}/v1/deliveries", timeout=5).json()
    assert (held["queued"], held["attempts"], held["pending"]) == (0, 0, 1)    # created is held back, not sent
    assert receiver.events == []
    confirm(gateway, intent, "4242424242424242")
    stats = settled(gateway, delivered=2)
    assert receiver.types() == ["payment_intent.succeeded", "payment_intent.created"]
    assert (stats["delivered"], stats["failed_attempts"]) == (2, 0)         # each sent once, in that order


def test_fail_and_slow_modes(gateway):
    requests.post(f"{gateway.control_url}/v1/control", json={"fail": True}, timeout=5)
    response = API.post(f"{gateway.url}/v1/payment_intents", json={"amount": 1, "currency": "usd"}, timeout=5)
    assert response.status_code == 503
    requests.post(f"{gateway.control_url}/v1/control", json={"fail": False, "delay_ms": 300}, timeout=5)
    started = time.monotonic()
    create(gateway)
    assert time.monotonic() - started >= 0.3
    assert requests.post(f"{gateway.control_url}/v1/control/reset", timeout=5).json()["delay_ms"] == 0


def test_idempotency_keys(gateway):
    first = create(gateway, key="k1")
    assert create(gateway, key="k1")["id"] == first["id"]
    response = API.post(f"{gateway.url}/v1/payment_intents", json={"amount": 5, "currency": "eur"},
                             headers={"Idempotency-Key": "k1"}, timeout=5)
    assert response.status_code == 400 and response.json()["error"]["type"] == "idempotency_error"


def test_refunds_send_charge_refunded(gateway, receiver):
    intent = create(gateway, amount=1000)
    refund = API.post(f"{gateway.url}/v1/refunds", json={"payment_intent": intent["id"]}, timeout=5)
    assert refund.status_code == 400                     # not paid yet
    confirm(gateway, intent, "4242424242424242")
    refund = API.post(f"{gateway.url}/v1/refunds", json={"payment_intent": intent["id"], "amount": 400},
                           timeout=5)
    assert refund.status_code == 200 and refund.json()["amount"] == 400
    events = receiver.wait_for(3)
    charge = [e for e in events if e["type"] == "charge.refunded"][0]["data"]["object"]
    assert charge["payment_intent"] == intent["id"] and charge["amount_refunded"] == 400 and not charge["refunded"]


def test_cancel(gateway, receiver):
    intent = create(gateway)
    response = API.post(f"{gateway.url}/v1/payment_intents/{intent['id']}/cancel", timeout=5)
    assert response.json()["status"] == "canceled"
    assert confirm(gateway, intent, "4242424242424242").status_code == 400
    paid = create(gateway)
    confirm(gateway, paid, "4242424242424242")
    assert API.post(f"{gateway.url}/v1/payment_intents/{paid['id']}/cancel", timeout=5).status_code == 400


def test_main_reads_the_secret_from_secrets_manager(monkeypatch):
    from infra.harness.sandbox_gateway import __main__ as entry

    seen = {}

    def fake_read_secret(endpoint, secret_id, *, region):
        seen.setdefault("endpoint", endpoint)
        seen.setdefault("secret_ids", []).append(secret_id)
        return {"meridian/payments/webhook-secret": SECRET, "meridian/payments/gateway-api-key": API_KEY}[secret_id]

    def fake_serve(self):
        seen.update(webhook_secret=self.sender.secret, api_key=self.api_key)
        raise KeyboardInterrupt

    monkeypatch.setattr(entry, "read_secret", fake_read_secret)
    monkeypatch.setattr(SandboxGateway, "serve_forever", fake_serve)
    assert entry.main(["--port", "0", "--webhook-url", "http://127.0.0.1:9/x", "--aws-endpoint", "http://aws.test",
                       "--webhook-secret-id", "meridian/payments/webhook-secret",
                       "--api-key-secret-id", "meridian/payments/gateway-api-key"]) == 0
    assert seen == {"endpoint": "http://aws.test", "webhook_secret": SECRET, "api_key": API_KEY,
                    "secret_ids": ["meridian/payments/webhook-secret", "meridian/payments/gateway-api-key"]}


def test_without_the_secret_key_only_a_confirm_by_client_secret_is_open(gateway, receiver):
    """As Stripe: reading, creating, cancelling and refunding need the secret key; the browser's confirm needs
    the intent's client_secret; the test controls are not on the API port at all."""
    intent = create(gateway, amount=700)
    anonymous, wrong = requests.Session(), requests.Session()
    wrong.headers["Authorization"] = "Bearer sk_test_guess"
    for session in (anonymous, wrong):
        calls = [session.get(f"{gateway.url}/v1/payment_intents/{intent['id']}", timeout=5),
                 session.post(f"{gateway.url}/v1/payment_intents", json={"amount": 1, "currency": "eur"}, timeout=5),
                 session.post(f"{gateway.url}/v1/payment_intents/{intent['id']}/cancel", timeout=5),
                 session.post(f"{gateway.url}/v1/refunds", json={"payment_intent": intent["id"]}, timeout=5),
                 session.post(f"{gateway.url}/v1/control", json={"webhook_url": "http://attacker.test/"}, timeout=5)]
        assert [c.status_code for c in calls] == [401] * 5
        assert {c.json()["error"]["code"] for c in calls} == {"api_key_invalid"}
        assert intent["client_secret"] not in "".join(c.text for c in calls)
    assert requests.get(f"{gateway.url}/v1/payment_intents/{intent['id']}", auth=(API_KEY, ""), timeout=5).ok
    for path in ("/v1/control", "/v1/deliveries"):                # with the key: still not here
        assert API.get(f"{gateway.url}{path}", timeout=5).status_code == 404
    assert gateway.control_state()["webhook_url"] == receiver.url and len(gateway.ledger.intents) == 1
    assert confirm(gateway, intent, "4242424242424242").json()["status"] == "succeeded"
    assert requests.get(f"{gateway.control_url}/v1/control", timeout=5).json()["webhook_url"] == receiver.url


# ---------------------------------------------------------------- 3-D Secure (requires_action)
CHALLENGE_CARDS = ("4000002760003184", "4000002500003155")
CHALLENGE_THEN_DECLINE = "4000008260003178"


def confirm_3ds(gateway, intent, card, return_url="/orders/o1?token=t1", headers=None) -> requests.Response:
    body = {"client_secret": intent["client_secret"], "card_number": card}
    if return_url is not None:
        body["return_url"] = return_url
    return requests.post(f"{gateway.url}/v1/payment_intents/{intent['id']}/confirm", json=body,
                         headers=headers or {}, timeout=5)


def answer_challenge(url: str, client_secret: str, outcome: str) -> requests.Response:
    """What the challenge page's buttons do: a form POST to the page's own path."""
    return requests.post(url.split("?")[0], data={"client_secret": client_secret, "outcome": outcome},
                         allow_redirects=False, timeout=5)


@pytest.mark.parametrize("card", CHALLENGE_CARDS)
def test_a_challenge_card_requires_action_then_completing_it_succeeds(gateway, receiver, card):
    intent = create(gateway)
    response = confirm_3ds(gateway, intent, card)
    assert response.status_code == 200, response.text
    pending = response.json()
    assert pending["status"] == "requires_action"
    next_action = pending["next_action"]
    assert next_action["type"] == "redirect_to_url"
    assert next_action["redirect_to_url"]["return_url"] == "/orders/o1?token=t1"
    url = next_action["redirect_to_url"]["url"]
    assert url.startswith(f"{gateway.url}/v1/payment_intents/{intent['id']}/authenticate?client_secret=")
    page = requests.get(url, timeout=5)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "Complete authentication" in page.text and "Fail authentication" in page.text
    assert "<script" not in page.text and "19.99 EUR" in page.text
    assert 'action="authenticate"' in page.text and 'method="post"' in page.text
    answer = answer_challenge(url, intent["client_secret"], "complete")
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/orders/o1?token=t1&payment_intent={intent['id']}&redirect_status=succeeded"
    receiver.wait_for(3)   # sent by parallel workers, as Stripe's: in any order
    assert sorted(receiver.types()) == ["payment_intent.created", "payment_intent.requires_action",
                                        "payment_intent.succeeded"]
    requires_action = receiver.events[1]["data"]["object"]
    assert requires_action["status"] == "requires_action" and requires_action["next_action"]["type"] == \
        "redirect_to_url"
    paid = API.get(f"{gateway.url}/v1/payment_intents/{intent['id']}", timeout=5).json()
    assert (paid["status"], paid["next_action"], paid["amount_received"]) == ("succeeded", None, 1999)
    # the challenge is over: the page and its buttons answer 400, nothing changes
    assert requests.get(url, timeout=5).status_code == 400
    assert answer_challenge(url, intent["client_secret"], "fail").status_code == 400
    settled(gateway, delivered=3)
    assert len(receiver.events) == 3


def test_failing_the_challenge_leaves_the_intent_open_for_another_card(gateway, receiver):
    intent = create(gateway)
    url = confirm_3ds(gateway, intent, "4000002760003184").json()["next_action"]["redirect_to_url"]["url"]
    answer = answer_challenge(url, intent["client_secret"], "fail")
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"&payment_intent={intent['id']}&redirect_status=failed")
    failed = API.get(f"{gateway.url}/v1/payment_intents/{intent['id']}", timeout=5).json()
    assert failed["status"] == "requires_payment_method" and failed["next_action"] is None
    assert failed["last_payment_error"]["code"] == "payment_intent_authentication_failure"
    receiver.wait_for(3)
    assert receiver.types()[-1] == "payment_intent.payment_failed"
    assert receiver.events[-1]["data"]["object"]["last_payment_error"]["code"] == \
        "payment_intent_authentication_failure"
    retried = confirm(gateway, intent, "4242424242424242")            # another card on the same intent
    assert retried.status_code == 200 and retried.json()["status"] == "succeeded"
    receiver.wait_for(4)
    assert receiver.types()[-1] == "payment_intent.succeeded"


def test_the_challenge_then_decline_card_is_declined_after_authentication(gateway, receiver):
    intent = create(gateway)
    url = confirm_3ds(gateway, intent, CHALLENGE_THEN_DECLINE).json()["next_action"]["redirect_to_url"]["url"]
    answer = answer_challenge(url, intent["client_secret"], "complete")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("redirect_status=failed")
    declined = API.get(f"{gateway.url}/v1/payment_intents/{intent['id']}", timeout=5).json()
    assert declined["status"] == "requires_payment_method"
    assert declined["last_payment_error"]["decline_code"] == "insufficient_funds"
    receiver.wait_for(3)   # in any order
    assert sorted(receiver.types()) == ["payment_intent.created", "payment_intent.payment_failed",
                                        "payment_intent.requires_action"]
    assert confirm(gateway, intent, "4242424242424242").json()["status"] == "succeeded"


def test_a_confirm_while_it_requires_action_is_refused_and_a_cancel_is_not(gateway, receiver):
    intent = create(gateway)
    url = confirm_3ds(gateway, intent, "4000002500003155").json()["next_action"]["redirect_to_url"]["url"]
    again = confirm(gateway, intent, "4242424242424242")
    assert again.status_code == 400 and again.json()["error"]["code"] == "payment_intent_unexpected_state"
    assert API.get(f"{gateway.url}/v1/payment_intents/{intent['id']}", timeout=5).json()["status"] == \
        "requires_action"
    canceled = API.post(f"{gateway.url}/v1/payment_intents/{intent['id']}/cancel", timeout=5).json()
    assert canceled["status"] == "canceled" and canceled["next_action"] is None
    assert answer_challenge(url, intent["client_secret"], "complete").status_code == 400


def test_the_challenge_wants_the_client_secret_and_a_known_outcome(gateway, receiver):
    intent = create(gateway)
    url = confirm_3ds(gateway, intent, "4000002760003184").json()["next_action"]["redirect_to_url"]["url"]
    bare = url.split("?")[0]
    assert requests.get(bare, timeout=5).status_code == 400
    assert requests.get(f"{bare}?client_secret=pi_x_secret_wrong", timeout=5).status_code == 400
    assert answer_challenge(url, "pi_x_secret_wrong", "complete").status_code == 400
    assert answer_challenge(url, intent["client_secret"], "maybe").status_code == 400
    assert API.get(f"{gateway.url}/v1/payment_intents/{intent['id']}", timeout=5).json()["status"] == \
        "requires_action"


@pytest.mark.parametrize("return_url", ["https://evil.test/", "//evil.test/x", "/\\evil.test", "orders/o1",
                                        "javascript:alert(1)", "/a b", "/" + "a" * 2048])
def test_return_url_must_be_a_path_on_this_site(gateway, receiver, return_url):
    intent = create(gateway)
    response = confirm_3ds(gateway, intent, "4000002760003184", return_url=return_url)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "return_url"
    assert API.get(f"{gateway.url}/v1/payment_intents/{intent['id']}", timeout=5).json()["status"] == \
        "requires_payment_method"
    settled(gateway, delivered=1)
    assert receiver.types() == ["payment_intent.created"]


def test_without_a_return_url_the_challenge_ends_on_a_page_of_its_own(gateway):
    intent = create(gateway)
    url = confirm_3ds(gateway, intent, "4000002760003184", return_url=None).json()["next_action"][
        "redirect_to_url"]["url"]
    answer = answer_challenge(url, intent["client_secret"], "complete")
    assert answer.status_code == 200 and "Authentication succeeded" in answer.text


def test_through_the_shops_gateway_the_challenge_url_is_under_its_public_prefix(gateway):
    """nginx serves the sandbox under /sandbox/ (prefix stripped) and says so with X-Forwarded-Proto."""
    intent = create(gateway)
    response = confirm_3ds(gateway, intent, "4000002760003184",
                           headers={"Host": "shop.test:8443", "X-Forwarded-Proto": "https"})
    url = response.json()["next_action"]["redirect_to_url"]["url"]
    assert url.startswith(f"https://shop.test:8443/sandbox/v1/payment_intents/{intent['id']}/authenticate?")
    other = create(gateway)
    bad_host = confirm_3ds(gateway, other, "4000002760003184",
                           headers={"Host": "evil.test/x?", "X-Forwarded-Proto": "https"})
    assert bad_host.json()["next_action"]["redirect_to_url"]["url"].startswith(
        f"https://127.0.0.1:{gateway.port}/sandbox/")
