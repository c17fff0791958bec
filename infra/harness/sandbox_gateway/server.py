"""The sandbox gateway's HTTP server (stdlib ThreadingHTTPServer) and its in-memory ledger."""
from __future__ import annotations

import base64
import html
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .webhooks import WebhookSender

API_VERSION = "sandbox"         # events carry an api_version, as Stripe's do
PUBLIC_PREFIX = "/sandbox"      # where the shop's nginx serves this API, prefix stripped (infra/harness/stack.py)

INSUFFICIENT_FUNDS = ("card_declined", "insufficient_funds", "Your card has insufficient funds.")
CARD_OUTCOMES = {
    "4242424242424242": None,                                          # succeeds
    "4000000000000002": ("card_declined", "generic_decline", "Your card was declined."),
    "4000000000009995": INSUFFICIENT_FUNDS,
    # 3-D Secure (Stripe's regulatory test cards): the outcome once the shopper completed the challenge
    "4000002760003184": None,                                          # always authenticate, then succeeds
    "4000002500003155": None,                                          # authenticate (off-session too), succeeds
    "4000008260003178": INSUFFICIENT_FUNDS,                            # authenticate, then insufficient funds
}
# cards that demand a challenge (strong customer authentication) before their outcome
CHALLENGE_CARDS = frozenset({"4000002760003184", "4000002500003155", "4000008260003178"})
AUTHENTICATION_FAILURE = {"type": "invalid_request_error", "code": "payment_intent_authentication_failure",
                          "message": "The shopper failed to authenticate this payment (3-D Secure)."}
MAX_RETURN_URL = 2048


def checked_return_url(value) -> str | None:
    """A confirm's `return_url`: a path on the shop's own origin ("/…", never "//…" or a backslash, which browsers
    read as another host), or None. Anything else is 400: the challenge page must not redirect elsewhere."""
    if value is None or value == "":
        return None
    if (not isinstance(value, str) or len(value) > MAX_RETURN_URL or not value.startswith("/")
            or value.startswith("//") or "\\" in value or any(ord(c) < 0x21 or ord(c) == 0x7F for c in value)):
        raise ApiError(400, "url_invalid", "return_url must be a path on this site (starting with a single '/').",
                       extra={"param": "return_url"})
    return value


def with_outcome(return_url: str, intent_id: str, redirect_status: str) -> str:
    """The return_url with `payment_intent` and `redirect_status` added to its query, as Stripe returns."""
    parts = urlsplit(return_url)
    extra = urlencode({"payment_intent": intent_id, "redirect_status": redirect_status})
    return urlunsplit(("", "", parts.path, f"{parts.query}&{extra}" if parts.query else extra, parts.fragment))


@dataclass
class Page:
    """A non-JSON answer (the challenge page): HTML, or a redirect's Location in `headers`."""
    html: str = ""
    headers: dict = field(default_factory=dict)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, *, kind: str = "invalid_request_error",
                 extra: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.kind, self.extra = status, code, message, kind, extra or {}

    def body(self) -> dict:
        return {"error": {"type": self.kind, "code": self.code, "message": self.message, **self.extra}}


def _new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


INTEGER_PARAMS = ("amount",)      # form values are strings; these are integers in Stripe's API


def parse_form(raw: str) -> dict:
    """Stripe's form encoding: `metadata[order_id]=x&expand[]=y&amount=1999`
    → {"metadata": {"order_id": "x"}, "expand": ["y"], "amount": 1999}."""
    out: dict = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        head, _, rest = key.partition("[")
        path = [head] + (rest[:-1].split("][") if rest.endswith("]") else [])
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ApiError(400, "parameter_invalid", f"Invalid parameter: {key}", extra={"param": key})
        last = path[-1] or str(len(node))             # `x[]` appends
        node[last] = value

    def lists(value):
        if isinstance(value, dict):
            value = {k: lists(v) for k, v in value.items()}
            if value and all(k.isdigit() for k in value):
                return [value[k] for k in sorted(value, key=int)]
        return value

    out = lists(out)
    for name in INTEGER_PARAMS:
        if isinstance(out.get(name), str) and re.fullmatch(r"-?[0-9]+", out[name]):
            out[name] = int(out[name])
    return out


