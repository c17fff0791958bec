"""Unit tests: moto in-process, tables/queues/secrets provisioned from template.yaml.

`aws` gives a provisioned in-process AWS, with API_BASE_URL_PARAMETER naming its SSM
parameter: the API's base URL is `API_BASE_URL` (http://services.test/Prod, its stage
included, as on AWS). `load_function("ProductsFunction")` imports a function's handler module
with exactly the environment template.yaml gives it.

moto's DynamoDB does not lock between threads (two writers can both pass one condition), so a
test that races concurrent writers is marked `@pytest.mark.dynamodb_local`: its DynamoDB is
AWS's DynamoDB Local (infra/localaws/dynamodb_local, one per test session, started on a free port on
first use), reached through AWS_ENDPOINT_URL_DYNAMODB by boto3 and by the services' PynamoDB
models; every other AWS API stays moto in-process. Its tables are created for the test and
dropped after it.
"""
from __future__ import annotations

import copy
import functools
import importlib
import os
import sys

import boto3
import pytest
from moto import mock_aws

from infra.localaws.processes import ManagedProcess, free_ports, wait_until
from infra.localaws.provision import provision
from infra.localaws.template import LocalContext, Template, load_yaml

API_BASE_URL = "http://services.test/Prod"   # the SSM parameter's value: the template's API URL, locally
SERVICE_PACKAGES = ("auth", "users", "products", "orders", "payments", "localization", "admin", "webhooks")


def pytest_configure(config):
    config.addinivalue_line("markers", "dynamodb_local: DynamoDB is AWS's DynamoDB Local (a real engine, for "
                                       "tests that race concurrent writers); the other AWS APIs stay moto")


@pytest.fixture(autouse=True)
def _execution_env(monkeypatch):
    """Each Chalice app appends " aws-chalice/<version>" to AWS_EXECUTION_ENV, and the tests make hundreds: botocore
    puts it in every User-Agent (exec-env/…), which outgrew DynamoDB Local's 8 KB header limit (431) late in a
    run. Each test starts from Lambda's value and leaves the environment as it found it."""
    monkeypatch.setenv("AWS_EXECUTION_ENV", "AWS_Lambda_python3.11")


def _dynamodb_local_client(endpoint: str):
    return boto3.session.Session(aws_access_key_id="unit", aws_secret_access_key="unit").client(
        "dynamodb", endpoint_url=endpoint, region_name="us-east-1")


@pytest.fixture(scope="session")
def dynamodb_local(tmp_path_factory) -> str:
    """AWS DynamoDB Local on a free port, for the whole session (started on first use): its endpoint."""
    from infra.localaws import dynamodb_local as engine

    folder = tmp_path_factory.mktemp("dynamodb-local")
    port = free_ports(1)[0]
    endpoint = f"http://127.0.0.1:{port}"
    process = ManagedProcess("dynamodb-local", engine.command(port, folder / "data"), folder / "dynamodb.log")
    client = _dynamodb_local_client(endpoint)

    def answers() -> bool:
        try:
            client.list_tables(Limit=1)
            return True
        except Exception:
            return False

    process.start()
    try:
        wait_until(answers, what="DynamoDB Local", timeout=120, process=process, interval=0.2)
        yield endpoint
    finally:
        process.stop()


def _drop_tables(endpoint: str) -> None:
    client = _dynamodb_local_client(endpoint)
    for name in client.list_tables()["TableNames"]:
        client.delete_table(TableName=name)


_CLIENTS: dict[tuple, object] = {}


def _reused(make, service: str):
    """A client made once per worker for each service and endpoint (making one costs ~35 ms; provisioning and a
    test's functions make dozens). moto intercepts every botocore client, whenever it was made, while a mock is
    active; a DynamoDB Local test's endpoint is part of the key."""
    key = (make, service, os.environ.get("AWS_ENDPOINT_URL"), os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"))
    if key not in _CLIENTS:
        _CLIENTS[key] = make(service)
    return _CLIENTS[key]


def _provisioning_client(service: str):
    return boto3.client(service, region_name="us-east-1")


@functools.cache
def _template_document() -> dict:
    return load_yaml()      # parsed once per worker (~0.2 s a parse); each test gets its own copy


@pytest.fixture
def template() -> Template:
    return Template(copy.deepcopy(_template_document()), context=LocalContext(
        stack_name="unit", aws_endpoint="https://sqs.us-east-1.amazonaws.com", api_base_url=API_BASE_URL))


@pytest.fixture
def aws(template, monkeypatch, request):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    dynamodb_endpoint = None
    if request.node.get_closest_marker("dynamodb_local"):
        dynamodb_endpoint = request.getfixturevalue("dynamodb_local")
        _drop_tables(dynamodb_endpoint)
        # boto3 clients read it when they are made, the services' models when they are imported
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_endpoint)
    with mock_aws():
        provision(template, lambda service: _reused(_provisioning_client, service), roles=False)
        from meridian import aws as meridian_aws
        from meridian import locales, resilience, shopper

        make = meridian_aws.client.__wrapped__         # functools.cache's function: a fresh client
        monkeypatch.setattr(meridian_aws, "client", lambda service: _reused(make, service))
        meridian_aws.forget_secrets()
        meridian_aws.forget_parameters()
        monkeypatch.setenv("API_BASE_URL_PARAMETER", _base_url_parameter(template))
        resilience.reset_breakers()
        shopper.forget()
        locales.use_static(locales.SEED)   # as fx.use_static: no call to localization unless a test asks
        yield template
        locales.reset()
    if dynamodb_endpoint:
        _drop_tables(dynamodb_endpoint)


@pytest.fixture
def aws_calls(monkeypatch) -> list[tuple[str, str]]:
    """Every AWS API call made from now on, as (service, operation): boto3's and pynamodb's alike
    (both go through botocore's BaseClient._make_api_call)."""
    import botocore.client

    calls: list[tuple[str, str]] = []
    original = botocore.client.BaseClient._make_api_call

    def recording(client, operation_name, api_params):
        calls.append((client.meta.service_model.service_name, operation_name))
        return original(client, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    return calls


def _base_url_parameter(template: Template) -> str:
    """The name every function finds the API's base URL under (Globals: API_BASE_URL_PARAMETER)."""
    env = template.doc["Globals"]["Function"]["Environment"]["Variables"]
    name = template.resolve(env["API_BASE_URL_PARAMETER"])
    value = boto3.client("ssm", region_name="us-east-1").get_parameter(Name=name)["Parameter"]["Value"]
    assert value == API_BASE_URL, value
    return name


def _purge_service_modules() -> None:
    for name in list(sys.modules):
        root = name.split(".")[0]
        if root in SERVICE_PACKAGES or root in ("app", "handlers"):
            del sys.modules[name]


@pytest.fixture
def load_function(aws, monkeypatch):
    """Import a function's module (app.py or handlers.py) with its template environment."""
    loaded_paths: list[str] = []

    def load(logical_id: str):
        spec = aws.function(logical_id)
        for key, value in spec.environment.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", logical_id)
        _purge_service_modules()
        code = str(spec.code_uri)
        if code in sys.path:
            sys.path.remove(code)     # first on the path: another function's app.py must never be found before it
        else:
            loaded_paths.append(code)
        sys.path.insert(0, code)
        module_name, attr = spec.handler.rsplit(".", 1)
        module = importlib.import_module(module_name)
        return getattr(module, attr)

    yield load
    _purge_service_modules()
    for path in loaded_paths:
        if path in sys.path:
            sys.path.remove(path)
