"""`make invoke FN=<LogicalId>`: run one function once, in a fresh worker, against the running stack.

    python -m infra.localaws.runtime.invoke NightlyFunction
    python -m infra.localaws.runtime.invoke QueueConsumerFunction --event my-event.json

Without --event the sample event comes from the function's first event source:
Api → GET <prefix>/health through its {proxy+} resource, SQS → one sample record,
Schedule → a scheduled event, FunctionUrlConfig → GET / (payload 2.0). The AWS endpoint
and the LocalContext come from the stack's state file (infra.localaws.config.STATE_DIR/stack.json);
without one, http://127.0.0.1:<AWS_PORT>.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from infra.localaws import config
from infra.localaws.template import LocalContext, Template

from . import events
from .scheduler import schedule_sources, scheduled_event
from .spec import context_from_document
from .sqs_poller import sqs_event, sqs_event_sources
from .supervisor import Runtime


def _state(state_file: Path | None) -> dict | None:
    path = state_file or config.STATE_DIR / "stack.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def runtime_settings(state_file: Path | None = None) -> dict[str, str]:
    """The running stack's path matcher and problem type base (its settings, as its harness set them)."""
    settings = (_state(state_file) or {}).get("settings") or {}
    return {k: settings[k] for k in ("path_matcher", "problem_type_base") if settings.get(k)}


def stack_context(state_file: Path | None = None) -> LocalContext:
    state = _state(state_file)
    if state is not None:
        context = context_from_document(state.get("context") or {})
        if state.get("aws_endpoint"):
            context.aws_endpoint = state["aws_endpoint"]
        return context
    from infra.localaws.build import BUILD_DIR

    return LocalContext(stack_name=config.STACK_NAME, region=config.REGION,
                        aws_endpoint=f"http://127.0.0.1:{config.AWS_PORT}",
                        api_base_url=f"http://127.0.0.1:{config.GATEWAY_INTERNAL_PORT}/{config.API_STAGE}",
                        build_dir=str(BUILD_DIR))


def sample_event(template: Template, logical_id: str) -> Any:
    function = template.function(logical_id)
    region = template.ctx.region
    for name, event in function.events.items():
        kind = event["Type"]
        if kind == "Api":
            return _sample_api_event(function.api_paths)
        if kind == "SQS":
            source = next(s for s in sqs_event_sources(template) if s.function == logical_id and s.event_name == name)
            message = {"MessageId": str(uuid.uuid4()), "ReceiptHandle": "sample-receipt-handle", "Body": "{}",
                       "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0", "SenderId": "local"}}
            if source.fifo:
                message["Attributes"].update({"MessageGroupId": "sample", "MessageDeduplicationId": "sample"})
            return sqs_event([message], source, region)
        if kind in ("Schedule", "ScheduleV2"):
            source = next(s for s in schedule_sources(template) if s.function == logical_id and s.event_name == name)
            return scheduled_event(source, region)
    if function.function_url:
        request = events.HttpRequest("GET", "/", [("Host", "localhost"), ("User-Agent", "make-invoke")])
        return events.function_url_event(request, str(uuid.uuid4()))
    return {}


def _sample_api_event(api_paths: list[tuple[str, str]]) -> dict[str, Any]:
    resources = [events.ApiResource(path, method) for path, method in api_paths]
    proxy = next((r for r in resources if "{proxy+}" in r.path), resources[0])
    path = proxy.path.replace("{proxy+}", "health")
    request = events.HttpRequest("GET", path, [("Host", "localhost"), ("User-Agent", "make-invoke"),
                                               ("Accept", "application/json")])
    matched = events.match_resource(resources, path, "GET")
    resource, params = matched if matched else (proxy, {})
    return events.api_gateway_v1_event(request, resource, params, str(uuid.uuid4()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.localaws.runtime.invoke", description=__doc__.split("\n")[0])
    parser.add_argument("function", help="logical id in template.yaml, e.g. NightlyFunction")
    parser.add_argument("--event", type=Path, help="a JSON file with the event (default: a sample event)")
    parser.add_argument("--state-file", type=Path, help="the stack's state file (default: STATE_DIR/stack.json)")
    args = parser.parse_args(argv)

    template = Template(context=stack_context(args.state_file))
    settings = runtime_settings(args.state_file)
    events.configure(**settings)
    try:
        template.function(args.function)
    except KeyError:
        names = ", ".join(f.logical_id for f in template.functions())
        print(f"unknown function {args.function!r}; one of: {names}", file=sys.stderr)
        return 2
    event = json.loads(args.event.read_text(encoding="utf-8")) if args.event else sample_event(template, args.function)
    print(f"invoking {args.function} (AWS at {template.ctx.aws_endpoint}) with:\n{json.dumps(event, indent=2)}",
          file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="localaws-invoke-") as tmp:
        runtime = Runtime(template, template.ctx, workers_per_function=1, log_dir=Path(tmp), event_sources=False,
                          **settings)
        runtime.functions = {args.function: runtime.functions[args.function]}
        with runtime:
            outcome = runtime.invoke_raw(args.function, event)
            log_text = (Path(tmp) / f"{args.function}-0.log").read_text(errors="replace")
    if log_text.strip():
        print(f"--- {args.function} log ---\n{log_text.rstrip()}\n---", file=sys.stderr)
    print(json.dumps(outcome.payload, indent=2, default=str))
    return 1 if outcome.failed else 0


if __name__ == "__main__":
    sys.exit(main())
