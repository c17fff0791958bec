"""The gateway as a client sees it: every service over HTTPS through nginx, redirects, headers
(the functions' own, as on AWS, never doubled), request ids, CORS, the login rate limit, the
merged OpenAPI, problems for unknown paths, internal APIs closed to the outside, the internal
listener under the API stage, and a second stack (`python -m infra.harness.stack up` / `down`, as
`make up` / `make down`) that leaves no process behind.
"""
from __future__ import annotations

import http.client
import json
import os
import ssl
import subprocess
import sys
import time
import uuid

import pytest
import requests

from infra.harness.stack import StackSettings
from infra.localaws import config
from infra.localaws.processes import command_lines_containing, descendants, free_ports, process_identity
from infra.localaws.template import ROOT, Template

SERVICES = sorted(spec.service for spec in Template().functions() if spec.api_paths)
SECURITY_HEADERS = {"Strict-Transport-Security": "max-age=", "X-Content-Type-Options": "nosniff",
                    "X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'",
                    "Referrer-Policy": "no-referrer"}


def _access_log(stack, request_id: str, timeout: float = 15.0) -> dict:
    """The gateway's JSON access-log line of one request (nginx writes it just after answering)."""
    deadline = time.monotonic() + timeout             # generous: only a missing line waits it out
    while True:
        for line in (stack.log_dir / "nginx-access.log").read_text().splitlines():
            entry = json.loads(line)
            if entry["request_id"] == request_id:
                return entry
        if time.monotonic() > deadline:
            raise AssertionError(f"no access-log line for {request_id}")
        time.sleep(0.05)


def test_seven_services_are_served():
    assert SERVICES == ["admin", "auth", "localization", "orders", "payments", "products", "users", "webhooks"]


@pytest.mark.parametrize("service", SERVICES)
def test_health_of_every_service_over_https(stack, service):
    response = stack.session().get(f"{stack.base_url}/api/v1/{service}/health", timeout=10)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.url.startswith("https://")


def test_plain_http_redirects_to_https(stack):
    plain = requests.Session()
    plain.trust_env = False
    response = plain.get(f"{stack.http_url}/api/v1/products/health?x=1", allow_redirects=False, timeout=10)
    assert response.status_code == 301
    assert response.headers["Location"] == f"{stack.base_url}/api/v1/products/health?x=1"


@pytest.mark.parametrize("path", ["/api/v1/products/health", "/api/v1/no-such-service/x",
                                  "/api/v1/products/no/such/route", "/api/v1/auth/internal/users"])
def test_security_headers_on_every_response(stack, path):
    response = stack.session().get(f"{stack.base_url}{path}", timeout=10)
    for header, expected in SECURITY_HEADERS.items():
        assert expected in response.headers.get(header, ""), header
        assert ", " not in response.headers[header], header     # one copy: requests joins repeats with ", "
    assert "," not in response.headers["X-Request-Id"]


def test_internal_apis_are_not_reachable_from_outside(stack):
    request_id = f"int-{uuid.uuid4()}"
    response = stack.session().get(f"{stack.base_url}/api/v1/auth/internal/users",
                                   headers={"X-Request-Id": request_id}, timeout=10)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert not _access_log(stack, request_id)["upstream"]  # nginx answered; no function was called


