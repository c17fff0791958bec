"""The nginx gateway from its generated config: a real nginx in front of a stand-in worker.

No runtime needed: a small threaded HTTP server plays the function workers and echoes
what nginx sent it (and, like a function, sets its own security headers and echoes
X-Request-Id), so routing, headers, limits and problem answers are checked as a client
sees them.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from infra.harness.stack import shop_gateway_options, trusting_session
from infra.localaws import config
from infra.localaws.certs import ensure_certificate
from infra.localaws.gateway import GatewaySettings, check_config, nginx_process, retry_after_seconds, write_config
from infra.localaws.processes import free_ports, port_open, wait_until

PLAIN = requests.Session()
PLAIN.trust_env = False  # no proxy from the environment for loopback calls

SECURITY_HEADERS = ("Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options",
                    "Content-Security-Policy", "Referrer-Policy")
# what the stand-in worker sets, as meridian.http_headers does (distinct values: whose copy arrived shows)
WORKER_HEADERS = {"Strict-Transport-Security": "max-age=1", "X-Content-Type-Options": "nosniff",
                  "X-Frame-Options": "DENY", "Content-Security-Policy": "default-src 'none'; worker",
                  "Referrer-Policy": "no-referrer"}
STAGE = config.API_STAGE


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
        self.send_header("X-Request-Id", self.headers.get("X-Request-Id") or "worker-made")
        for name, value in WORKER_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_OPTIONS = _answer

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
    settings = shop_settings(
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
        yield {"settings": settings, "conf": conf.read_text(), "session": session, "workers": workers,
               "https": f"https://localhost:{https}", "http": f"http://127.0.0.1:{http}",
               "internal": f"http://127.0.0.1:{internal}", "nginx": nginx}
    finally:
        nginx.stop()


def shop_settings(*, sandbox_port=None, auth_rate=None, auth_burst=None, web_root=None, **values) -> GatewaySettings:
    """The generic gateway with this shop's options (infra/harness/stack.py passes the same)."""
    limits = {k: v for k, v in (("auth_rate", auth_rate), ("auth_burst", auth_burst)) if v is not None}
    return GatewaySettings(**shop_gateway_options(sandbox_port=sandbox_port, web_root=web_root, **limits), **values)


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
    assert response.headers["X-Request-Id"] == "client-id-42"  # one value: the function echoes nginx's


def test_proxied_answers_carry_the_functions_headers_only(gateway):
    """Functions set the security headers (as on AWS); nginx adds no second copy to their answers."""
    for base, path in ((gateway["https"], "/api/v1/products/p-1"), (gateway["https"], "/api/v1/auth"),
                       (gateway["https"], "/webhooks/payments"), (gateway["internal"], f"/{STAGE}/api/v1/auth/x")):
        session = gateway["session"] if base.startswith("https") else PLAIN
        response = session.get(f"{base}{path}", headers={"X-Request-Id": "one-copy"})
        assert response.status_code == 200, path
        for header, value in WORKER_HEADERS.items():
            assert response.headers[header] == value, (path, header)   # requests joins duplicates with ", "
        assert response.headers["X-Request-Id"] == "one-copy"


def test_nginx_adds_its_headers_to_what_it_answers_itself(gateway):
    for url in (f"{gateway['https']}/nothing", f"{gateway['https']}/api/v1/openapi.json",
                f"{gateway['https']}/api/v1/products/internal/x", f"{gateway['https']}/sandbox/v1/x"):
        response = gateway["session"].get(url, headers={"X-Request-Id": "nginx-own"})
        for header in SECURITY_HEADERS:
            assert header in response.headers, (url, header)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], url
        assert response.headers["X-Request-Id"] == "nginx-own", url
    redirect = PLAIN.get(f"{gateway['http']}/api/v1/products/x", allow_redirects=False)
    assert redirect.status_code == 301 and "Strict-Transport-Security" in redirect.headers


