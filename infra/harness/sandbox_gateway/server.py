"""The sandbox gateway's HTTP server (stdlib ThreadingHTTPServer) and its in-memory ledger."""
from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from .webhooks import WebhookSender

API_VERSION = "sandbox"         # events carry an api_version, as Stripe's do

CARD_OUTCOMES = {
    "4242424242424242": None,                                          # succeeds
    "4000000000000002": ("card_declined", "generic_decline", "Your card was declined."),
    "4000000000009995": ("card_declined", "insufficient_funds", "Your card has insufficient funds."),
}


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
                  "last_payment_error": None, "cancellation_reason": None, "canceled_at": None,
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
            intent.update(status="canceled", cancellation_reason="requested_by_customer", canceled_at=int(time.time()))
            self._event("payment_intent.canceled", intent, intent_id)
            return 200, dict(intent)

    def confirm_intent(self, intent_id: str, params: dict) -> tuple[int, dict]:
        card = str(params.get("card_number") or "").replace(" ", "")
        with self.lock:
            intent = self._intent(intent_id)
            if not secrets.compare_digest(str(params.get("client_secret") or ""), intent["client_secret"]):
                raise ApiError(400, "payment_intent_authentication_failure", "The client_secret does not match.")
            if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
                raise ApiError(400, "payment_intent_unexpected_state",
                               f"This PaymentIntent's status is {intent['status']}; it cannot be confirmed.")
            if card not in CARD_OUTCOMES:
                raise ApiError(402, "incorrect_number", "Use a test card number.", kind="card_error")
            outcome = CARD_OUTCOMES[card]
            if outcome is None:
                charge_id = _new_id("ch")
                intent.update(status="succeeded", amount_received=intent["amount"], latest_charge=charge_id,
                              last_payment_error=None)
                self._event("payment_intent.succeeded", intent, intent_id)
                return 200, dict(intent)
            code, decline_code, message = outcome
            intent.update(status="requires_payment_method",
                          last_payment_error={"type": "card_error", "code": code, "decline_code": decline_code,
                                              "message": message})
            self._event("payment_intent.payment_failed", intent, intent_id)
            raise ApiError(402, code, message, kind="card_error",
                           extra={"decline_code": decline_code, "payment_intent": dict(intent)})

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
                 verbose: bool = False):
        if not api_key:
            raise ValueError("the sandbox needs an API key: callers must prove they hold it")
        self.sender = WebhookSender(webhook_url, webhook_secret, workers=delivery_workers, ca_bundle=ca_bundle)
        self.ledger = Ledger(self.sender)
        self.api_key = api_key
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


_INTENT = re.compile(r"^/v1/payment_intents/([A-Za-z0-9_]+)(/cancel|/confirm)?$")
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

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
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
        path = self.path.split("?", 1)[0].rstrip("/") or "/"
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
    """Stripe's API: the secret key for everything but the health check and a confirm by client_secret."""

    def route(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        gateway, ledger = self.gateway, self.gateway.ledger
        if path == "/v1/health":
            return 200, {"status": "ok"}
        match = _INTENT.match(path)
        confirming = bool(match) and match.group(2) == "/confirm" and method == "POST"
        if not confirming and not gateway.authorized(self.headers.get("Authorization")):
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
                return ledger.confirm_intent(intent_id, params)
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