def test_cors_for_the_storefront_origin_through_the_gateway(stack):
    origin = stack.template.function("ProductsFunction").environment["CORS_ALLOWED_ORIGIN"]
    session = stack.session()
    allowed = session.get(f"{stack.base_url}/api/v1/products/health", headers={"Origin": origin}, timeout=10)
    assert allowed.headers["Access-Control-Allow-Origin"] == origin
    assert allowed.headers["Access-Control-Allow-Credentials"] == "true"
    other = session.get(f"{stack.base_url}/api/v1/products/health", headers={"Origin": "https://evil.example"},
                        timeout=10)
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = session.options(f"{stack.base_url}/api/v1/orders/checkout", timeout=10,
                                headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                         "Access-Control-Request-Headers": "authorization,content-type"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == origin
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"].split(",")


def test_request_id_is_passed_to_the_function_and_returned(stack):
    request_id = f"it-{uuid.uuid4()}"
    response = stack.session().get(f"{stack.base_url}/api/v1/users/health", headers={"X-Request-Id": request_id},
                                   timeout=10)
    assert response.headers["X-Request-Id"] == request_id
    entry = _access_log(stack, request_id)
    assert entry["status"] == 200 and entry["path"] == "/api/v1/users/health"
    assert entry["upstream"] and entry["upstream_time"]  # answered by a worker, timed


def test_request_id_is_generated_when_missing(stack):
    response = stack.session().get(f"{stack.base_url}/api/v1/orders/health", timeout=10)
    generated = response.headers["X-Request-Id"]
    assert len(generated) >= 16
    assert _access_log(stack, generated)["status"] == 200


def test_unknown_api_path_is_a_404_problem(stack):
    response = stack.session().get(f"{stack.base_url}/api/definitely/not/here", timeout=10)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404 and body["request_id"] == response.headers["X-Request-Id"]


@pytest.mark.parametrize(("path", "title"), [("/definitely/not/here", "Meridian"), ("/admin/x/y", "Meridian admin")])
def test_any_other_path_is_a_client_side_route_of_its_app(stack, path, title):
    """Outside /api/ a path is the storefront's (or, under /admin/, the console's): its app shows its own
    not-found page. Served with the apps' content security policy."""
    response = stack.session().get(f"{stack.base_url}{path}", timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    assert 'id="root"' in response.text and f"<title>{title}</title>" in response.text
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("method, path, allow", [
    ("TRACE", "/api/v1/products", "GET"),           # nginx refuses it itself
    ("GET", "/webhooks/payments", "POST"),          # the webhook function refuses it
    ("GET", "/api/v1/products/%00", None),
])
def test_refusals_are_problems_with_allow_on_405(stack, method, path, allow):
    response = stack.session().request(method, f"{stack.base_url}{path}", timeout=10)
    assert response.status_code == (405 if allow else 400), response.text[:200]
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json()["status"] == response.status_code
    if allow:
        assert allow in response.headers["Allow"]


def test_merged_openapi_lists_every_service(stack):
    response = stack.session().get(f"{stack.base_url}/api/v1/openapi.json", timeout=10)
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    for service in SERVICES:
        assert f"/api/v1/{service}/health" in document["paths"], service


def test_internal_listener_serves_sibling_calls_over_plain_http_under_the_stage(stack):
    plain = requests.Session()
    plain.trust_env = False
    api_base_url = stack.context.api_base_url             # what the functions call, as on AWS: …/Prod
    assert api_base_url.startswith(stack.internal_url)
    response = plain.get(f"{stack.internal_url}/{config.API_STAGE}/api/v1/localization/health", timeout=10)
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert plain.get(f"{api_base_url}/api/v1/orders/health", timeout=10).status_code == 200
    # internal APIs stay reachable here (the function itself demands the service signature)
    internal = plain.get(f"{stack.internal_url}/{config.API_STAGE}/api/v1/auth/internal/users", timeout=10)
    assert internal.status_code == 401


def test_webhook_path_reaches_the_webhook_function(stack):
    request_id = f"wh-{uuid.uuid4()}"
    stack.session().post(f"{stack.base_url}/webhooks/payments", data=b"{}",
                         headers={"X-Request-Id": request_id, "Content-Type": "application/json"}, timeout=10)
    entry = _access_log(stack, request_id)
    assert entry["upstream"], "nginx answered itself instead of the webhook function"
    assert entry["status"] != 502


def test_login_rate_limit_answers_429_problem_with_retry_after(stack):
    """A burst bigger than the strict zone's, from its own loopback address (others are not throttled)."""
    context = ssl.create_default_context(cafile=str(stack.certificate.cert))
    connection = http.client.HTTPSConnection("localhost", stack.settings.https_port, context=context,
                                             source_address=("127.0.0.77", 0), timeout=10)
    body = b"{}"  # invalid: the function answers 400 fast, so the burst outruns the zone's refill
    limit = stack.settings.auth_burst * 3 + 50
    try:
        for attempt in range(limit):
            request_id = f"rl-{attempt}-{uuid.uuid4().hex[:8]}"
            connection.request("POST", "/api/v1/auth/login", body=body,
                               headers={"Content-Type": "application/json", "X-Request-Id": request_id})
            response = connection.getresponse()
            payload = response.read()
            if response.status == 429 and not _access_log(stack, request_id)["upstream"]:
                break  # answered by the gateway's zone, not by the auth function's own lockout
        else:
            pytest.fail(f"no gateway 429 after {limit} login attempts")
    finally:
        connection.close()
    assert attempt >= stack.settings.auth_burst  # the burst itself is admitted
    assert response.getheader("Content-Type") == "application/problem+json"
    assert int(response.getheader("Retry-After")) >= 1
    problem = json.loads(payload)
    assert problem["status"] == 429 and problem["title"] == "Too Many Requests"
    # the default address is not throttled by that burst
    assert stack.session().get(f"{stack.base_url}/api/v1/auth/health", timeout=10).status_code == 200


# ---------------------------------------------------------------------- make up / make down
def _cli(command: str, env: dict, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "infra.harness.stack_cli", command], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)


def test_up_then_down_leaves_no_process_behind(tmp_path):
    state_dir = tmp_path / "second-stack"
    # every port the stack checks (StackSettings.PORTS) on a free one: a `make up` stack may be running beside
    variables = sorted(StackSettings.PORTS.values())
    ports = dict(zip(variables, map(str, free_ports(len(variables))), strict=True))
    https = ports["GATEWAY_HTTPS_PORT"]
    env = dict(os.environ, **ports, MERIDIAN_STATE_DIR=str(state_dir), WORKERS_PER_FUNCTION="1",
               SEED_PASSWORD=uuid.uuid4().hex)
    started = _cli("up", env)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert f"https://localhost:{https}" in started.stdout
        assert "moto_server" in started.stdout and "nginx" in started.stdout  # steps were shown
        state = json.loads((state_dir / "stack.json").read_text())
        supervisor = state["supervisor_pid"]
        session = requests.Session()
        session.trust_env = False
        session.verify = state["certificate"]
        assert session.get(f"https://localhost:{https}/api/v1/products/health", timeout=10).status_code == 200

        again = _cli("up", env)
        assert again.returncode == 0 and "already up" in again.stdout
        status = _cli("status", env, timeout=60)
        assert status.returncode == 0, status.stdout
        assert "products (gateway)" in status.stdout

        started_processes = {process_identity(pid) for pid in descendants(supervisor)} - {None}
        assert len(started_processes) >= 4  # moto, nginx (+ its worker), function workers, stubs
        assert command_lines_containing(str(state_dir))  # workers and nginx name the state dir
    finally:
        stopped = _cli("down", env, timeout=90)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert "stopped" in stopped.stdout
    survivors = [identity for identity in started_processes if process_identity(identity[0]) == identity]
    assert survivors == []
    assert command_lines_containing(str(state_dir)) == {}
    assert not (state_dir / "stack.json").exists()
    assert _cli("status", env, timeout=60).returncode == 1  # reports "down"