class Ledger:
    """Payment intents, refunds and idempotency keys, in memory, behind one lock."""

    def __init__(self, sender: WebhookSender):
        self.sender = sender
        self.lock = threading.Lock()
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.idempotency: dict[str, tuple[str, int, dict]] = {}
        self.challenges: dict[str, dict] = {}     # intent id → {card, return_url} while it requires_action

    # ---------------------------------------------------------------- helpers
    def _event(self, event_type: str, obj: dict, intent_id: str) -> None:
        event = {"id": _new_id("evt"), "object": "event", "api_version": API_VERSION, "type": event_type,
                 "created": int(time.time()), "livemode": False, "pending_webhooks": 1,
                 "request": {"id": None, "idempotency_key": None}, "data": {"object": json.loads(json.dumps(obj))}}
        self.sender.send(event, intent_id)

    def _intent(self, intent_id: str) -> dict:
        intent = self.intents.get(intent_id)
        if intent is None:
            raise ApiError(404, "resource_missing", f"No such payment_intent: '{intent_id}'")
        return intent

    def idempotent(self, key: str | None, fingerprint: str, create) -> tuple[int, dict]:
        if not key:
            return create()
        with self.lock:
            seen = self.idempotency.get(key)
        if seen is not None:
            if seen[0] != fingerprint:
                raise ApiError(400, "idempotency_key_in_use",
                               "Keys for idempotent requests can only be used with the same parameters.",
                               kind="idempotency_error")
            return seen[1], seen[2]
        status, body = create()
        with self.lock:
            self.idempotency.setdefault(key, (fingerprint, status, body))
            return self.idempotency[key][1], self.idempotency[key][2]

    # ---------------------------------------------------------------- intents
    def create_intent(self, params: dict) -> tuple[int, dict]:
        amount, currency = params.get("amount"), params.get("currency")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise ApiError(400, "parameter_invalid_integer", "amount must be a positive integer (minor units)")
        if not isinstance(currency, str) or not re.fullmatch(r"[a-zA-Z]{3}", currency):
            raise ApiError(400, "parameter_invalid", "currency must be an ISO 4217 code")
        intent_id = _new_id("pi")
        intent = {"id": intent_id, "object": "payment_intent", "amount": amount, "currency": currency.lower(),
                  "status": "requires_payment_method", "client_secret": f"{intent_id}_secret_{secrets.token_hex(12)}",
                  "metadata": {str(k): str(v) for k, v in (params.get("metadata") or {}).items()},
                  "created": int(time.time()), "amount_received": 0, "amount_refunded": 0,
                  "last_payment_error": None, "next_action": None, "cancellation_reason": None, "canceled_at": None,
                  "latest_charge": None, "livemode": False, "capture_method": "automatic",
                  "confirmation_method": "automatic", "payment_method_types": ["card"],
                  "automatic_payment_methods": params.get("automatic_payment_methods") and {"enabled": True}}
        with self.lock:
            self.intents[intent_id] = intent
            self._event("payment_intent.created", intent, intent_id)
            return 200, dict(intent)

    def get_intent(self, intent_id: str) -> tuple[int, dict]:
        with self.lock:
            return 200, dict(self._intent(intent_id))

    def cancel_intent(self, intent_id: str) -> tuple[int, dict]:
        with self.lock:
            intent = self._intent(intent_id)
            if intent["status"] == "canceled":
                return 200, dict(intent)
            if intent["status"] == "succeeded":
                raise ApiError(400, "payment_intent_unexpected_state",
                               "You cannot cancel this PaymentIntent because it has a status of succeeded.")
            intent.update(status="canceled", cancellation_reason="requested_by_customer", canceled_at=int(time.time()),
                          next_action=None)
            self.challenges.pop(intent_id, None)
            self._event("payment_intent.canceled", intent, intent_id)
            return 200, dict(intent)

    def _check_secret(self, intent: dict, client_secret) -> None:
        if not secrets.compare_digest(str(client_secret or "").encode(), intent["client_secret"].encode()):
            raise ApiError(400, "payment_intent_authentication_failure", "The client_secret does not match.")

    def confirm_intent(self, intent_id: str, params: dict, *, challenge_base: str = "") -> tuple[int, dict]:
        """The shopper's confirm. A challenge card (CHALLENGE_CARDS) answers 200 with the intent in
        `requires_action` and `next_action.redirect_to_url` → the challenge page under `challenge_base`."""
        card = str(params.get("card_number") or "").replace(" ", "")
        with self.lock:
            intent = self._intent(intent_id)
            self._check_secret(intent, params.get("client_secret"))
            if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
                raise ApiError(400, "payment_intent_unexpected_state",
                               f"This PaymentIntent's status is {intent['status']}; it cannot be confirmed.")
            return_url = checked_return_url(params.get("return_url"))
            if card not in CARD_OUTCOMES:
                raise ApiError(402, "incorrect_number", "Use a test card number.", kind="card_error")
            if card in CHALLENGE_CARDS:
                url = f"{challenge_base}/v1/payment_intents/{intent_id}/authenticate?" + urlencode(
                    {"client_secret": intent["client_secret"]})
                self.challenges[intent_id] = {"card": card, "return_url": return_url}
                intent.update(status="requires_action", last_payment_error=None, next_action={
                    "type": "redirect_to_url", "redirect_to_url": {"url": url, "return_url": return_url}})
                self._event("payment_intent.requires_action", intent, intent_id)
                return 200, dict(intent)
            return self._settle(intent, card)

    def _settle(self, intent: dict, card: str) -> tuple[int, dict]:
        """A card's outcome (under the lock): succeeded, or declined back to requires_payment_method (402)."""
        outcome = CARD_OUTCOMES[card]
        if outcome is None:
            charge_id = _new_id("ch")
            intent.update(status="succeeded", amount_received=intent["amount"], latest_charge=charge_id,
                          last_payment_error=None, next_action=None)
            self._event("payment_intent.succeeded", intent, intent["id"])
            return 200, dict(intent)
        code, decline_code, message = outcome
        intent.update(status="requires_payment_method", next_action=None,
                      last_payment_error={"type": "card_error", "code": code, "decline_code": decline_code,
                                          "message": message})
        self._event("payment_intent.payment_failed", intent, intent["id"])
        raise ApiError(402, code, message, kind="card_error",
                       extra={"decline_code": decline_code, "payment_intent": dict(intent)})

    def challenge(self, intent_id: str, client_secret) -> dict:
        """The intent a challenge page is for (its client_secret checked); 400 unless it requires_action."""
        with self.lock:
            intent = self._intent(intent_id)
            self._check_secret(intent, client_secret)
            if intent["status"] != "requires_action" or intent_id not in self.challenges:
                raise ApiError(400, "payment_intent_unexpected_state",
                               f"This PaymentIntent's status is {intent['status']}; there is nothing to authenticate.")
            return dict(intent)

    def authenticate(self, intent_id: str, client_secret, outcome: str) -> tuple[dict, str, str | None]:
        """The shopper's answer to the challenge: `complete` → the card's own outcome (succeeded, or declined
        as after a plain confirm, with the same events); `fail` → requires_payment_method with
        last_payment_error `payment_intent_authentication_failure` and payment_intent.payment_failed.
        Returns (the intent, redirect_status succeeded|failed, the return_url given at confirm)."""
        if outcome not in ("complete", "fail"):
            raise ApiError(400, "parameter_invalid", "outcome must be complete or fail.", extra={"param": "outcome"})
        with self.lock:
            intent = self._intent(intent_id)
            self._check_secret(intent, client_secret)
            pending = self.challenges.get(intent_id)
            if intent["status"] != "requires_action" or pending is None:
                raise ApiError(400, "payment_intent_unexpected_state",
                               f"This PaymentIntent's status is {intent['status']}; there is nothing to authenticate.")
            del self.challenges[intent_id]
            if outcome == "fail":
                intent.update(status="requires_payment_method", next_action=None,
                              last_payment_error=dict(AUTHENTICATION_FAILURE))
                self._event("payment_intent.payment_failed", intent, intent_id)
                return dict(intent), "failed", pending["return_url"]
            try:
                answer = self._settle(intent, pending["card"])[1]
            except ApiError:
                return dict(intent), "failed", pending["return_url"]
            return answer, "succeeded", pending["return_url"]

    # ---------------------------------------------------------------- refunds
    def create_refund(self, params: dict) -> tuple[int, dict]:
        intent_id = params.get("payment_intent")
        with self.lock:
            intent = self._intent(str(intent_id))
            if intent["status"] != "succeeded":
                raise ApiError(400, "charge_not_refundable", "Only a succeeded PaymentIntent can be refunded.")
            remaining = intent["amount_received"] - intent["amount_refunded"]
            amount = params.get("amount", remaining)
            if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= remaining:
                raise ApiError(400, "amount_too_large", f"Refund amount must be between 1 and {remaining}.")
            intent["amount_refunded"] += amount
            refund = {"id": _new_id("re"), "object": "refund", "amount": amount, "currency": intent["currency"],
                      "payment_intent": intent_id, "charge": intent["latest_charge"], "status": "succeeded",
                      "reason": None, "metadata": {}, "created": int(time.time())}
            self.refunds[refund["id"]] = refund
            charge = {"id": intent["latest_charge"], "object": "charge", "payment_intent": intent_id,
                      "amount": intent["amount_received"], "amount_captured": intent["amount_received"],
                      "amount_refunded": intent["amount_refunded"], "currency": intent["currency"],
                      "captured": True, "paid": True, "status": "succeeded", "livemode": False,
                      "metadata": dict(intent["metadata"]),
                      "refunded": intent["amount_refunded"] >= intent["amount_received"]}
            self._event("charge.refunded", charge, intent_id)
            return 200, dict(refund)

    def get_refund(self, refund_id: str) -> tuple[int, dict]:
        with self.lock:
            refund = self.refunds.get(refund_id)
            if refund is None:
                raise ApiError(404, "resource_missing", f"No such refund: '{refund_id}'")
            return 200, dict(refund)


