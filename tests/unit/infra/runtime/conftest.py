"""A tiny function directory and template for running real workers in unit tests."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from infra.harness import config as harness_config
from infra.localaws.runtime import events

# the runtime's project settings as this shop's harness passes them (infra/harness/stack.py: StackSettings)
AS_THE_HARNESS = {"path_matcher": str(harness_config.PATH_MATCHER),
                  "problem_type_base": harness_config.PROBLEM_TYPE_BASE}


@pytest.fixture(autouse=True)
def runtime_configured_as_the_harness_does():
    """In-process uses of the runtime's events (matching, problems) see what the harness configures."""
    before = events.settings()
    events.configure(**AS_THE_HARNESS)
    yield
    events.configure(**before)

HANDLERS = textwrap.dedent('''
    import base64
    import json
    import os
    import sys
    import time
    from pathlib import Path


    def _record(name, payload):
        out = os.environ.get("OUT_DIR")
        if out:
            with open(Path(out) / name, "a") as fh:
                fh.write(json.dumps(payload) + "\\n")


    def echo(event, context):
        path = event.get("path") or ""
        if path.endswith("/boom"):
            raise ValueError("boom from the handler")
        if path.endswith("/malformed"):
            return {"body": "no statusCode"}
        if path.endswith("/png"):
            return {"statusCode": 200, "headers": {"Content-Type": "image/png"}, "isBase64Encoded": True,
                    "body": base64.b64encode(b"\\x89PNG\\x00\\xff").decode()}
        print("echo invoked", context.aws_request_id)
        info = {"event": event, "env": dict(os.environ), "sys_path": sys.path[:2], "cwd": os.getcwd(),
                "pid": os.getpid(), "request_id": context.aws_request_id,
                "remaining_ms": context.get_remaining_time_in_millis(), "function_name": context.function_name,
                "memory": context.memory_limit_in_mb, "arn": context.invoked_function_arn}
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
                "multiValueHeaders": {"Set-Cookie": ["a=1; Path=/", "b=2; HttpOnly"]}, "body": json.dumps(info)}


    def slow(event, context):
        seconds = float(((event.get("queryStringParameters") or {}).get("s")) or event.get("s", 5))
        time.sleep(seconds)
        return {"statusCode": 200, "body": "done"}


    def stubborn(event, context):
        """Swallows the first timeout signal; the runtime must still stop it."""
        try:
            time.sleep(60)
        except BaseException:
            time.sleep(60)
        return {"statusCode": 200, "body": "should not get here"}


    def hook(event, context):
        return {"body": event.get("body"), "cookies": event.get("cookies"), "raw": event["rawQueryString"],
                "query": event.get("queryStringParameters"), "method": event["requestContext"]["http"]["method"]}


    def consume(event, context):
        failures = []
        for record in event["Records"]:
            _record("consumed.jsonl", {"body": record["body"], "id": record["messageId"],
                                       "count": record["attributes"].get("ApproximateReceiveCount")})
            if record["body"].startswith("bad"):
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}


    def slow_consume(event, context):
        """Takes a while per batch and says which worker ran it when (concurrency tests)."""
        started = time.time()
        time.sleep(1.0)
        _record("slow.jsonl", {"pid": os.getpid(), "start": started, "end": time.time(),
                               "bodies": [r["body"] for r in event["Records"]]})
        return {"batchItemFailures": []}


    def tick(event, context):
        _record("ticks.jsonl", event)
        return {"ticked": event.get("detail-type")}
''')


def function(handler: str, events: dict | None = None, **props) -> dict:
    properties = {"CodeUri": "__CODE__", "Handler": handler, **props}
    if events:
        properties["Events"] = events
    return {"Type": "AWS::Serverless::Function", "Properties": properties}


def api(prefix: str) -> dict:
    return {"Root": {"Type": "Api", "Properties": {"Path": prefix, "Method": "ANY"}},
            "Proxy": {"Type": "Api", "Properties": {"Path": prefix + "/{proxy+}", "Method": "ANY"}}}


def template_document(code_dir: Path, extra_resources: dict | None = None) -> dict:
    resources = {
        "EchoFunction": function("handlers.echo", api("/api/v1/echo"), Environment={
            "Variables": {"GREETING": "hello", "POWERTOOLS_TRACE_DISABLED": "false"}}),
        "SlowFunction": function("handlers.slow", api("/api/v1/slow"), Timeout=1),
        "StubbornFunction": function("handlers.stubborn", api("/api/v1/stubborn"), Timeout=1),
        "HookFunction": function("handlers.hook", FunctionUrlConfig={"AuthType": "NONE"}),
        "BrokenFunction": function("missing_module.handler", api("/api/v1/broken")),
        **(extra_resources or {}),
    }
    for resource in resources.values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = str(code_dir)
    return {"Globals": {"Function": {"Runtime": "python3.11", "Timeout": 3, "MemorySize": 256,
                                     "Environment": {"Variables": {"STAGE": "unit"}}}},
            "Resources": resources}


@pytest.fixture(scope="session")
def code_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("fn")
    (directory / "handlers.py").write_text(HANDLERS)
    return directory
