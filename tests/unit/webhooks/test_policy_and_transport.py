"""The numbers (webhooks.policy: backoff with full jitter, the retry window, the disable threshold) and the
transport (webhooks.transport: the checked address, no redirects, a timeout, a 1 KB excerpt)."""
from __future__ import annotations

import datetime as dt
import importlib
import random
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CODE = Path(__file__).resolve().parents[3] / "functions" / "webhooks"
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone.utc)


def _purge():
    for name in [n for n in sys.modules if n.split(".")[0] == "webhooks"]:
        del sys.modules[name]


@pytest.fixture
def policy(monkeypatch):
    _purge()
    monkeypatch.syspath_prepend(str(CODE))
    for name in ("WEBHOOK_RETRY_BASE_SECONDS", "WEBHOOK_RETRY_CAP_SECONDS", "WEBHOOK_RETRY_WINDOW_SECONDS",
                 "WEBHOOK_DISABLE_AFTER_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    yield importlib.import_module("webhooks.policy")
    _purge()


@pytest.fixture
def transport(monkeypatch):
    _purge()
    monkeypatch.syspath_prepend(str(CODE))
    yield importlib.import_module("webhooks.transport"), importlib.import_module("webhooks.targets")
    _purge()


def test_backoff_doubles_from_the_base_up_to_the_cap(policy):
    assert [policy.backoff_ceiling(n) for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert policy.backoff_ceiling(200) == 3600


def test_backoff_is_full_jitter_within_its_ceiling(policy):
    rng = random.Random(7)
    waits = [policy.backoff(4, rng=rng) for _ in range(2000)]
    assert all(0 <= w <= 240 for w in waits)
    assert min(waits) < 24 and max(waits) > 216           # spread over the whole range, not around the ceiling


def test_the_base_is_configurable_so_a_local_stack_retries_within_seconds(policy, monkeypatch):
    monkeypatch.setenv("WEBHOOK_RETRY_BASE_SECONDS", "1")
    assert policy.backoff_ceiling(1) == 1 and policy.backoff(1) <= 1


def test_retries_stop_after_the_window(policy):
    give_up = NOW + dt.timedelta(days=1)
    assert policy.next_attempt(NOW, 1, give_up, rng=random.Random(1)) <= NOW + dt.timedelta(seconds=30)
    assert policy.next_attempt(give_up - dt.timedelta(seconds=1), 9, give_up, rng=random.Random(1)) is None


def test_a_day_of_retries_is_dozens_of_attempts_not_thousands(policy):
    rng, at, give_up, retries = random.Random(3), NOW, NOW + policy.retry_window(), 0
    while (at := policy.next_attempt(at, retries + 1, give_up, rng=rng)) is not None:
        retries += 1
    assert 20 <= retries <= 60


def test_an_endpoint_is_disabled_only_after_failing_longer_than_the_threshold(policy, monkeypatch):
    assert not policy.should_disable(None, NOW)
    assert not policy.should_disable(NOW - dt.timedelta(hours=24), NOW)
    assert policy.should_disable(NOW - dt.timedelta(hours=24, seconds=1), NOW)
    monkeypatch.setenv("WEBHOOK_DISABLE_AFTER_SECONDS", "3600")
    assert policy.should_disable(NOW - dt.timedelta(hours=2), NOW)


def test_sqs_delays_are_capped_at_900_seconds(policy):
    assert policy.sqs_delay(NOW + dt.timedelta(hours=3), NOW) == 900
    assert policy.sqs_delay(NOW + dt.timedelta(seconds=2.2), NOW) == 3
    assert policy.sqs_delay(NOW - dt.timedelta(seconds=5), NOW) == 0


class _Receiver(BaseHTTPRequestHandler):
    seen: list = []
    answer = (200, b"ok")

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.seen.append((self.headers["Host"], self.path, dict(self.headers), body))
        status, payload = _Receiver.answer
        self.send_response(status)
        if status in (301, 302, 307):
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    _Receiver.seen, _Receiver.answer = [], (200, b"ok")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_the_post_goes_to_the_checked_address_with_the_host_name(transport, receiver):
    module, targets = transport
    target = targets.Target(f"http://merchant.example:{receiver}/h?x=1", "http", "merchant.example", receiver,
                            "/h?x=1", ("127.0.0.1",))
    outcome = module.post(target, b'{"a":1}', {"Meridian-Signature": "t=1,v1=x"}, timeout=5)
    assert outcome.ok and outcome.status_code == 200 and outcome.response_excerpt == "ok"
    [(host, path, headers, body)] = _Receiver.seen
    assert host == f"merchant.example:{receiver}" and path == "/h?x=1" and body == b'{"a":1}'
    assert headers["Meridian-Signature"] == "t=1,v1=x" and headers["Content-Type"] == "application/json"


def test_redirects_are_not_followed_and_excerpts_are_at_most_1_kb(transport, receiver):
    module, targets = transport
    target = targets.Target("u", "http", "127.0.0.1", receiver, "/", ("127.0.0.1",))
    _Receiver.answer = (302, b"moved")
    moved = module.post(target, b"{}", {}, timeout=5)
    assert not moved.ok and "not followed" in moved.error and len(_Receiver.seen) == 1
    _Receiver.answer = (500, b"x" * 5000)
    failed = module.post(target, b"{}", {}, timeout=5)
    assert failed.status_code == 500 and len(failed.response_excerpt.encode()) <= 1024


def test_no_answer_is_an_outcome_with_the_error(transport):
    module, targets = transport
    target = targets.Target("u", "http", "127.0.0.1", 1, "/", ("127.0.0.1",))
    outcome = module.post(target, b"{}", {}, timeout=2)
    assert outcome.status_code is None and "ConnectionRefused" in outcome.error and not outcome.ok
