"""The nginx gateway from its generated config: a real nginx in front of a stand-in worker.

No runtime needed: a small threaded HTTP server plays the function workers and echoes
what nginx sent it, so routing, headers, limits and problem answers are checked as a
client sees them.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from infra.certs import ensure_certificate
from infra.gateway import GatewaySettings, check_config, nginx_process, retry_after_seconds, write_config
from infra.processes import free_ports, port_open, wait_until
from infra.stack import trusting_session

PLAIN = requests.Session()
PLAIN.trust_env = False  # no proxy from the environment for loopback calls

SECURITY_HEADERS = ("Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options",
                    "Content-Security-Policy", "Referrer-Policy")


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.dumps({"path": self.path, "method": self.command, "headers": dict(self.headers.items()),
                           "body_bytes": len(self.rfile.read(length)) if length else 0,
                           "server": self.server.server_port}).encode()
        self.send_response(503 if self.path.endswith("/own-503") else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Request-Id", "not-the-gateway-one")
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def workers():
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _Echo) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield [s.server_port for s in servers]
    for server in servers:
        server.shutdown()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, workers):
    state_dir = tmp_path_factory.mktemp("gateway-state")
    certificate, _ = ensure_certificate(state_dir / "certs")
    https, http, internal, sandbox_free = free_ports(4)
    settings = GatewaySettings(
        state_dir=state_dir, certificate=certificate,
        upstreams={"AuthFunction": workers, "ProductsFunction": workers, "PaymentsWebhookFunction": workers[:1],
                   "UnroutedFunction": []},
        api_routes={"/api/v1/auth": "AuthFunction", "/api/v1/products": "ProductsFunction"},
        function_url_routes={"/webhooks/payments": "PaymentsWebhookFunction"},
        sandbox_port=workers[1], https_port=https, http_port=http, internal_port=internal,
        auth_rate="6r/m", auth_burst=2, general_rate="50r/s", general_burst=100,
        client_max_body_size="16k")
    conf = write_config(settings)
    check_config(conf, settings)
    nginx = nginx_process(conf, settings).start()
    try:
        for port in (https, http, internal):
            wait_until(lambda p=port: port_open(p), what="nginx", timeout=10, process=nginx)
        session = trusting_session(certificate.cert)
        yield {"settings": settings, "conf": conf.read_text(), "session": session,
               "https": f"https://localhost:{https}", "http": f"http://127.0.0.1:{http}",
               "internal": f"http://127.0.0.1:{internal}", "nginx": nginx}
    finally:
        nginx.stop()


# ---------------------------------------------------------------------- generated config
def test_upstreams_balance_least_connections_over_every_worker(gateway, workers):
    conf = gateway["conf"]
    block = conf[conf.index("upstream fn_AuthFunction"):]
    block = block[:block.index("}")]
    assert "least_conn;" in block and "keepalive" in block
    for port in workers:
        assert f"server 127.0.0.1:{port} max_fails=" in block
    assert "fn_UnroutedFunction" not in conf  # no workers, no upstream


def test_internal_listener_has_no_rate_limits(gateway):
    conf = gateway["conf"]
    internal = conf[conf.index("# service-to-service"):]
    public = conf[conf.index("# the public gateway"):conf.index("# service-to-service")]
    assert "limit_req" not in internal
    assert "limit_req zone=general" in public and "limit_req zone=auth_strict" in public
    assert f"listen 127.0.0.1:{gateway['settings'].internal_port};" in internal


def test_retry_after_follows_the_zone_rate():
    assert retry_after_seconds("10r/m") == 6
    assert retry_after_seconds("100r/s") == 1
    assert retry_after_seconds("1r/m") == 60
    with pytest.raises(ValueError):
        retry_after_seconds("ten per minute")


# ---------------------------------------------------------------------- behaviour through nginx
def test_https_route_reaches_a_worker_with_the_request_id(gateway, workers):
    response = gateway["session"].get(f"{gateway['https']}/api/v1/products/p-1?x=1",
                                      headers={"X-Request-Id": "client-id-42"})
    assert response.status_code == 200
    echoed = response.json()
    assert echoed["path"] == "/api/v1/products/p-1?x=1"
    assert echoed["server"] in workers
    assert echoed["headers"]["X-Request-Id"] == "client-id-42"
    assert echoed["headers"]["X-Forwarded-Proto"] == "https"
    assert response.headers["X-Request-Id"] == "client-id-42"  # one value: the gateway's, not the worker's
    for header in SECURITY_HEADERS:
        assert header in response.headers, header
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_request_id_is_generated_when_absent_or_unsafe(gateway):
    plain = gateway["session"].get(f"{gateway['https']}/api/v1/products/x")
    assert len(plain.headers["X-Request-Id"]) == 32
    assert plain.json()["headers"]["X-Request-Id"] == plain.headers["X-Request-Id"]
    unsafe = gateway["session"].get(f"{gateway['https']}/api/v1/products/x", headers={"X-Request-Id": 'a"b'})
    assert unsafe.headers["X-Request-Id"] != 'a"b' and len(unsafe.headers["X-Request-Id"]) == 32


def test_service_root_and_exact_prefix_only(gateway):
    assert gateway["session"].get(f"{gateway['https']}/api/v1/products").json()["path"] == "/api/v1/products"
    other = gateway["session"].get(f"{gateway['https']}/api/v1/productsX/1")
    assert other.status_code == 404


def test_http_redirects_to_https(gateway):
    response = PLAIN.get(f"{gateway['http']}/api/v1/products/health?a=1", allow_redirects=False)
    assert response.status_code == 301
    port = gateway["settings"].https_port
    assert response.headers["Location"] == f"https://127.0.0.1:{port}/api/v1/products/health?a=1"


def test_unknown_path_is_a_404_problem(gateway):
    response = gateway["session"].get(f"{gateway['https']}/nothing/here", headers={"X-Request-Id": "rid-404"})
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404 and body["request_id"] == "rid-404"
    for header in SECURITY_HEADERS:
        assert header in response.headers


def test_login_is_rate_limited_with_a_problem_and_retry_after(gateway):
    session = gateway["session"]
    statuses = [session.post(f"{gateway['https']}/api/v1/auth/login", json={}).status_code for _ in range(6)]
    assert statuses[0] == 200 and 429 in statuses
    limited = session.post(f"{gateway['https']}/api/v1/auth/login/", json={})
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "10"
    assert limited.headers["Content-Type"] == "application/problem+json"
    assert limited.json()["title"] == "Too Many Requests"
    for header in SECURITY_HEADERS:
        assert header in limited.headers
    # other auth paths use the general zone only, and the internal listener has no limits at all
    assert session.get(f"{gateway['https']}/api/v1/auth/me").status_code == 200
    assert all(PLAIN.post(f"{gateway['internal']}/api/v1/auth/login", json={}).status_code == 200
               for _ in range(5))


def test_webhook_and_sandbox_routes(gateway, workers):
    webhook = gateway["session"].post(f"{gateway['https']}/webhooks/payments", data=b"{}")
    assert webhook.json()["server"] == workers[0]
    sandbox = gateway["session"].get(f"{gateway['https']}/sandbox/v1/payment_intents/pi_1")
    assert sandbox.json()["path"] == "/v1/payment_intents/pi_1"  # prefix stripped


def test_body_over_the_limit_is_a_413_problem(gateway):
    response = gateway["session"].post(f"{gateway['https']}/api/v1/products/x", data=b"x" * 20_000)
    assert response.status_code == 413
    assert response.json()["type"].endswith("/payload-too-large")


def test_functions_own_errors_pass_through(gateway):
    response = gateway["session"].get(f"{gateway['https']}/api/v1/products/own-503")
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/json"  # the worker's body, not the gateway's


def test_dead_upstream_is_a_502_problem(tmp_path):
    certificate, _ = ensure_certificate(tmp_path / "certs")
    dead, https, http, internal = free_ports(4)
    settings = GatewaySettings(state_dir=tmp_path, certificate=certificate, upstreams={"AuthFunction": [dead]},
                               api_routes={"/api/v1/auth": "AuthFunction"}, https_port=https, http_port=http,
                               internal_port=internal)
    conf = write_config(settings)
    nginx = nginx_process(conf, settings).start()
    try:
        wait_until(lambda: port_open(internal), what="nginx", timeout=10, process=nginx)
        response = PLAIN.get(f"http://127.0.0.1:{internal}/api/v1/auth/health")
        assert response.status_code == 502
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["request_id"] == response.headers["X-Request-Id"]
    finally:
        nginx.stop()
    assert not nginx.alive()


def test_merged_openapi_file_is_served(gateway):
    path = gateway["settings"].openapi_path
    path.write_text(json.dumps({"openapi": "3.0.3", "paths": {"/api/v1/auth/login": {}}}))
    response = gateway["session"].get(f"{gateway['https']}/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert "/api/v1/auth/login" in response.json()["paths"]
