"""Unit tests: moto in-process, tables/queues/secrets provisioned from template.yaml.

`aws` gives a provisioned in-process AWS, with API_BASE_URL_PARAMETER naming its SSM
parameter: the API's base URL is `API_BASE_URL` (http://services.test/Prod, its stage
included, as on AWS). `load_function("ProductsFunction")` imports a function's handler module
with exactly the environment template.yaml gives it.
"""
from __future__ import annotations

import importlib
import sys

import boto3
import pytest
from moto import mock_aws

from infra.moto_atomic import make_dynamodb_writes_atomic, restore
from infra.provision import provision
from infra.template import LocalContext, Template

API_BASE_URL = "http://services.test/Prod"   # the SSM parameter's value: the template's API URL, locally
SERVICE_PACKAGES = ("auth", "users", "products", "orders", "payments", "localization", "admin")


@pytest.fixture
def template() -> Template:
    return Template(context=LocalContext(stack_name="unit", aws_endpoint="https://sqs.us-east-1.amazonaws.com",
                                         api_base_url=API_BASE_URL))


@pytest.fixture
def aws(template, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    replaced = make_dynamodb_writes_atomic()
    with mock_aws():
        provision(template, lambda service: boto3.client(service, region_name="us-east-1"))
        from meridian import aws as meridian_aws
        from meridian import resilience, shopper

        meridian_aws.client.cache_clear()
        meridian_aws.forget_secrets()
        meridian_aws.forget_parameters()
        monkeypatch.setenv("API_BASE_URL_PARAMETER", _base_url_parameter(template))
        resilience.reset_breakers()
        shopper.forget()
        yield template
    restore(replaced)


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
        if code not in sys.path:
            sys.path.insert(0, code)
            loaded_paths.append(code)
        module_name, attr = spec.handler.rsplit(".", 1)
        module = importlib.import_module(module_name)
        return getattr(module, attr)

    yield load
    _purge_service_modules()
    for path in loaded_paths:
        if path in sys.path:
            sys.path.remove(path)