class SandboxGateway:
    """The whole process: a ledger, a webhook sender, and two threaded HTTP servers.

    * the API (`port`, what nginx routes under /sandbox/): as Stripe's, every call needs the secret
      API key (`Authorization: Bearer <key>`, or HTTP Basic with the key as user name, as Stripe takes
      it); only confirming an intent (authorized by its client_secret, as the shopper's browser does)
      and the health check are open;
    * the test controls (`control_port`, always on 127.0.0.1 and never routed by nginx): fail, slow,
      duplicate or reorder webhooks, point them elsewhere, count deliveries.
    """

    def __init__(self, *, port: int, webhook_url: str, webhook_secret: str, api_key: str, host: str = "127.0.0.1",
                 control_port: int = 0, ca_bundle: str | None = None, delivery_workers: int = 8,
                 verbose: bool = False, public_prefix: str = PUBLIC_PREFIX):
        if not api_key:
            raise ValueError("the sandbox needs an API key: callers must prove they hold it")
        self.sender = WebhookSender(webhook_url, webhook_secret, workers=delivery_workers, ca_bundle=ca_bundle)
        self.ledger = Ledger(self.sender)
        self.api_key = api_key
        self.public_prefix = "/" + public_prefix.strip("/") if public_prefix.strip("/") else ""
        self.default_webhook_url = webhook_url
        self.fail = False
        self.delay_ms = 0
        self.verbose = verbose
        self.httpd = self._server(host, port, ApiHandler)
        self.control_httpd = self._server("127.0.0.1", control_port, ControlHandler)
        self.port = self.httpd.server_address[1]
        self.control_port = self.control_httpd.server_address[1]
        self._threads: list[threading.Thread] = []

    def _server(self, host: str, port: int, handler: type) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer((host, port), type(handler.__name__, (handler,), {"gateway": self}))
        server.daemon_threads = True
        return server

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def control_url(self) -> str:
        return f"http://127.0.0.1:{self.control_port}"

    def authorized(self, authorization: str | None) -> bool:
        """Whether an Authorization header carries the secret key (Bearer, or Basic with the key as user)."""
        scheme, _, value = (authorization or "").strip().partition(" ")
        if scheme.lower() == "basic":
            try:
                value = base64.b64decode(value.strip(), validate=True).decode().partition(":")[0]
            except (ValueError, UnicodeDecodeError):
                return False
        elif scheme.lower() != "bearer":
            return False
        return secrets.compare_digest(value.strip().encode(), self.api_key.encode())

    def control_state(self) -> dict:
        return {"fail": self.fail, "delay_ms": self.delay_ms, "duplicates": self.sender.duplicates,
                "out_of_order": self.sender.out_of_order, "hold_ms": int(self.sender.hold_seconds * 1000),
                "webhook_url": self.sender.url}

    def set_control(self, params: dict) -> dict:
        if "fail" in params:
            self.fail = bool(params["fail"])
        if "delay_ms" in params:
            self.delay_ms = max(0, int(params["delay_ms"]))
        if "duplicates" in params:
            self.sender.duplicates = max(1, min(100, int(params["duplicates"])))
        if "out_of_order" in params:
            self.sender.out_of_order = bool(params["out_of_order"])
        if "hold_ms" in params:
            self.sender.hold_seconds = max(0, int(params["hold_ms"])) / 1000
        if "webhook_url" in params:
            self.sender.url = str(params["webhook_url"] or self.default_webhook_url)
        return self.control_state()

    def reset_control(self) -> dict:
        self.fail, self.delay_ms = False, 0
        self.sender.duplicates, self.sender.out_of_order, self.sender.url = 1, False, self.default_webhook_url
        self.sender.hold_seconds = 2.0
        return self.control_state()

    def deliveries(self) -> dict:
        return {**self.sender.stats, "pending": self.sender.pending()}

    def start(self) -> SandboxGateway:
        for name, server in (("sandbox-http", self.httpd), ("sandbox-control", self.control_httpd)):
            thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def serve_forever(self) -> None:
        threading.Thread(target=self.control_httpd.serve_forever, name="sandbox-control", daemon=True).start()
        self.httpd.serve_forever()

    def stop(self) -> None:
        for server in (self.httpd, self.control_httpd):
            server.shutdown()
            server.server_close()
        self.sender.stop()


