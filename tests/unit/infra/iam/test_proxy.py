"""The authorizing proxy in front of a real moto_server: role credentials are checked, the operator's are not."""
from __future__ import annotations

import json
import sys
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from infra.localaws.iam.roles import ensure_roles, function_credentials
from infra.localaws.processes import ManagedProcess, free_ports, http_ok, port_open, wait_until
from infra.localaws.provision import boto_clients, provision
from infra.localaws.template import ROOT, LocalContext, Template

STACK = "iamsrv"
POLICY_TTL = 0.5


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    logs = tmp_path_factory.mktemp("iam")
    aws_port, proxy_port = free_ports(2)
    aws = f"http://127.0.0.1:{aws_port}"
    moto = ManagedProcess("moto", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(aws_port)],
                          logs / "moto.log", cwd=ROOT).start()
    proxy = ManagedProcess("iam_proxy", [sys.executable, "-m", "infra.localaws.iam.proxy", "--port", str(proxy_port),
                                         "--upstream", aws, "--policy-ttl", str(POLICY_TTL)],
                           logs / "proxy.log", cwd=ROOT)
    try:
        wait_until(lambda: http_ok(f"{aws}/moto-api/"), what="moto_server", timeout=30, process=moto)
        template = Template(context=LocalContext(stack_name=STACK, aws_endpoint=aws))
        operator = boto_clients(aws)
        provision(template, operator)
        proxy.start()
        wait_until(lambda: port_open(proxy_port), what="IAM proxy", timeout=30, process=proxy)
        yield {"template": template, "operator": operator, "proxy": f"http://127.0.0.1:{proxy_port}",
               "credentials": function_credentials(template, operator), "log": proxy.log_path}
    finally:
        proxy.stop()
        moto.stop()


def as_function(world, function: str, service: str):
    """A client of `service` with the function's role credentials, through the proxy."""
    keys = world["credentials"][function]
    return boto3.session.Session().client(
        service, endpoint_url=world["proxy"], region_name="us-east-1",
        aws_access_key_id=keys["AWS_ACCESS_KEY_ID"], aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=keys["AWS_SESSION_TOKEN"], config=Config(retries={"max_attempts": 1}))


def denied(call, *args, **kwargs) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value


KEY = {"pk": {"S": "p"}, "sk": {"S": "s"}}


def test_own_table_is_allowed_another_services_is_denied(world):
    t = world["template"]
    ddb = as_function(world, "UsersFunction", "dynamodb")
    ddb.put_item(TableName=t.physical_name("UsersTable"), Item=KEY)
    assert ddb.get_item(TableName=t.physical_name("UsersTable"), Key=KEY)["Item"] == KEY

    error = denied(ddb.get_item, TableName=t.physical_name("ProductsTable"), Key=KEY)
    assert error.response["Error"]["Code"] == "AccessDeniedException"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error.response["Error"]["Message"] == (
        f"User: arn:aws:sts::123456789012:assumed-role/{STACK}-UsersFunctionRole/{STACK}-UsersFunction "
        f"is not authorized to perform: dynamodb:GetItem on resource: {t.arn('ProductsTable')} "
        "because no identity-based policy allows the dynamodb:GetItem action")
    assert "dynamodb:GetItem" in world["log"].read_text()


def test_index_queries_and_transactions(world):
    t = world["template"]
    ddb = as_function(world, "ProductsFunction", "dynamodb")
    ddb.query(TableName=t.physical_name("ProductsTable"), IndexName="gsi1", KeyConditionExpression="gsi1pk = :p",
              ExpressionAttributeValues={":p": {"S": "x"}})
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": t.physical_name("ProductsTable"), "Item": KEY}}])
    error = denied(ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": t.physical_name("ProductsTable"), "Item": KEY}},
        {"Put": {"TableName": t.physical_name("OrdersTable"), "Item": KEY}}])
    assert error.response["Error"]["Code"] == "AccessDeniedException"
    assert f"dynamodb:PutItem on resource: {t.arn('OrdersTable')}" in error.response["Error"]["Message"]


