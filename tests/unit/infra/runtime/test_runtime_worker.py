"""Real worker processes started by the Runtime on a tiny function dir: HTTP ⇄ events, timeouts, restarts."""
from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import time

import pytest

from infra.localaws.runtime.invocation import FunctionError
from infra.localaws.runtime.supervisor import Runtime
from infra.localaws.template import LocalContext, Template

from .conftest import AS_THE_HARNESS, template_document

CONTEXT = LocalContext(stack_name="rtunit", aws_endpoint="http://127.0.0.1:1", api_base_url="http://127.0.0.1:2")


@pytest.fixture(scope="module")
def runtime(code_dir, tmp_path_factory):
    template = Template(template_document(code_dir), CONTEXT)
    rt = Runtime(template, CONTEXT, workers_per_function=1, log_dir=tmp_path_factory.mktemp("logs"),
                 extra_env={"OUT_DIR": str(code_dir)}, event_sources=False, **AS_THE_HARNESS)
    rt.start()
    yield rt
    rt.stop()


def call(runtime, function, method, target, body=None, headers=None, connection=None):
    own = connection is None
    connection = connection or http.client.HTTPConnection("127.0.0.1", runtime.upstreams[function][0], timeout=10)
    connection.request(method, target, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    if own:
        connection.close()
    return response, data


def test_http_request_becomes_v1_event_and_result_becomes_http(runtime):
    response, data = call(runtime, "EchoFunction", "GET", "/api/v1/echo/things/42?tag=a&tag=b",
                          headers={"X-Request-Id": "rid-123", "X-Real-IP": "203.0.113.9", "Cookie": "s=1"})
    assert response.status == 200
    assert response.msg.get_all("Set-Cookie") == ["a=1; Path=/", "b=2; HttpOnly"]
    assert response.getheader("X-Request-Id") == "rid-123"
    info = json.loads(data)
    event = info["event"]
    assert event["resource"] == "/api/v1/echo/{proxy+}"
    assert event["pathParameters"] == {"proxy": "things/42"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"]}
    assert event["requestContext"]["identity"]["sourceIp"] == "203.0.113.9"
    assert event["headers"]["Cookie"] == "s=1"
    assert info["request_id"] == "rid-123" == event["requestContext"]["requestId"]
    assert 0 < info["remaining_ms"] <= 3000
    assert info["function_name"] == "rtunit-EchoFunction" and info["memory"] == 256
    assert info["arn"].endswith(":function:rtunit-EchoFunction")


def test_worker_environment_is_exactly_the_functions(runtime, code_dir):
    _, data = call(runtime, "EchoFunction", "GET", "/api/v1/echo")
    info = json.loads(data)
    env = info["env"]
    expected = json.loads(runtime.context_file.read_text())["functions"]["EchoFunction"]["environment"]
    assert env == expected
    assert env["GREETING"] == "hello" and env["STAGE"] == "unit"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1"
    assert env["AWS_LAMBDA_FUNCTION_TIMEOUT"] == "3" and env["AWS_LAMBDA_FUNCTION_NAME"] == "rtunit-EchoFunction"
    assert env["POWERTOOLS_TRACE_DISABLED"] == "true"            # the template cannot turn X-Ray on locally
    assert env["OUT_DIR"] == str(code_dir)                        # extra_env
    assert "PYTEST_CURRENT_TEST" not in env and "VIRTUAL_ENV" not in env
    assert info["sys_path"][0] == str(code_dir) and info["cwd"] == str(code_dir)


def test_request_without_request_id_gets_one(runtime):
    response, data = call(runtime, "EchoFunction", "GET", "/api/v1/echo")
    generated = response.getheader("X-Request-Id")
    assert generated and json.loads(data)["request_id"] == generated


def test_binary_request_and_response_bodies(runtime):
    png = b"\x89PNG\r\n\x1a\n\xff\x00"
    _, data = call(runtime, "EchoFunction", "POST", "/api/v1/echo/upload", body=png,
                   headers={"Content-Type": "image/png"})
    event = json.loads(data)["event"]
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == png
    response, data = call(runtime, "EchoFunction", "GET", "/api/v1/echo/png")
    assert response.getheader("Content-Type") == "image/png" and data == b"\x89PNG\x00\xff"


def timed_call(runtime, function, target, headers=None):
    """A call with a client timeout far above the functions' Timeout (1 s); returns (response, data, seconds)."""
    connection = http.client.HTTPConnection("127.0.0.1", runtime.upstreams[function][0], timeout=30)
    started = time.monotonic()
    try:
        response, data = call(runtime, function, "GET", target, headers=headers, connection=connection)
    finally:
        connection.close()
    return response, data, time.monotonic() - started


def test_handler_past_timeout_gives_504_and_worker_serves_next(runtime):
    _, before = call(runtime, "SlowFunction", "GET", "/__runtime/health")
    # the handler would sleep 60 s: only the template Timeout (1 s) can end the call early
    response, data, elapsed = timed_call(runtime, "SlowFunction", "/api/v1/slow/x?s=60",
                                         headers={"X-Request-Id": "slow-1"})
    assert response.status == 504
    assert response.getheader("Content-Type") == "application/problem+json"
    problem = json.loads(data)
    assert problem["status"] == 504 and problem["title"] == "Gateway Timeout" and problem["request_id"] == "slow-1"
    assert {"type", "detail"} <= problem.keys()
    assert "within 1 s" in problem["detail"]                                  # the configured Timeout cut it
    assert "RequestId: slow-1 Error: Task timed out after 1.00 seconds" in \
        (runtime.log_dir / "SlowFunction-0.log").read_text()
    assert elapsed < 20                                                       # generous; far below the 60 s
    response, data = call(runtime, "SlowFunction", "GET", "/api/v1/slow/x?s=0")
    assert response.status == 200 and data == b"done"
    _, after = call(runtime, "SlowFunction", "GET", "/__runtime/health")
    assert json.loads(after)["pid"] == json.loads(before)["pid"]        # the same process survived


def test_handler_that_swallows_the_timeout_is_still_stopped(runtime):
    # the handler sleeps 60 s, swallows the first HandlerTimeout and sleeps 60 s more
    response, data, elapsed = timed_call(runtime, "StubbornFunction", "/api/v1/stubborn/x",
                                         headers={"X-Request-Id": "stubborn-1"})
    assert response.status == 504 and "within 1 s" in json.loads(data)["detail"]
    assert "RequestId: stubborn-1 Error: Task timed out after 1.00 seconds" in \
        (runtime.log_dir / "StubbornFunction-0.log").read_text()
    assert elapsed < 20                                                       # generous; far below the 120 s


def test_handler_exception_gives_502_problem_and_logs_the_traceback(runtime):
    assert call(runtime, "EchoFunction", "GET", "/api/v1/echo/fine")[0].status == 200  # prints "echo invoked"
    response, data = call(runtime, "EchoFunction", "GET", "/api/v1/echo/boom")
    assert response.status == 502 and json.loads(data)["status"] == 502
    assert b"boom from the handler" not in data                        # no internals in the response
    log = (runtime.log_dir / "EchoFunction-0.log").read_text()
    assert "boom from the handler" in log and "echo invoked" in log    # handler stdout/stderr → the worker log


def test_malformed_result_gives_502(runtime):
    response, _ = call(runtime, "EchoFunction", "GET", "/api/v1/echo/malformed")
    assert response.status == 502


def test_path_outside_the_functions_resources_is_404(runtime):
    response, data = call(runtime, "EchoFunction", "GET", "/api/v1/other/x")
    assert response.status == 404 and json.loads(data)["status"] == 404


def test_function_url_request_becomes_v2_event(runtime):
    response, data = call(runtime, "HookFunction", "POST", "/webhooks/payments?a=1&a=2", body=b'{"id":"evt"}',
                          headers={"Content-Type": "application/json", "Cookie": "x=1; y=2"})
    assert response.status == 200 and response.getheader("Content-Type") == "application/json"
    assert json.loads(data) == {"body": '{"id":"evt"}', "cookies": ["x=1", "y=2"], "raw": "a=1&a=2",
                                "query": {"a": "1,2"}, "method": "POST"}


def test_keep_alive_and_an_idle_connection_does_not_block_others(runtime):
    idle = http.client.HTTPConnection("127.0.0.1", runtime.upstreams["EchoFunction"][0], timeout=5)
    first, _ = call(runtime, "EchoFunction", "GET", "/api/v1/echo", connection=idle)
    second, _ = call(runtime, "EchoFunction", "GET", "/api/v1/echo", connection=idle)   # same socket
    assert first.status == second.status == 200 and first.getheader("Connection") == "keep-alive"
    other, _ = call(runtime, "EchoFunction", "GET", "/api/v1/echo")                     # while `idle` stays open
    assert other.status == 200
    idle.close()


def test_raw_invoke(runtime):
    result = runtime.invoke("EchoFunction", {"path": "/direct", "headers": {}})
    assert json.loads(result["body"])["event"]["path"] == "/direct"
    with pytest.raises(FunctionError) as failed:
        runtime.invoke("EchoFunction", {"path": "/boom"})
    assert failed.value.error_type == "ValueError"
    assert failed.value.payload["errorMessage"] == "boom from the handler"
    with pytest.raises(FunctionError) as timed_out:
        runtime.invoke("SlowFunction", {"s": 3})
    assert timed_out.value.error_type == "Sandbox.Timedout"


def test_init_error_is_reported_not_fatal(runtime):
    assert "missing_module" in runtime.init_errors["BrokenFunction"]
    response, _ = call(runtime, "BrokenFunction", "GET", "/api/v1/broken")
    assert response.status == 502
    with pytest.raises(FunctionError) as failed:
        runtime.invoke("BrokenFunction", {})
    assert failed.value.error_type == "Runtime.ImportModuleError"


def test_routes_upstreams_and_cold_starts(runtime):
    assert runtime.api_routes == {"/api/v1/echo": "EchoFunction", "/api/v1/slow": "SlowFunction",
                                  "/api/v1/stubborn": "StubbornFunction", "/api/v1/broken": "BrokenFunction"}
    assert runtime.function_url_functions == ["HookFunction"]
    assert set(runtime.upstreams) == {"EchoFunction", "SlowFunction", "StubbornFunction", "HookFunction",
                                      "BrokenFunction"}
    assert all(ms > 0 for ms in runtime.cold_starts.values())


def test_dead_worker_is_restarted_on_the_same_port(runtime):
    port = runtime.upstreams["EchoFunction"][0]
    _, data = call(runtime, "EchoFunction", "GET", "/api/v1/echo")
    old_pid = json.loads(data)["pid"]
    os.kill(old_pid, signal.SIGKILL)
    deadline = time.monotonic() + 60                   # generous: a restart on a busy machine is slow
    while True:
        try:
            response, data = call(runtime, "EchoFunction", "GET", "/api/v1/echo")
            if response.status == 200:
                break
        except (ConnectionError, http.client.HTTPException):
            pass
        assert time.monotonic() < deadline, "worker was not restarted"
        time.sleep(0.2)
    assert json.loads(data)["pid"] != old_pid
    assert runtime.upstreams["EchoFunction"][0] == port


def test_stop_leaves_no_process(code_dir, tmp_path):
    template = Template(template_document(code_dir), CONTEXT)
    rt = Runtime(template, CONTEXT, workers_per_function=2, log_dir=tmp_path, event_sources=False, **AS_THE_HARNESS)
    rt.start()
    pids = [w.process.pid for workers in rt.workers.values() for w in workers]
    assert len(pids) == 2 * 5
    rt.stop()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_standalone_worker_reads_a_plain_local_context(tmp_path):
    """`python -m infra.localaws.runtime.worker --function X --port 0 --context ctx.json` with just LocalContext
    fields (the path matcher from LOCALAWS_PATH_MATCHER)."""
    import dataclasses
    import os
    import subprocess
    import sys

    from infra.localaws.runtime.spec import ROOT

    context_file = tmp_path / "ctx.json"
    context_file.write_text(json.dumps(dataclasses.asdict(LocalContext(stack_name="solo"))))
    process = subprocess.Popen([sys.executable, "-m", "infra.localaws.runtime.worker", "--function", "ProductsFunction",
                                "--port", "0", "--context", str(context_file)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "LOCALAWS_PATH_MATCHER": AS_THE_HARNESS["path_matcher"]})
    try:
        ready = json.loads(process.stdout.readline())
        assert ready["event"] == "ready" and ready["status"] == "ok" and ready["cold_start_ms"] > 0
        connection = http.client.HTTPConnection("127.0.0.1", ready["port"], timeout=10)
        connection.request("GET", "/api/v1/products/health")
        response = connection.getresponse()
        assert response.status == 200 and json.loads(response.read())["service"] == "products"
        connection.request("GET", "/__runtime/health")
        health = json.loads(connection.getresponse().read())
        assert health["function"] == "ProductsFunction" and health["invocations"] == 1
        connection.close()
    finally:
        process.terminate()
        process.wait(5)