_INTENT = re.compile(r"^/v1/payment_intents/([A-Za-z0-9_]+)(/cancel|/confirm|/authenticate)?$")
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")
ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())


def _amount_text(amount: int, currency: str) -> str:
    places = 0 if currency in ZERO_DECIMAL else 3 if currency in THREE_DECIMAL else 2
    return f"{amount / 10 ** places:.{places}f} {currency.upper()}"


def challenge_page(intent: dict) -> str:
    """The 3-D Secure challenge: plain HTML, no script (nginx's CSP on /sandbox/ allows none inline); each
    button POSTs the client_secret and its outcome back to this page's own path."""
    secret = html.escape(intent["client_secret"], quote=True)
    amount = html.escape(_amount_text(intent["amount"], intent["currency"]))
    buttons = "".join(
        f'<form method="post" action="authenticate"><input type="hidden" name="client_secret" value="{secret}">'
        f'<input type="hidden" name="outcome" value="{outcome}"><button type="submit">{label}</button></form>'
        for outcome, label in (("complete", "Complete authentication"), ("fail", "Fail authentication")))
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<title>3-D Secure test payment</title></head><body><main>"
            "<h1>3-D Secure test payment</h1>"
            f"<p>The sandbox gateway asks you to authenticate a payment of <strong>{amount}</strong>. "
            "This is a test page: no bank is involved.</p>"
            f"{buttons}</main></body></html>")


