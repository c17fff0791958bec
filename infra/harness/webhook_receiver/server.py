"""The webhook test receiver's HTTP server (stdlib ThreadingHTTPServer) and what it recorded."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

MAX_BODY = 1024 * 1024
CONTROL_PATHS = ("/received", "/control", "/reset", "/health")


class WebhookReceiver:
    def __init__(self, *, port: int = 0, host: str = "127.0.0.1"):
        self.lock = threading.Lock()
        self.received: list[dict] = []
        self.fail_next = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(min(length, MAX_BODY))

            def do_GET(self):  # noqa: N802 - http.server's name
                url = urlsplit(self.path)
                if url.path == "/health":
                    return self._answer(200, {"status": "ok"})
                if url.path == "/received":
                    wanted = parse_qs(url.query).get("path", [None])[0]
                    with receiver.lock:
                        items = [r for r in receiver.received if wanted is None or r["path"] == wanted]
                    return self._answer(200, {"items": items})
                return self._answer(404, {"error": "not found"})

            def do_POST(self):  # noqa: N802
                path, raw = urlsplit(self.path).path, self._body()
                if path == "/control":
                    settings = json.loads(raw or b"{}")
                    with receiver.lock:
                        receiver.fail_next = max(0, int(settings.get("fail_next", receiver.fail_next)))
                        return self._answer(200, {"fail_next": receiver.fail_next})
                if path == "/reset":
                    with receiver.lock:
                        receiver.received.clear()
                        receiver.fail_next = 0
                    return self._answer(200, {"reset": True})
                with receiver.lock:
                    failing = receiver.fail_next > 0
                    if failing:
                        receiver.fail_next -= 1
                    receiver.received.append({
                        "path": self.path, "headers": dict(self.headers.items()),
                        "body": raw.decode("utf-8", errors="replace"), "received_at": time.time(),
                        "answered": 500 if failing else 200})
                if failing:
                    return self._answer(500, {"error": "told to fail"})
                return self._answer(200, {"received": True})

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def start(self) -> WebhookReceiver:
        """In a thread (tests)."""
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
