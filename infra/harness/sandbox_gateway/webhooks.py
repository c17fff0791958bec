"""Signed webhook delivery with retries, and the misbehaviours tests ask for.

Signed as Stripe signs (`Stripe-Signature: t=<unix>,v1=<hex>`, HMAC-SHA256 of "<t>.<body>"
under the endpoint secret), so `stripe.Webhook.construct_event` accepts what this sends.
Each event is serialised once; every attempt signs it afresh (t = now). A delivery that
does not get a 2xx is retried after min(cap, base * 2**attempt) seconds with full
jitter, until it succeeds or is older than `give_up_after`. Control settings:
`duplicates` sends every event that many times; `out_of_order` holds each intent's
event until the next one for that intent arrives, delivers that one first and the held
one only after it was acknowledged (or after `hold_seconds` without a successor).
"""
from __future__ import annotations

import hashlib
import heapq
import hmac
import http.client
import itertools
import json
import random
import ssl
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

SIGNATURE_HEADER = "Stripe-Signature"


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """Stripe's `Stripe-Signature` value: `t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>`."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


@dataclass(order=True)
class _Delivery:
    due: float
    seq: int
    body: bytes = field(compare=False)
    event_id: str = field(compare=False)
    first_at: float = field(compare=False)
    attempts: int = field(default=0, compare=False)
    then: list = field(default_factory=list, compare=False)     # (body, event_id) sent once this one got its 2xx


class WebhookSender:
    def __init__(self, url: str, secret: str, *, workers: int = 8, ca_bundle: str | None = None,
                 base: float = 0.25, cap: float = 30.0, give_up_after: float = 3600.0, timeout: float = 5.0):
        self.url = url
        self.secret = secret
        self.base, self.cap, self.give_up_after, self.timeout = base, cap, give_up_after, timeout
        self.ca_bundle = ca_bundle
        self.duplicates = 1
        self.out_of_order = False
        self.hold_seconds = 2.0
        self._heap: list[_Delivery] = []
        self._held: dict[str, list[tuple[float, bytes, str]]] = {}
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._local = threading.local()
        self._stop = False
        self.stats = {"queued": 0, "delivered": 0, "attempts": 0, "failed_attempts": 0, "given_up": 0}
        self._threads = [threading.Thread(target=self._work, name=f"webhook-{i}", daemon=True) for i in range(workers)]
        self._threads.append(threading.Thread(target=self._release_held, name="webhook-hold", daemon=True))
        for thread in self._threads:
            thread.start()

    # ---------------------------------------------------------------- public
    def send(self, event: dict, intent_id: str | None) -> None:
        body = json.dumps(event, separators=(",", ":")).encode()
        with self._cv:
            if self.out_of_order and intent_id:
                held = self._held.pop(intent_id, None)
                if held:  # an earlier event of this intent is waiting: this one overtakes it
                    self._push(body, event["id"], then=[(old_body, old_id) for _, old_body, old_id in reversed(held)])
                else:     # hold it until the next event of its intent (or hold_seconds)
                    self._held[intent_id] = [(time.monotonic(), body, event["id"])]
            else:
                self._push(body, event["id"])
            self._cv.notify_all()

    def pending(self) -> int:
        with self._cv:
            return (len(self._heap) + sum(len(d.then) for d in self._heap)
                    + sum(len(v) for v in self._held.values()))

    def stop(self) -> None:
        with self._cv:
            self._stop = True
            self._cv.notify_all()

    def reset(self) -> None:
        with self._cv:
            self._heap.clear()
            self._held.clear()
            self.duplicates, self.out_of_order = 1, False
            for key in self.stats:
                self.stats[key] = 0

    # ---------------------------------------------------------------- internals
    def _push(self, body: bytes, event_id: str, then: list | None = None) -> None:
        now = time.monotonic()
        for copy in range(max(1, self.duplicates)):
            heapq.heappush(self._heap, _Delivery(now, next(self._seq), body, event_id, now,
                                                 then=list(then or []) if copy == 0 else []))
            self.stats["queued"] += 1

    def _release_held(self) -> None:
        while not self._stop:
            time.sleep(0.2)
            with self._cv:
                cutoff = time.monotonic() - self.hold_seconds
                for intent_id, held in list(self._held.items()):
                    if held[0][0] < cutoff:
                        del self._held[intent_id]
                        for _, body, event_id in held:
                            self._push(body, event_id)
                        self._cv.notify_all()

    def _work(self) -> None:
        while True:
            with self._cv:
                while not self._stop and (not self._heap or self._heap[0].due > time.monotonic()):
                    wait = (self._heap[0].due - time.monotonic()) if self._heap else None
                    self._cv.wait(timeout=wait if wait is None or wait > 0 else 0)
                if self._stop:
                    return
                delivery = heapq.heappop(self._heap)
            ok = self._attempt(delivery.body)
            with self._cv:
                self.stats["attempts"] += 1
                if ok:
                    self.stats["delivered"] += 1
                    for later_body, later_id in delivery.then:   # out of order: the overtaken events follow
                        self._push(later_body, later_id)
                    self._cv.notify_all()
                    continue
                self.stats["failed_attempts"] += 1
                delivery.attempts += 1
                if time.monotonic() - delivery.first_at > self.give_up_after:
                    self.stats["given_up"] += 1
                    continue
                delay = random.uniform(self.base, min(self.cap, self.base * 2 ** delivery.attempts))
                delivery.due = time.monotonic() + delay
                heapq.heappush(self._heap, delivery)
                self._cv.notify_all()

    def _connection(self) -> tuple[http.client.HTTPConnection, str]:
        parts = urlsplit(self.url)
        key = (parts.scheme, parts.netloc)
        cached = getattr(self._local, "conn", None)
        if cached is not None and cached[0] == key:
            return cached[1], parts.path or "/"
        if parts.scheme == "https":
            if self.ca_bundle:
                context = ssl.create_default_context(cafile=self.ca_bundle)
            elif parts.hostname in ("localhost", "127.0.0.1", "::1"):
                context = ssl._create_unverified_context()  # noqa: S323 - local self-signed stack
            else:
                context = ssl.create_default_context()
            conn = http.client.HTTPSConnection(parts.hostname, parts.port or 443, timeout=self.timeout,
                                               context=context)
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=self.timeout)
        self._local.conn = (key, conn)
        return conn, parts.path or "/"

    def _attempt(self, body: bytes) -> bool:
        conn, path = self._connection()
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "meridian-sandbox-gateway/1",
                   SIGNATURE_HEADER: signature_header(self.secret, body)}
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
            return 200 <= response.status < 300
        except (OSError, http.client.HTTPException):
            conn.close()
            self._local.conn = None
            return False
