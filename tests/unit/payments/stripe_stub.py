"""A local HTTP stub that answers as Stripe's API does, for the Stripe adapter's tests.

What it holds Stripe to (https://docs.stripe.com/api):
  - requests: `Authorization: Bearer sk_…` (else 401), POST bodies form-encoded
    (`metadata[order_id]=…`; a JSON body is refused), unknown parameters refused
    (`parameter_unknown`), `Idempotency-Key` honoured (same key and parameters → the first
    answer again with `Idempotent-Replayed: true`; other parameters → 400 `idempotency_error`);
  - objects: PaymentIntent and Refund with Stripe's fields (amounts as integers in minor
    units, lower-case currency, ISK a multiple of 100);
  - errors: `{"error": {"type", "code", "message", "param", "doc_url", …}}` with Stripe's
    status codes (400, 401, 402, 404, 409, 429, 5xx) and a `Request-Id` header on every answer.

Only /v1/payment_intents (create, retrieve, cancel) and /v1/refunds (create, retrieve). Test
controls: `error = (status, body)` answers the next requests with that; `delay` (seconds)
answers slowly; `succeed(intent_id)` pays an intent (what the shopper's card would do).
Every request is recorded (method, path, query, raw body, form, headers).
"""
from __future__ import annotations

import json
import re
import secrets
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

API_VERSION = "2026-10-28.endive"
DOCS = "https://stripe.com/docs/error-codes"
CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation", "requires_action", "processing")
PARAMS = {   # what each endpoint accepts (a subset of Stripe's; anything else is `parameter_unknown`)
    "create_intent": {"amount", "currency", "metadata", "automatic_payment_methods", "description", "customer",
                      "payment_method", "payment_method_types", "capture_method", "confirm", "receipt_email",
                      "statement_descriptor", "expand"},
    "cancel_intent": {"cancellation_reason", "expand"},
    "create_refund": {"payment_intent", "charge", "amount", "reason", "metadata", "expand"},
    "get": {"expand", "client_secret"},
}


