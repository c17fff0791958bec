"""IAM in the running stack: a function's credentials reach what its role allows, and nothing else."""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from infra.localaws.runtime.spec import read_worker_spec

KEY = {"pk": {"S": "iam-test"}, "sk": {"S": "iam-test"}}


def _state(stack) -> dict:
    return json.loads((stack.state_dir / "stack.json").read_text(encoding="utf-8"))


def _dynamodb_as(stack, function: str):
    state = _state(stack)
    keys = state["context"]["function_credentials"][function]
    return boto3.session.Session().client(
        "dynamodb", endpoint_url=state["iam_endpoint"], region_name=stack.settings.region,
        aws_access_key_id=keys["AWS_ACCESS_KEY_ID"], aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=keys["AWS_SESSION_TOKEN"], config=Config(retries={"max_attempts": 1}))


def test_workers_run_with_their_roles_credentials_through_the_proxy(stack):
    state = _state(stack)
    assert state["iam_endpoint"]
    environment = read_worker_spec(stack.runtime.context_file, "UsersFunction").environment
    keys = state["context"]["function_credentials"]["UsersFunction"]
    assert environment["AWS_ACCESS_KEY_ID"] == keys["AWS_ACCESS_KEY_ID"]
    assert environment["AWS_ENDPOINT_URL"] == environment["AWS_ENDPOINT_URL_DYNAMODB"] == state["iam_endpoint"]
    assert keys != state["context"]["function_credentials"]["ProductsFunction"]


def test_a_functions_credentials_read_their_own_table(stack):
    users = _dynamodb_as(stack, "UsersFunction")
    table = stack.template.physical_name("UsersTable")
    assert "Item" not in users.get_item(TableName=table, Key=KEY)
    assert users.describe_table(TableName=table)["Table"]["TableName"] == table


def test_a_functions_credentials_are_denied_another_services_table(stack):
    users = _dynamodb_as(stack, "UsersFunction")
    products = stack.template.physical_name("ProductsTable")
    with pytest.raises(ClientError) as denied:
        users.get_item(TableName=products, Key=KEY)
    error = denied.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert "dynamodb:GetItem" in error["Message"] and stack.template.arn("ProductsTable") in error["Message"]
    assert "assumed-role/" in error["Message"] and "UsersFunctionRole" in error["Message"]
    with pytest.raises(ClientError) as denied:
        users.put_item(TableName=products, Item=KEY)
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