def test_sqs_secrets_events_ssm(world):
    t = world["template"]
    sqs = as_function(world, "PaymentsWebhookFunction", "sqs")
    sqs.send_message(QueueUrl=t.queue_url("PaymentWebhooksQueue"), MessageBody="{}", MessageGroupId="g",
                     MessageDeduplicationId="d")
    error = denied(sqs.send_message, QueueUrl=t.queue_url("OrdersEventsQueue"), MessageBody="{}")
    assert error.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException")
    assert t.arn("OrdersEventsQueue") in error.response["Error"]["Message"]

    secrets = as_function(world, "UsersFunction", "secretsmanager")
    assert secrets.get_secret_value(SecretId=t.ref("ServiceAuthSecret"))["SecretString"]
    error = denied(secrets.get_secret_value, SecretId=t.ref("WebhookSecret"))
    assert error.response["Error"]["Code"] == "AccessDeniedException"

    entry = {"Source": "meridian.products", "DetailType": "product.changed", "Detail": "{}",
             "EventBusName": t.physical_name("PlatformEventBus")}
    assert as_function(world, "ProductsFunction", "events").put_events(Entries=[entry])["FailedEntryCount"] == 0
    error = denied(as_function(world, "ReservationSweepFunction", "events").put_events, Entries=[entry])
    assert error.response["Error"]["Code"] == "AccessDeniedException"

    if t.of_type("AWS::SSM::Parameter"):
        name = f"/{STACK}/api-base-url"
        if not world["operator"]("ssm").get_parameters(Names=[name])["Parameters"]:
            world["operator"]("ssm").put_parameter(Name=name, Value="http://x", Type="String")
        assert as_function(world, "UsersFunction", "ssm").get_parameter(Name=name)["Parameter"]["Value"]
        error = denied(as_function(world, "ReservationSweepFunction", "ssm").get_parameter, Name=name)
        assert error.response["Error"]["Code"] == "AccessDeniedException"


def test_ses_and_sts_query_protocol(world):
    t = world["template"]
    message = {"Source": t.parameter("EmailSender"), "Destination": {"ToAddresses": ["shopper@example.test"]},
               "Message": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}}
    assert as_function(world, "OrderEmailFunction", "ses").send_email(**message)["MessageId"]
    error = denied(as_function(world, "OrdersFunction", "ses").send_email, **message)
    assert error.response["Error"]["Code"] == "AccessDenied"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "ses:SendEmail on resource: arn:aws:ses:us-east-1:123456789012:identity/" in \
        error.response["Error"]["Message"]

    sts = as_function(world, "UsersFunction", "sts")
    assert sts.get_caller_identity()["Arn"].endswith(f":assumed-role/{STACK}-UsersFunctionRole/{STACK}-UsersFunction")
    error = denied(sts.assume_role, RoleArn=f"arn:aws:iam::123456789012:role/{STACK}-AdminFunctionRole",
                   RoleSessionName="escalate")
    assert error.response["Error"]["Code"] == "AccessDenied"


def test_operator_credentials_pass_unknown_temporary_ones_do_not(world):
    t = world["template"]
    operator = boto3.session.Session().client("dynamodb", endpoint_url=world["proxy"], region_name="us-east-1",
                                              aws_access_key_id="test", aws_secret_access_key="test")
    operator.get_item(TableName=t.physical_name("ProductsTable"), Key=KEY)
    assert operator.list_tables()["TableNames"]
    stranger = boto3.session.Session().client(
        "dynamodb", endpoint_url=world["proxy"], region_name="us-east-1", aws_access_key_id="ASIANOTISSUEDBYSTS",
        aws_secret_access_key="x", aws_session_token="y", config=Config(retries={"max_attempts": 1}))
    assert denied(stranger.list_tables).response["Error"]["Code"] == "AccessDeniedException"


def test_unmapped_calls_are_denied_for_roles(world):
    ddb = as_function(world, "UsersFunction", "dynamodb")
    error = denied(ddb.execute_statement, Statement=f'SELECT * FROM "{world["template"].physical_name("UsersTable")}"')
    assert error.response["Error"]["Code"] == "AccessDeniedException"
    assert "teach infra/localaws/iam/actions.py" in error.response["Error"]["Message"]


def test_a_removed_statement_takes_effect(world):
    t, iam = world["template"], world["operator"]("iam")
    role = f"{STACK}-AdminAuditFunctionRole"
    name, original = next((n, document) for n in iam.list_role_policies(RoleName=role)["PolicyNames"]
                          if "dynamodb:" in json.dumps(document := iam.get_role_policy(RoleName=role, PolicyName=n)
                                                       ["PolicyDocument"]))
    ddb = as_function(world, "AdminAuditFunction", "dynamodb")
    ddb.get_item(TableName=t.physical_name("AdminTable"), Key=KEY)
    read_only = {**original, "Statement": [{**original["Statement"][0], "Action": ["dynamodb:PutItem"]}]}
    iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(read_only))
    try:
        time.sleep(POLICY_TTL)   # the proxy reads a role's policies again after --policy-ttl
        assert denied(ddb.get_item, TableName=t.physical_name("AdminTable"), Key=KEY).response["Error"]["Code"] == \
            "AccessDeniedException"
    finally:
        ensure_roles(t, world["operator"])   # re-provisioning restores the template's policy
    time.sleep(POLICY_TTL)
    ddb.get_item(TableName=t.physical_name("AdminTable"), Key=KEY)


def test_many_calls_in_a_row_from_one_client(world):
    ddb = as_function(world, "UsersFunction", "dynamodb")
    table = world["template"].physical_name("UsersTable")
    for i in range(50):
        ddb.put_item(TableName=table, Item={"pk": {"S": f"p{i}"}, "sk": {"S": "s"}})
    assert ddb.scan(TableName=table, Select="COUNT")["Count"] >= 50
