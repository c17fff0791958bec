"""A local HTTP stub that answers like Stripe's API (form-encoded requests, Stripe JSON objects).

Enough of /v1/payment_intents and /v1/refunds for the Stripe adapter's tests; it records
every request (method, path, form fields, headers) and can be told to answer an error.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


def _unflatten(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding: metadata[order_id]=x → {"metadata": {"order_id": "x"}}."""
    out: dict = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


class StripeStub:
    def __init__(self):
        self.requests: list[dict] = []
        self.intents: dict[str, dict] = {}
        self.error: tuple[int, dict] | None = None
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: dict):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", f"req_{uuid.uuid4().hex[:14]}")
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                form = _unflatten(parse_qsl(raw, keep_blank_values=True))
                path = self.path.split("?")[0]
                stub.requests.append({"method": method, "path": path, "form": form, "headers": dict(self.headers)})
                if stub.error is not None:
                    self._answer(*stub.error)
                    return
                self._answer(*stub.route(method, path, form))

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

    def route(self, method: str, path: str, form: dict) -> tuple[int, dict]:
        parts = path.strip("/").split("/")
        if parts[:2] == ["v1", "payment_intents"] and method == "POST" and len(parts) == 2:
            intent_id = f"pi_{uuid.uuid4().hex[:24]}"
            intent = {"id": intent_id, "object": "payment_intent", "amount": int(form["amount"]),
                      "currency": form["currency"], "status": "requires_payment_method",
                      "client_secret": f"{intent_id}_secret_{uuid.uuid4().hex[:10]}",
                      "metadata": form.get("metadata", {}), "created": int(time.time()), "livemode": False}
            self.intents[intent_id] = intent
            return 200, intent
        if parts[:2] == ["v1", "payment_intents"] and len(parts) >= 3:
            intent = self.intents.get(parts[2])
            if intent is None:
                return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing",
                                       "message": f"No such payment_intent: '{parts[2]}'"}}
            if len(parts) == 4 and parts[3] == "cancel":
                if intent["status"] == "succeeded":
                    return 400, {"error": {"type": "invalid_request_error", "code": "payment_intent_unexpected_state",
                                           "message": "cannot cancel"}}
                intent["status"] = "canceled"
            return 200, intent
        if path == "/v1/refunds" and method == "POST":
            intent = self.intents[form["payment_intent"]]
            return 200, {"id": f"re_{uuid.uuid4().hex[:24]}", "object": "refund", "amount": int(form["amount"]),
                         "currency": intent["currency"], "payment_intent": intent["id"], "status": "succeeded"}
        return 404, {"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}}
