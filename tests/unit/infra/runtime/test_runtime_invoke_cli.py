"""`make invoke FN=…` (python -m infra.localaws.runtime.invoke): sample events and one real run."""
from __future__ import annotations

import json

from infra.localaws.build import BUILD_DIR, ensure_built
from infra.localaws.runtime import invoke
from infra.localaws.template import LocalContext, Template

from .conftest import AS_THE_HARNESS


def template():
    return Template(context=LocalContext(stack_name="cli"))


def test_sample_event_of_an_api_function_is_a_get_of_its_health():
    event = invoke.sample_event(template(), "ProductsFunction")
    assert event["httpMethod"] == "GET" and event["path"] == "/api/v1/products/health"
    assert event["resource"] == "/api/v1/products/{proxy+}" and event["pathParameters"] == {"proxy": "health"}


def test_sample_event_of_an_sqs_function_is_one_record_from_its_queue():
    event = invoke.sample_event(template(), "PaymentsEventProcessorFunction")
    (record,) = event["Records"]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == "arn:aws:sqs:us-east-1:123456789012:cli-payment-webhooks.fifo"
    assert record["attributes"]["MessageGroupId"] == "sample"


def test_sample_event_of_a_scheduled_function():
    event = invoke.sample_event(template(), "FxRefreshFunction")
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"


def test_sample_event_of_a_function_url():
    event = invoke.sample_event(template(), "PaymentsWebhookFunction")
    assert event["version"] == "2.0" and event["requestContext"]["http"]["method"] == "GET"


def test_stack_context_comes_from_the_state_file(tmp_path):
    state = tmp_path / "stack.json"
    state.write_text(json.dumps({"aws_endpoint": "http://127.0.0.1:4999",
                                 "context": {"stack_name": "mine", "api_base_url": "http://127.0.0.1:8999",
                                             "unknown_field": 1}}))
    context = invoke.stack_context(state)
    assert (context.stack_name, context.aws_endpoint, context.api_base_url) == \
        ("mine", "http://127.0.0.1:4999", "http://127.0.0.1:8999")
    missing = invoke.stack_context(tmp_path / "absent.json")
    assert missing.aws_endpoint.startswith("http://127.0.0.1:")


def test_invoke_runs_the_function_once_in_a_worker(tmp_path, capsys):
    ensure_built()  # the worker runs the deployment package
    state = tmp_path / "stack.json"
    state.write_text(json.dumps({"aws_endpoint": "http://127.0.0.1:9",
                                 "context": {"stack_name": "cli", "build_dir": str(BUILD_DIR)},
                                 "settings": AS_THE_HARNESS}))
    assert invoke.main(["ProductsFunction", "--state-file", str(state)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["statusCode"] == 200 and json.loads(result["body"])["service"] == "products"


def test_invoke_with_a_failing_event_file_and_an_unknown_function(tmp_path, capsys):
    ensure_built()
    state = tmp_path / "stack.json"
    state.write_text(json.dumps({"aws_endpoint": "http://127.0.0.1:9",
                                 "context": {"stack_name": "cli", "build_dir": str(BUILD_DIR)},
                                 "settings": AS_THE_HARNESS}))
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"httpMethod": "GET", "path": "/api/v1/products/nope", "headers": {}}))
    # not a full API Gateway event: Chalice raises, and the CLI prints Lambda's error document and exits 1
    assert invoke.main(["ProductsFunction", "--event", str(event), "--state-file", str(state)]) == 1
    assert json.loads(capsys.readouterr().out)["errorType"] == "KeyError"
    assert invoke.main(["NoSuchFunction", "--state-file", str(state)]) == 2