def test_request_id_is_generated_when_absent_or_unsafe(gateway):
    # nginx makes one (32 hex) and sends it to the function, which echoes it
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
    assert all(PLAIN.post(f"{gateway['internal']}/{STAGE}/api/v1/auth/login", json={}).status_code == 200
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
    settings = shop_settings(state_dir=tmp_path, certificate=certificate, upstreams={"AuthFunction": [dead]},
                               api_routes={"/api/v1/auth": "AuthFunction"}, https_port=https, http_port=http,
                               internal_port=internal)
    conf = write_config(settings)
    nginx = nginx_process(conf, settings).start()
    try:
        wait_until(lambda: port_open(internal), what="nginx", timeout=10, process=nginx)
        response = PLAIN.get(f"http://127.0.0.1:{internal}/{STAGE}/api/v1/auth/health")
        assert response.status_code == 502
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["request_id"] == response.headers["X-Request-Id"]
        for header in SECURITY_HEADERS:
            assert header in response.headers, header
    finally:
        nginx.stop()
    assert not nginx.alive()


# ---------------------------------------------------------------------- internal APIs and the stage
@pytest.mark.parametrize("path", ["/api/v1/products/internal/reservations", "/api/v1/products/internal",
                                  "/api/v1/auth/internal/users/u-1/role", "/api/v1/products/INTERNAL/x",
                                  "/api/v1/products/%69nternal/reservations", "/api/v1/products//internal/x",
                                  "/api/v1/products/x/../internal/reservations"])
def test_internal_apis_are_a_404_problem_on_the_public_listener(gateway, path):
    for method in ("GET", "POST", "OPTIONS"):
        response = gateway["session"].request(method, f"{gateway['https']}{path}",
                                              headers={"X-Request-Id": "rid-int"})
        assert response.status_code == 404, (method, path)
        assert response.headers["Content-Type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == 404 and body["request_id"] == "rid-int" and "server" not in body
        for header in SECURITY_HEADERS:
            assert header in response.headers


def test_internal_apis_are_a_404_problem_on_the_http_listener(gateway):
    response = PLAIN.post(f"{gateway['http']}/api/v1/products/internal/reservations", json={},
                          allow_redirects=False)
    assert response.status_code == 404  # not a redirect to where it would be refused anyway
    assert response.headers["Content-Type"] == "application/problem+json"
    assert PLAIN.get(f"{gateway['http']}/api/v1/products/internals", allow_redirects=False).status_code == 301


def test_internal_listener_strips_the_stage_and_keeps_internal_apis(gateway, workers):
    internal = gateway["internal"]
    cases = {f"/{STAGE}/api/v1/products/internal/reservations?x=1": "/api/v1/products/internal/reservations?x=1",
             f"/{STAGE}/api/v1/products": "/api/v1/products",
             f"/{STAGE}/api/v1/products/a%2Fb%20c": "/api/v1/products/a%2Fb%20c",   # still encoded
             f"/{STAGE}/api/v1/auth/login": "/api/v1/auth/login"}
    for path, seen in cases.items():
        response = PLAIN.post(f"{internal}{path}", json={})
        assert response.status_code == 200, path
        assert response.json()["path"] == seen, path
        assert response.json()["server"] in workers
    # function URLs have no stage (the sandbox posts webhooks to <internal>/webhooks/payments)
    assert PLAIN.post(f"{internal}/webhooks/payments", data=b"{}").json()["path"] == "/webhooks/payments"
    assert PLAIN.post(f"{internal}/{STAGE}/webhooks/payments", data=b"{}").status_code == 404
    assert PLAIN.get(f"{internal}/{STAGE}/api/v1/productsX").status_code == 404
    assert PLAIN.get(f"{internal}/Other/api/v1/products/x").status_code == 404
    unstaged = PLAIN.get(f"{internal}/api/v1/products")          # as on AWS, the stage is part of the URL
    assert unstaged.status_code == 404 and "carry the stage" in unstaged.json()["detail"]


def test_stage_lives_in_one_place():
    from infra.localaws.runtime import events

    assert events.API_STAGE is config.API_STAGE == "Prod"


def test_generated_config_blocks_internal_first_and_proxies_the_stage(gateway):
    conf = gateway["conf"]
    http = conf[conf.index("# plain HTTP"):conf.index("# the public gateway")]
    public = conf[conf.index("# the public gateway"):conf.index("# service-to-service")]
    internal = conf[conf.index("# service-to-service"):]
    blocked = "location ~* ^/api/v1/[^/]+/internal(?:/|$) {"
    assert blocked in http and blocked in public and blocked not in internal
    assert public.index(blocked) < public.index("location /api/v1/auth/")  # before any API location
    assert f"location /{STAGE}/api/v1/auth/ {{ proxy_pass http://fn_AuthFunction$unstaged_request_uri; }}" in internal
    assert f"/{STAGE}/" not in public
    assert "security_headers.conf" not in public[:public.index(blocked)]  # never at server level
    assert "proxy_hide_header" not in conf[:conf.index("server {")]  # functions' headers pass through


def _render(tmp_path, **overrides) -> str:
    certificate, _ = ensure_certificate(tmp_path / "certs")
    values = dict(state_dir=tmp_path, certificate=certificate,
                  upstreams={"AuthFunction": [9], "AdminFunction": [10]},
                  api_routes={"/api/v1/auth": "AuthFunction", "/api/v1/admin": "AdminFunction"},
                  https_port=1, http_port=2, internal_port=3)
    values.update(overrides)
    settings = shop_settings(**values)
    conf = write_config(settings)
    check_config(conf, settings)
    return conf.read_text()


def test_internal_listener_serves_only_staged_paths(tmp_path):
    conf = _render(tmp_path)
    internal = conf[conf.index("# service-to-service"):]
    assert "location /api/ {" in internal and "carry the stage" in internal
    assert "location /api/v1/auth/ " not in internal
    assert f"location /{STAGE}/api/v1/auth/ " in internal


def test_openapi_goes_to_the_function_that_has_its_api_event(tmp_path):
    conf = _render(tmp_path, api_routes={"/api/v1/auth": "AuthFunction", "/api/v1/admin": "AdminFunction",
                                         "/api/v1/openapi.json": "AdminFunction"})
    public = conf[conf.index("# the public gateway"):conf.index("# service-to-service")]
    internal = conf[conf.index("# service-to-service"):]
    assert "location = /api/v1/openapi.json { proxy_pass http://fn_AdminFunction; }" in public
    assert (f"location = /{STAGE}/api/v1/openapi.json {{ proxy_pass http://fn_AdminFunction"
            "$unstaged_request_uri; }") in internal
    assert "alias" not in conf


@pytest.mark.parametrize("method, path, status", [
    ("TRACE", "/api/v1/products", 405),
    ("GET", "/api/v1/products/%00", 400),
    ("GET", "/api/v1/products/" + "x" * 20_000, 414),
])
def test_what_nginx_refuses_itself_is_a_problem_too(gateway, method, path, status):
    """Every error is problem+json with a request id and the security headers; a 405 says what is allowed.
    (A request line nginx cannot parse is refused before its headers are read: the id is nginx's own.)"""
    response = gateway["session"].request(method, f"{gateway['https']}{path}", headers={"X-Request-Id": "rid-own"})
    assert response.status_code == status, response.text[:200]
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == status
    assert response.json()["request_id"] == response.headers["X-Request-Id"]
    for header in SECURITY_HEADERS:
        assert header in response.headers
    if status == 405:
        assert "GET" in response.headers["Allow"] and "TRACE" not in response.headers["Allow"]


# ---------------------------------------------------------------------- the web apps' files
@pytest.fixture(scope="module")
def web_gateway(tmp_path_factory, workers):
    """The gateway with a built web folder: the storefront at /, the admin console at /admin/."""
    state_dir = tmp_path_factory.mktemp("web-gateway-state")
    web = tmp_path_factory.mktemp("dist")
    (web / "admin").mkdir()
    (web / "assets").mkdir()
    (web / "index.html").write_text("<!doctype html><title>store</title>")
    (web / "admin" / "index.html").write_text("<!doctype html><title>admin</title>")
    (web / "assets" / "store-abc123.js").write_text("console.log('store');" * 100)
    certificate, _ = ensure_certificate(state_dir / "certs")
    https, http, internal = free_ports(3)
    settings = shop_settings(state_dir=state_dir, certificate=certificate, upstreams={"ProductsFunction": workers},
                             api_routes={"/api/v1/products": "ProductsFunction"}, web_root=web,
                             https_port=https, http_port=http, internal_port=internal)
    conf = write_config(settings)
    check_config(conf, settings)
    nginx = nginx_process(conf, settings).start()
    try:
        wait_until(lambda: port_open(https), what="nginx", timeout=10, process=nginx)
        yield {"session": trusting_session(certificate.cert), "https": f"https://localhost:{https}"}
    finally:
        nginx.stop()


@pytest.mark.parametrize(("path", "title"), [("/", "store"), ("/products/p-1?locale=ar", "store"),
                                             ("/account/orders", "store"), ("/admin/", "admin"),
                                             ("/admin/orders/o-1", "admin")])
def test_each_app_answers_its_routes_with_its_index(web_gateway, path, title):
    response = web_gateway["session"].get(f"{web_gateway['https']}{path}")
    assert response.status_code == 200 and f"<title>{title}</title>" in response.text
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["Cache-Control"] == "no-cache"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    for header in SECURITY_HEADERS:
        assert header in response.headers


def test_assets_are_cached_for_good_and_compressed(web_gateway):
    response = web_gateway["session"].get(f"{web_gateway['https']}/assets/store-abc123.js",
                                          headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/javascript")
    assert "immutable" in response.headers["Cache-Control"]
    assert response.headers.get("Content-Encoding") == "gzip"
    assert web_gateway["session"].get(f"{web_gateway['https']}/assets/missing.js").status_code == 404


def test_the_admin_prefix_without_its_slash_redirects(web_gateway):
    response = web_gateway["session"].get(f"{web_gateway['https']}/admin", allow_redirects=False)
    assert response.status_code == 301 and response.headers["Location"].endswith("/admin/")


def test_api_paths_stay_json_beside_the_apps(web_gateway):
    assert web_gateway["session"].get(f"{web_gateway['https']}/api/v1/products").json()["path"] == "/api/v1/products"
    unknown = web_gateway["session"].get(f"{web_gateway['https']}/api/v1/nothing")
    assert unknown.status_code == 404 and unknown.headers["Content-Type"] == "application/problem+json"
