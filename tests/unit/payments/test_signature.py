"""verify_webhook_signature: Stripe's scheme (`Stripe-Signature: t=…,v1=…`), checked against the stripe library."""
from __future__ import annotations

import hashlib
import hmac
import importlib
import sys
import time
from pathlib import Path

import pytest
import stripe

CODE = Path(__file__).resolve().parents[3] / "functions" / "payments"

SECRET = "whsec_test_5ecret"
BODY = b'{"id":"evt_1","object":"event","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1"}}}'
NOW = 1_800_000_000


@pytest.fixture
def sig(monkeypatch):
    """payments.signature alone (pure: no AWS)."""
    for name in [n for n in sys.modules if n.split(".")[0] == "payments"]:
        del sys.modules[name]
    monkeypatch.syspath_prepend(str(CODE))
    yield importlib.import_module("payments.signature")
    for name in [n for n in sys.modules if n.split(".")[0] == "payments"]:
        del sys.modules[name]


def header(t: int, body: bytes = BODY, secret: str = SECRET) -> str:
    return f"t={t},v1={hmac.new(secret.encode(), f'{t}.'.encode() + body, hashlib.sha256).hexdigest()}"


def stripe_header(t: int, body: bytes = BODY, secret: str = SECRET) -> str:
    """The header as Stripe's own library computes it."""
    return stripe.WebhookSignature.generate_signature_header(body.decode(), secret, timestamp=t)


def test_the_header_is_stripes(sig):
    assert sig.HEADER == "Stripe-Signature"


def test_a_valid_signature_is_accepted(sig):
    assert sig.verify_webhook_signature(header(NOW), BODY, SECRET, now=NOW) == NOW
    assert sig.verify_webhook_signature(sig.sign(SECRET, BODY, timestamp=NOW), BODY, SECRET, now=NOW + 299) == NOW


def test_signatures_made_by_the_stripe_library_are_accepted(sig):
    assert sig.verify_webhook_signature(stripe_header(NOW), BODY, SECRET, now=NOW) == NOW
    assert stripe_header(NOW) == sig.sign(SECRET, BODY, timestamp=NOW)              # byte for byte the same
    v1 = stripe.WebhookSignature._compute_signature(f"{NOW}.{BODY.decode()}", SECRET)
    assert sig.verify_webhook_signature(f"t={NOW},v1={v1}", BODY, SECRET, now=NOW) == NOW


def test_our_signatures_pass_the_stripe_librarys_verification(sig):
    now = int(time.time())
    assert stripe.WebhookSignature.verify_header(BODY, sig.sign(SECRET, BODY, timestamp=now), SECRET, tolerance=300)
    event = stripe.Webhook.construct_event(BODY, sig.sign(SECRET, BODY), SECRET)
    assert event.id == "evt_1" and event.type == "payment_intent.succeeded"


def test_one_matching_v1_among_several_is_enough(sig):
    """While an endpoint's secret is rolled, Stripe signs with the old and the new secret."""
    ours = header(NOW).split(",v1=")[1]
    old = header(NOW, secret="whsec_the_old_one").split(",v1=")[1]
    assert sig.verify_webhook_signature(f"t={NOW},v1={old},v1={ours}", BODY, SECRET, now=NOW) == NOW
    assert sig.verify_webhook_signature(f"t={NOW},v1={ours},v1={old}", BODY, SECRET, now=NOW) == NOW
    assert sig.verify_webhook_signature(f"t={NOW},v1={old},v1={ours},v0={'0' * 64}", BODY, SECRET, now=NOW) == NOW


@pytest.mark.parametrize("value", [
    None, "", "garbage", f"t={NOW}", "v1=abc", "t=soon,v1=abc", f"t=-{NOW},v1=abc",
    header(NOW, secret="wrong"),                              # forged: another secret
    header(NOW, body=BODY + b" "),                            # body changed after signing
    header(NOW - 600),                                        # 10 minutes old
    header(NOW - 301),                                        # just past the tolerance
    header(NOW + 600),                                        # from the future
    header(NOW).replace("v1=", "v0="),                        # right MAC, but not the v1 scheme
    f"t={NOW},t={NOW - 600},{header(NOW).split(',')[1]}",     # two timestamps
    f"t={NOW},v1={'0' * 64},v1={'f' * 64}",                   # several v1, none matching
    stripe.WebhookSignature.generate_signature_header(BODY.decode(), "whsec_other", timestamp=NOW),
])
def test_invalid_signatures_are_refused(sig, value):
    with pytest.raises(sig.InvalidSignature):
        sig.verify_webhook_signature(value, BODY, SECRET, now=NOW)


def test_no_secret_verifies_nothing(sig):
    with pytest.raises(sig.InvalidSignature):
        sig.verify_webhook_signature(header(NOW, secret=""), BODY, "", now=NOW)


def test_the_tolerance_is_a_parameter(sig):
    assert sig.verify_webhook_signature(header(NOW - 100), BODY, SECRET, now=NOW, tolerance=120) == NOW - 100
    with pytest.raises(sig.InvalidSignature):
        sig.verify_webhook_signature(header(NOW - 100), BODY, SECRET, now=NOW, tolerance=60)


def test_the_sandbox_signs_as_stripe_does(sig):
    from infra.harness.sandbox_gateway.webhooks import SIGNATURE_HEADER, signature_header

    assert SIGNATURE_HEADER == sig.HEADER
    now = int(time.time())
    assert signature_header(SECRET, BODY, timestamp=now) == stripe_header(now)
    assert sig.verify_webhook_signature(signature_header(SECRET, BODY), BODY, SECRET) > 0
    # the stripe library's own verification accepts what the sandbox sends (the sandbox is Stripe-compatible)
    event = stripe.Webhook.construct_event(BODY, signature_header(SECRET, BODY), SECRET)
    assert event.id == "evt_1"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(BODY, signature_header("whsec_other", BODY), SECRET)