def unflatten(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding: `metadata[order_id]=x&expand[]=y` → {"metadata": {"order_id": "x"}, "expand": ["y"]}."""
    out: dict = {}
    for key, value in pairs:
        head, _, rest = key.partition("[")
        path = [head] + (rest[:-1].split("][") if rest.endswith("]") else [])
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1] or str(len(node))] = value

    def lists(value):
        if isinstance(value, dict):
            value = {k: lists(v) for k, v in value.items()}
            if value and all(k.isdigit() for k in value):
                return [value[k] for k in sorted(value, key=int)]
        return value

    return lists(out)


class StripeApiError(Exception):
    def __init__(self, status: int, message: str, *, kind: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None, **extra):
        super().__init__(message)
        error = {"type": kind, "message": message}
        if code:
            error.update(code=code, doc_url=f"{DOCS}/{code.replace('_', '-')}")
        if param:
            error["param"] = param
        error.update(extra)
        self.status, self.body = status, {"error": error}


def _id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


def _integer(form: dict, name: str, *, required: bool) -> int | None:
    if name not in form:
        if required:
            raise StripeApiError(400, f"Missing required param: {name}.", code="parameter_missing", param=name)
        return None
    value = form[name]
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]+", value):
        raise StripeApiError(400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=name)
    return int(value)


class StripeStub:
    def __init__(self, *, api_keys: tuple[str, ...] = ("sk_test_123",)):
        self.api_keys = set(api_keys)
        self.requests: list[dict] = []
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.refunded: dict[str, int] = {}          # per intent (on its charge, at Stripe)
        self.idempotency: dict[tuple[str, str], tuple[str, int, dict, str]] = {}
        self.error: tuple[int, dict] | None = None
        self.delay = 0.0
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: dict, extra_headers: dict | None = None):
                data = json.dumps(body, indent=2).encode()        # Stripe pretty-prints its JSON
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.send_header("Cache-Control", "no-cache, no-store")
                    self.send_header("Request-Id", f"req_{uuid.uuid4().hex[:14]}")
                    self.send_header("Stripe-Version", self.headers.get("Stripe-Version") or API_VERSION)
                    for name, value in (extra_headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):    # the client timed out and left
                    self.close_connection = True

            def _handle(self, method: str):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                parts = urlsplit(self.path)
                query = unflatten(parse_qsl(parts.query, keep_blank_values=True))
                media = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
                form = unflatten(parse_qsl(raw, keep_blank_values=True)) if media.endswith("x-www-form-urlencoded") \
                    else {}
                record = {"method": method, "path": parts.path, "query": query, "raw": raw, "form": form,
                          "headers": dict(self.headers)}
                with stub.lock:
                    stub.requests.append(record)
                if stub.delay:
                    time.sleep(stub.delay)
                extra = {}
                try:
                    if stub.error is not None:
                        status, body = stub.error
                    else:
                        key = stub.authenticate(self.headers.get("Authorization"))
                        if method == "POST" and raw and not media.endswith("x-www-form-urlencoded"):
                            raise StripeApiError(400, "Invalid request (check that your POST content type is "
                                                      "application/x-www-form-urlencoded). If you have any "
                                                      "questions, we can help at https://support.stripe.com/.")
                        idem = self.headers.get("Idempotency-Key") if method == "POST" else None
                        status, body, extra = stub.idempotent(key, idem, f"{method} {parts.path} {raw}",
                                                              lambda: stub.route(method, parts.path,
                                                                                 form if method == "POST" else query))
                except StripeApiError as error:
                    status, body = error.status, error.body
                self._answer(status, body, extra)

            def do_GET(self):  # noqa: N802
                self._handle("GET")

            def do_POST(self):  # noqa: N802
                self._handle("POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    # ------------------------------------------------------------------ Stripe's request rules
    def authenticate(self, header: str | None) -> str:
        if not header or not header.startswith("Bearer ") or not header[7:].strip():
            raise StripeApiError(401, "You did not provide an API key. You need to provide your API key in the "
                                      "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                                      "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for "
                                      "details, or we can help at https://support.stripe.com/.")
        key = header[7:].strip()
        if key not in self.api_keys:
            raise StripeApiError(401, f"Invalid API Key provided: {key[:8]}{'*' * max(0, len(key) - 12)}{key[-4:]}")
        return key

    def idempotent(self, api_key: str, idem: str | None, fingerprint: str, run) -> tuple[int, dict, dict]:
        if not idem:
            status, body = run()
            return status, body, {}
        with self.lock:
            seen = self.idempotency.get((api_key, idem))
        if seen is not None:
            if seen[0] != fingerprint:
                raise StripeApiError(400, "Keys for idempotent requests can only be used with the same parameters "
                                          "they were first used with. Try using a key other than "
                                          f"'{idem}' if you meant to execute a different request.",
                                     kind="idempotency_error")
            return seen[1], seen[2], {"Idempotency-Key": idem, "Idempotent-Replayed": "true",
                                      "Original-Request": seen[3]}
        try:
            status, body = run()
        except StripeApiError as error:         # Stripe saves 4xx answers under the key too
            status, body = error.status, error.body
        with self.lock:
            self.idempotency.setdefault((api_key, idem), (fingerprint, status, body, f"req_{uuid.uuid4().hex[:14]}"))
        return status, body, {"Idempotency-Key": idem}

    @staticmethod
    def _only(form: dict, endpoint: str) -> None:
        for name in form:
            if name not in PARAMS[endpoint]:
                raise StripeApiError(400, f"Received unknown parameter: {name}", code="parameter_unknown", param=name)

    # ------------------------------------------------------------------ routes
    def route(self, method: str, path: str, form: dict) -> tuple[int, dict]:
        parts = path.strip("/").split("/")
        if parts == ["v1", "payment_intents"] and method == "POST":
            self._only(form, "create_intent")
            return 200, self.create_intent(form)
        if parts[:2] == ["v1", "payment_intents"] and len(parts) in (3, 4):
            intent = self._intent(parts[2])
            if len(parts) == 3 and method == "GET":
                self._only(form, "get")
                return 200, intent
            if len(parts) == 3 and method == "POST":
                return 200, intent                      # update: nothing the adapter sends
            if parts[3] == "cancel" and method == "POST":
                self._only(form, "cancel_intent")
                return 200, self.cancel_intent(intent, form)
        if parts == ["v1", "refunds"] and method == "POST":
            self._only(form, "create_refund")
            return 200, self.create_refund(form)
        if parts[:2] == ["v1", "refunds"] and len(parts) == 3 and method == "GET":
            refund = self.refunds.get(parts[2])
            if refund is None:
                raise StripeApiError(404, f"No such refund: '{parts[2]}'", code="resource_missing", param="id")
            return 200, refund
        raise StripeApiError(404, f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
                                  "or we can help at https://support.stripe.com/.")

    def _intent(self, intent_id: str) -> dict:
        intent = self.intents.get(intent_id)
        if intent is None:
            raise StripeApiError(404, f"No such payment_intent: '{intent_id}'", code="resource_missing",
                                 param="intent")
        return intent

    def create_intent(self, form: dict) -> dict:
        amount = _integer(form, "amount", required=True)
        currency = form.get("currency")
        if currency is None:
            raise StripeApiError(400, "Missing required param: currency.", code="parameter_missing", param="currency")
        if not re.fullmatch(r"[a-z]{3}", currency):
            raise StripeApiError(400, f"Invalid currency: {currency}. Stripe currently supports these currencies: "
                                      "usd, eur, …", param="currency")
        if amount < 1:
            raise StripeApiError(400, "This value must be greater than or equal to 1.",
                                 code="parameter_invalid_integer", param="amount")
        if currency == "isk" and amount % 100:
            raise StripeApiError(400, "Invalid amount. Currency ISK has become effectively zero-decimal and charged "
                                      "amounts must be evenly divisible by 100.",
                                 code="invalid_charge_amount_no_decimal_compatible", param="amount")
        metadata = form.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise StripeApiError(400, "Invalid object", code="parameter_invalid_empty", param="metadata")
        intent_id = _id("pi")
        apm = form.get("automatic_payment_methods") or {}
        intent = {
            "id": intent_id, "object": "payment_intent", "amount": amount, "amount_capturable": 0,
            "amount_details": {"tip": {}}, "amount_received": 0, "application": None,
            "application_fee_amount": None,
            "automatic_payment_methods": {"allow_redirects": "always", "enabled": True}
            if apm.get("enabled") == "true" else None,
            "canceled_at": None, "cancellation_reason": None, "capture_method": "automatic_async",
            "client_secret": f"{intent_id}_secret_{secrets.token_urlsafe(18)}", "confirmation_method": "automatic",
            "created": int(time.time()), "currency": currency, "customer": None, "description": None,
            "last_payment_error": None, "latest_charge": None, "livemode": False, "metadata": dict(metadata),
            "next_action": None, "on_behalf_of": None, "payment_method": None,
            "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
            "payment_method_types": ["card"], "processing": None, "receipt_email": None, "review": None,
            "setup_future_usage": None, "shipping": None, "statement_descriptor": None,
            "statement_descriptor_suffix": None, "status": "requires_payment_method", "transfer_data": None,
            "transfer_group": None,
        }
        with self.lock:
            self.intents[intent_id] = intent
        return intent

    def cancel_intent(self, intent: dict, form: dict) -> dict:
        with self.lock:
            if intent["status"] not in CANCELABLE:
                raise StripeApiError(
                    400, f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}. "
                         f"Only a PaymentIntent with one of the following statuses may be canceled: "
                         f"{', '.join(CANCELABLE)}.",
                    code="payment_intent_unexpected_state", payment_intent=dict(intent))
            intent.update(status="canceled", canceled_at=int(time.time()),
                          cancellation_reason=form.get("cancellation_reason") or "requested_by_customer")
            return intent

    def succeed(self, intent_id: str) -> dict:
        """What a confirmed card does: the intent succeeds with a charge."""
        with self.lock:
            intent = self.intents[intent_id]
            intent.update(status="succeeded", amount_received=intent["amount"], latest_charge=_id("ch"),
                          payment_method=_id("pm"))
            return intent

    def require_action(self, intent_id: str) -> dict:
        """What Stripe does when Stripe.js confirms a card that demands 3-D Secure: the intent waits for the
        shopper's bank (`handleNextAction` in the browser runs the challenge)."""
        with self.lock:
            intent = self.intents[intent_id]
            intent.update(status="requires_action", payment_method=_id("pm"), next_action={
                "type": "use_stripe_sdk", "use_stripe_sdk": {"type": "three_d_secure_redirect",
                                                             "stripe_js": "https://hooks.stripe.com/3d_secure_2/"}})
            return dict(intent)

    def fail_authentication(self, intent_id: str) -> dict:
        """The shopper failed (or abandoned) the challenge: Stripe's intent is back to requires_payment_method."""
        with self.lock:
            intent = self.intents[intent_id]
            intent.update(status="requires_payment_method", next_action=None, payment_method=None,
                          last_payment_error={"type": "invalid_request_error",
                                              "code": "payment_intent_authentication_failure",
                                              "doc_url": "https://stripe.com/docs/error-codes/"
                                                         "payment-intent-authentication-failure",
                                              "message": "The provided PaymentMethod has failed authentication."})
            return dict(intent)

    def create_refund(self, form: dict) -> dict:
        if "payment_intent" not in form and "charge" not in form:
            raise StripeApiError(400, "One of the following params should be provided for this request: "
                                      "payment_intent or charge.", code="parameter_missing")
        intent = self._intent(form.get("payment_intent", ""))
        amount = _integer(form, "amount", required=False)
        with self.lock:
            if intent["status"] != "succeeded":
                raise StripeApiError(400, f"This PaymentIntent ({intent['id']}) does not have a successful charge "
                                          "to refund.")
            refunded = self.refunded.get(intent["id"], 0)
            remaining = intent["amount_received"] - refunded
            if remaining <= 0:
                raise StripeApiError(400, f"Charge {intent['latest_charge']} has already been refunded.",
                                     code="charge_already_refunded")
            amount = remaining if amount is None else amount
            if amount < 1 or amount > remaining:
                raise StripeApiError(400, f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                                          f"({remaining})", code="amount_too_large", param="amount")
            self.refunded[intent["id"]] = refunded + amount
            refund = {"id": _id("re"), "object": "refund", "amount": amount, "balance_transaction": _id("txn"),
                      "charge": intent["latest_charge"], "created": int(time.time()), "currency": intent["currency"],
                      "destination_details": {"card": {"reference_status": "pending", "type": "refund"},
                                              "type": "card"},
                      "metadata": dict(form.get("metadata") or {}), "payment_intent": intent["id"],
                      "reason": form.get("reason"), "receipt_number": None, "source_transfer_reversal": None,
                      "status": "succeeded", "transfer_reversal": None}
            self.refunds[refund["id"]] = refund
            return refund
