"""Execution roles in the local IAM (moto in-process) and each function's AssumeRole credentials."""
from __future__ import annotations

import copy

import boto3
import pytest
from moto import mock_aws

from infra.localaws.iam.roles import ensure_roles, execution_roles, function_credentials
from infra.localaws.template import LocalContext, Template, load_yaml


def _client(service: str):
    return boto3.client(service, region_name="us-east-1")


@pytest.fixture
def iam_world():
    with mock_aws():
        yield Template(context=LocalContext(stack_name="unit"))


def test_every_function_gets_its_role_with_sams_policies(iam_world):
    template = iam_world
    ensure_roles(template, _client)
    iam = _client("iam")
    role = iam.get_role(RoleName="unit-OrdersFunctionRole")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": ["lambda.amazonaws.com"]}
    names = iam.list_role_policies(RoleName="unit-OrdersFunctionRole")["PolicyNames"]
    assert names == sorted(execution_roles(template)["OrdersFunction"].policies)
    documents = [iam.get_role_policy(RoleName="unit-OrdersFunctionRole", PolicyName=n)["PolicyDocument"]
                 for n in names]
    resources = [s["Resource"] for d in documents for s in d["Statement"]]
    assert ["arn:aws:dynamodb:us-east-1:123456789012:table/unit-orders",
            "arn:aws:dynamodb:us-east-1:123456789012:table/unit-orders/index/*"] in resources
    assert len(iam.list_roles()["Roles"]) == len(template.functions())


def test_reprovisioning_updates_and_removes_policies(iam_world):
    template = iam_world
    ensure_roles(template, _client)
    iam = _client("iam")
    before = iam.list_role_policies(RoleName="unit-AuthFunctionRole")["PolicyNames"]

    document = copy.deepcopy(load_yaml())
    policies = document["Resources"]["AuthFunction"]["Properties"]["Policies"]
    policies[:] = [p for p in policies if "Statement" not in p]          # the PutSecretValue statement goes
    ensure_roles(Template(document, template.ctx), _client)
    after = iam.list_role_policies(RoleName="unit-AuthFunctionRole")["PolicyNames"]
    assert len(after) == len(before) - 1
    statements = [s for n in after
                  for s in iam.get_role_policy(RoleName="unit-AuthFunctionRole", PolicyName=n)["PolicyDocument"][
                      "Statement"]]
    assert not any("secretsmanager:PutSecretValue" in s["Action"] for s in statements)


def test_each_function_assumes_its_own_role(iam_world):
    template = iam_world
    ensure_roles(template, _client)
    credentials = function_credentials(template, _client)
    assert set(credentials) == {f.logical_id for f in template.functions()}
    users = credentials["UsersFunction"]
    assert users["AWS_ACCESS_KEY_ID"].startswith("ASIA") and users["AWS_SESSION_TOKEN"]
    sts = boto3.client("sts", region_name="us-east-1", aws_access_key_id=users["AWS_ACCESS_KEY_ID"],
                       aws_secret_access_key=users["AWS_SECRET_ACCESS_KEY"],
                       aws_session_token=users["AWS_SESSION_TOKEN"])
    assert sts.get_caller_identity()["Arn"] == \
        "arn:aws:sts::123456789012:assumed-role/unit-UsersFunctionRole/unit-UsersFunction"
