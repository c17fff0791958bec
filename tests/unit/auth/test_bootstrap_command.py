"""infra/harness/create_admin.py (`make create-admin`): password handling, finding the function, invoking it."""
import io
import json

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from infra.harness import create_admin as command

SECRET = "a long and unlikely passphrase 7"


def streaming(payload) -> StreamingBody:
    raw = json.dumps(payload).encode()
    return StreamingBody(io.BytesIO(raw), len(raw))


@pytest.fixture
def lam(monkeypatch):
    client = boto3.client("lambda", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    monkeypatch.setattr(command, "lambda_client", lambda **kw: client)
    with stubber:
        yield stubber


@pytest.fixture
def cfn(monkeypatch):
    client = boto3.client("cloudformation", region_name="eu-west-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    stubber = Stubber(client)
    real = command.function_from_stack
    monkeypatch.setattr(command, "function_from_stack", lambda stack, region=None, client=None: real(
        stack, region, client=client or stubber.client))
    with stubber:
        yield stubber


def stack_answer(outputs):
    return {"Stacks": [{"StackName": "meridian", "CreationTime": "2025-01-01T00:00:00Z",
                        "StackStatus": "CREATE_COMPLETE",
                        "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()]}]}


def test_password_from_the_environment_or_typed_twice():
    assert command.read_password({"ADMIN_PASSWORD": SECRET}) == SECRET
    typed = iter([SECRET, SECRET])
    assert command.read_password({}, prompt=lambda _: next(typed), interactive=True) == SECRET
    differing = iter([SECRET, SECRET + "x"])
    with pytest.raises(command.CommandError) as error:
        command.read_password({}, prompt=lambda _: next(differing), interactive=True)
    assert error.value.status == 2
    with pytest.raises(command.CommandError, match="ADMIN_PASSWORD"):
        command.read_password({}, interactive=False)


def test_finds_the_function_in_the_stack_outputs_and_invokes_it_once(lam, cfn, monkeypatch, capsys):
    monkeypatch.setenv("ADMIN_PASSWORD", SECRET)
    cfn.add_response("describe_stacks", stack_answer({"BootstrapFunctionName": "meridian-Boot-1",
                                                      "ApiUrl": "https://abc.execute-api.eu-west-1.amazonaws.com/Prod"}),
                     {"StackName": "meridian"})
    result = {"user_id": "u1", "email": "boss@example.com", "role": "super_admin", "promoted": False}
    lam.add_response("invoke", {"StatusCode": 200, "Payload": streaming(result)},
                     {"FunctionName": "meridian-Boot-1", "InvocationType": "RequestResponse", "Payload": ANY})
    assert command.main(["--email", "boss@example.com", "--stack", "meridian", "--region", "eu-west-1"]) == 0
    out = capsys.readouterr()
    printed = json.loads(out.out)
    assert printed["user_id"] == "u1"
    assert printed["login_url"] == "https://abc.execute-api.eu-west-1.amazonaws.com/Prod/api/v1/auth/login"
    assert SECRET not in out.out + out.err


def test_the_event_carries_the_password_and_the_options(lam):
    sent = {}

    def capture(params, **kwargs):
        sent.update(json.loads(params["Payload"]))

    lam.client.meta.events.register("before-parameter-build.lambda.Invoke", capture)
    lam.add_response("invoke", {"StatusCode": 200, "Payload": streaming({"user_id": "u", "email": "e",
                                                                         "role": "super_admin"})})
    command.create_admin("boss@example.com", SECRET, name="Boss", promote_existing=True, function_name="fn")
    assert sent == {"email": "boss@example.com", "password": SECRET, "name": "Boss", "promote_existing": True}


def test_a_refusal_exits_non_zero(lam, monkeypatch, capsys):
    monkeypatch.setenv("ADMIN_PASSWORD", SECRET)
    lam.add_response("invoke", {"StatusCode": 200, "Payload": streaming(
        {"error": "super_admin_exists", "message": "The first super_admin of this stack was already created."})})
    assert command.main(["--email", "boss@example.com", "--function-name", "fn"]) == 1
    assert "already created" in capsys.readouterr().err


def test_a_function_error_exits_non_zero_without_echoing_the_event(lam, monkeypatch, capsys):
    monkeypatch.setenv("ADMIN_PASSWORD", SECRET)
    lam.add_response("invoke", {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": streaming(
        {"errorType": "AccessDeniedException", "errorMessage": "not allowed to write the table"})})
    assert command.main(["--email", "boss@example.com", "--function-name", "fn"]) == 1
    err = capsys.readouterr().err
    assert "AccessDeniedException" in err and SECRET not in err


def test_a_stack_without_the_output_says_what_to_do(cfn, monkeypatch, capsys):
    monkeypatch.setenv("ADMIN_PASSWORD", SECRET)
    cfn.add_response("describe_stacks", stack_answer({"ApiUrl": "https://x"}))
    assert command.main(["--email", "boss@example.com", "--stack", "old"]) == 1
    assert "BootstrapFunctionName" in capsys.readouterr().err


def test_no_target_is_a_usage_error(monkeypatch, capsys):
    monkeypatch.setenv("ADMIN_PASSWORD", SECRET)
    assert command.main(["--email", "boss@example.com"]) == 2
    assert "--stack" in capsys.readouterr().err


def test_local_needs_a_running_stack_that_records_invoke_endpoints(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ADMIN_PASSWORD", SECRET)
    state = tmp_path / "stack.json"
    assert command.main(["--email", "b@example.com", "--local", "--state-file", str(state)]) == 1
    assert "make up" in capsys.readouterr().err
    state.write_text(json.dumps({"status": "up", "upstreams": {}}))
    assert command.main(["--email", "b@example.com", "--local", "--state-file", str(state)]) == 1
    assert "restart" in capsys.readouterr().err
    state.write_text(json.dumps({"settings": {"region": "eu-west-1"},
                                 "invoke_endpoints": {"AuthBootstrapFunction": ["http://127.0.0.1:1"]}}))
    assert command.local_target(state) == ("http://127.0.0.1:1", "AuthBootstrapFunction", "eu-west-1")
