"""verify_webhook_signature: HMAC-SHA256 of "<t>.<raw body>", constant-time, 5-minute tolerance."""
from __future__ import annotations

import hashlib
import hmac
import importlib
import sys
from pathlib import Path

import pytest

CODE = Path(__file__).resolve().parents[3] / "functions" / "payments"

SECRET = "whsec_test"
BODY = b'{"id":"evt_1","type":"payment_intent.succeeded"}'
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


def test_a_valid_signature_is_accepted(sig):
    assert sig.verify_webhook_signature(header(NOW), BODY, SECRET, now=NOW) == NOW
    assert sig.verify_webhook_signature(sig.sign(SECRET, BODY, timestamp=NOW), BODY, SECRET, now=NOW + 299) == NOW


def test_one_matching_v1_among_several_is_enough(sig):
    valid = header(NOW).split(",v1=")[1]
    assert sig.verify_webhook_signature(f"t={NOW},v1=deadbeef,v1={valid}", BODY, SECRET, now=NOW) == NOW


@pytest.mark.parametrize("value", [
    None, "", "garbage", f"t={NOW}", "v1=abc", "t=soon,v1=abc",
    header(NOW, secret="wrong"),                 # forged: another secret
    header(NOW, body=BODY + b" "),               # body changed after signing
    header(NOW - 600),                           # 10 minutes old
    header(NOW + 600),                           # from the future
])
def test_invalid_signatures_are_refused(sig, value):
    with pytest.raises(sig.InvalidSignature):
        sig.verify_webhook_signature(value, BODY, SECRET, now=NOW)


def test_the_sandbox_signs_the_same_way(sig):
    from infra.sandbox_gateway.webhooks import signature_header

    assert sig.verify_webhook_signature(signature_header(SECRET, BODY), BODY, SECRET) > 0
