"""Each API function's worker is warmed once before it is ready (as provisioned concurrency readies an
environment); its cold start is still the import alone, and other functions are not warmed."""
from __future__ import annotations

import http.client
import json
import textwrap

import pytest

from infra.localaws.runtime.supervisor import Runtime
from infra.localaws.runtime.worker import WARM_UP_EVENT
from infra.localaws.template import LocalContext, Template

from .conftest import AS_THE_HARNESS, api, function

CONTEXT = LocalContext(stack_name="rtwarm", aws_endpoint="http://127.0.0.1:1", api_base_url="http://127.0.0.1:2")

WARMED = textwrap.dedent('''
    import json
    import os
    import time

    SEEN = []                      # what this process was invoked with


    def app(event, context):
        SEEN.append(event)
        if event == {"source": "warm-up"}:
            time.sleep(0.2)        # the lazy initialisation a first request would pay
            return {"warmed": True}
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
                "body": json.dumps({"seen": SEEN[:-1]})}


    def scheduled(event, context):
        SEEN.append(event)
        return {"seen": SEEN[:-1]}
''')


@pytest.fixture(scope="module")
def code(tmp_path_factory):
    directory = tmp_path_factory.mktemp("warm")
    (directory / "warmed.py").write_text(WARMED)
    return directory


def start(code, tmp_path, **options) -> Runtime:
    document = {"Globals": {"Function": {"Runtime": "python3.11", "Timeout": 3, "MemorySize": 256}},
                "Resources": {"ApiFunction": function("warmed.app", api("/api/v1/warm")),
                              "NightlyFunction": function("warmed.scheduled")}}
    for resource in document["Resources"].values():
        resource["Properties"]["CodeUri"] = str(code)
    runtime = Runtime(Template(document, CONTEXT), CONTEXT, workers_per_function=1, log_dir=tmp_path,
                      event_sources=False, **AS_THE_HARNESS, **options)
    runtime.start()
    return runtime


def get(runtime: Runtime, function: str, path: str) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", runtime.upstreams[function][0], timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def test_an_api_worker_is_warmed_once_before_its_first_request(code, tmp_path):
    runtime = start(code, tmp_path)
    try:
        status, body = get(runtime, "ApiFunction", "/api/v1/warm")
        assert status == 200 and body["seen"] == [WARM_UP_EVENT]        # the warm-up came first, and only once
        [worker] = runtime.workers["ApiFunction"]
        assert worker.ready_report["warm_up_ms"] >= 200                 # timed apart from the cold start
        assert runtime.warm_ups["ApiFunction"] >= 200
        assert 0 < runtime.cold_starts["ApiFunction"]
        status, health = get(runtime, "ApiFunction", "/__runtime/health")
        assert health["invocations"] == 1                              # the warm-up is not an invocation
        assert runtime.invoke("NightlyFunction", {"n": 1}) == {"seen": []}   # not an API function: not warmed
        assert "NightlyFunction" not in runtime.warm_ups
    finally:
        runtime.stop()


def test_the_warm_up_can_be_turned_off(code, tmp_path):
    runtime = start(code, tmp_path, warm_up=False)
    try:
        status, body = get(runtime, "ApiFunction", "/api/v1/warm")
        assert status == 200 and body["seen"] == []
        assert runtime.warm_ups == {}
    finally:
        runtime.stop()