def finished_page(redirect_status: str) -> str:
    """After a challenge confirmed without a return_url: where the shopper's browser stays."""
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>3-D Secure</title></head>"
            f"<body><main><h1>Authentication {html.escape(redirect_status)}</h1>"
            "<p>You may close this page.</p></main></body></html>")
_REFUND = re.compile(r"^/v1/refunds/([A-Za-z0-9_]+)$")


class _Handler(BaseHTTPRequestHandler):
    """JSON in (form-encoded or JSON), Stripe's JSON out. Each listener's subclass (ApiHandler, ControlHandler)
    has a `route(method, path, params)` that answers (status, body) or raises ApiError."""
    protocol_version = "HTTP/1.1"
    server_version = "MeridianSandboxGateway/1"
    gateway: SandboxGateway

    def log_message(self, fmt, *args):  # noqa: A003 - stdlib name
        if self.gateway.verbose:
            super().log_message(fmt, *args)

    def _send(self, status: int, body: dict | Page) -> None:
        if isinstance(body, Page):
            data = body.html.encode()
            headers = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
                       "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
                       "Content-Security-Policy": "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
                       **body.headers}
        else:
            data, headers = json.dumps(body).encode(), {"Content-Type": "application/json"}
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):   # the client gave up (timeout): nothing to do
            self.close_connection = True

    def _params(self) -> dict:
        """The body: form-encoded, as Stripe's API takes it, or JSON (the sandbox adapter, the browser)."""
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return {}
        raw = self.rfile.read(length)
        media = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if media == "application/x-www-form-urlencoded":
            try:
                return parse_form(raw.decode())
            except UnicodeDecodeError:
                raise ApiError(400, "parameter_invalid", "The body is not UTF-8.") from None
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):
            raise ApiError(400, "parameter_invalid", "The body is neither form-encoded nor JSON.") from None
        if not isinstance(value, dict):
            raise ApiError(400, "parameter_invalid", "The body must be a JSON object.")
        return value

    def do_GET(self):  # noqa: N802 - stdlib name
        self._dispatch("GET")

    def do_POST(self):  # noqa: N802 - stdlib name
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        path, _, query = self.path.partition("?")
        path = path.rstrip("/") or "/"
        self.query = dict(parse_qsl(query, keep_blank_values=True))
        try:
            params = self._params() if method == "POST" else {}
            status, body = self.route(method, path, params)
        except ApiError as error:
            status, body = error.status, error.body()
        except Exception as exc:  # noqa: BLE001 - a stand-in must never die on one request
            status, body = 500, ApiError(500, "api_error", f"internal error: {type(exc).__name__}",
                                         kind="api_error").body()
        self._send(status, body)

    @staticmethod
    def unknown(method: str, path: str) -> ApiError:
        return ApiError(404, "resource_missing", f"Unrecognized request URL ({method}: {path}).")


class ApiHandler(_Handler):
    """Stripe's API: the secret key for everything but the health check, and what the shopper's browser does
    with an intent's client_secret (confirm it, answer its 3-D Secure challenge)."""

    def challenge_base(self) -> str:
        """Where the browser reaches this API: through the shop's gateway (it sets X-Forwarded-Proto) at
        `<proto>://<Host><public_prefix>`, else directly at `http://<Host>`."""
        host = self.headers.get("Host") or ""
        if not _HOST.match(host):
            host = f"127.0.0.1:{self.gateway.port}"
        proto = (self.headers.get("X-Forwarded-Proto") or "").lower()
        if proto in ("http", "https"):
            return f"{proto}://{host}{self.gateway.public_prefix}"
        return f"http://{host}"

    def route(self, method: str, path: str, params: dict) -> tuple[int, dict | Page]:
        gateway, ledger = self.gateway, self.gateway.ledger
        if path == "/v1/health":
            return 200, {"status": "ok"}
        match = _INTENT.match(path)
        action = match.group(2) if match else None
        confirming = action == "/confirm" and method == "POST"
        authenticating = action == "/authenticate" and method in ("GET", "POST")
        if not (confirming or authenticating) and not gateway.authorized(self.headers.get("Authorization")):
            raise ApiError(401, "api_key_invalid", "Invalid API Key provided (Authorization: Bearer <secret key>).")
        if gateway.delay_ms:
            time.sleep(gateway.delay_ms / 1000)
        if gateway.fail:
            raise ApiError(503, "gateway_unavailable", "The sandbox gateway is told to fail.", kind="api_error")
        key = self.headers.get("Idempotency-Key")
        fingerprint = f"{method} {path} {json.dumps(params, sort_keys=True)}"
        if path == "/v1/payment_intents" and method == "POST":
            return ledger.idempotent(key, fingerprint, lambda: ledger.create_intent(params))
        if path == "/v1/refunds" and method == "POST":
            return ledger.idempotent(key, fingerprint, lambda: ledger.create_refund(params))
        refund = _REFUND.match(path)
        if refund and method == "GET":
            return ledger.get_refund(refund.group(1))
        if match:
            intent_id, action = match.groups()
            if action is None and method == "GET":
                return ledger.get_intent(intent_id)
            if action == "/cancel" and method == "POST":
                return ledger.cancel_intent(intent_id)
            if confirming:
                return ledger.confirm_intent(intent_id, params, challenge_base=self.challenge_base())
            if authenticating and method == "GET":
                return 200, Page(challenge_page(ledger.challenge(intent_id, self.query.get("client_secret"))))
            if authenticating:
                _, redirect_status, return_url = ledger.authenticate(intent_id, params.get("client_secret"),
                                                                    str(params.get("outcome") or ""))
                if return_url is None:
                    return 200, Page(finished_page(redirect_status))
                location = with_outcome(return_url, intent_id, redirect_status)
                return 303, Page(headers={"Location": location})
        raise self.unknown(method, path)


class ControlHandler(_Handler):
    """The test controls, on their own loopback port."""

    def route(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        gateway = self.gateway
        if path == "/v1/health":
            return 200, {"status": "ok"}
        if path == "/v1/control":
            return 200, (gateway.set_control(params) if method == "POST" else gateway.control_state())
        if path == "/v1/control/reset" and method == "POST":
            return 200, gateway.reset_control()
        if path == "/v1/deliveries" and method == "GET":
            return 200, gateway.deliveries()
        raise self.unknown(method, path)
