"""Requests as boto3 really serializes them → the IAM action(s) and resource(s) they need."""
from __future__ import annotations

import base64
from functools import cache
from urllib.parse import urlsplit

import boto3
import pytest

from infra.localaws.iam.actions import Access, Arns, Unmapped, credential, parse_call, required_access

ACCOUNT = "123456789012"
ARNS = Arns("eu-west-1", ACCOUNT)
TABLE = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table"
_SESSION = boto3.session.Session()


class Captured(Exception):
    def __init__(self, request):
        super().__init__("captured")
        self.request = request


def _capture(request, **_):
    raise Captured(request)


@cache
def _client(service: str):
    client = _SESSION.client(service, region_name="eu-west-1", endpoint_url="http://aws.test:4566",
                             aws_access_key_id="ASIAEXAMPLEKEY", aws_secret_access_key="secret",
                             aws_session_token="token")
    client.meta.events.register("before-send", _capture)
    return client


def _request(service: str, operation: str, **params):
    client = _client(service)
    with pytest.raises(Captured) as caught:
        getattr(client, operation)(**params)
    return caught.value.request


def parsed(service: str, operation: str, **params):
    request = _request(service, operation, **params)
    url = urlsplit(request.url)
    headers = {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
    body = request.body or b""
    body = body.encode() if isinstance(body, str) else body
    scope = credential(headers, url.query)
    assert scope is not None and scope.access_key == "ASIAEXAMPLEKEY" and scope.region == "eu-west-1"
    return parse_call(request.method, url.path, url.query, headers, body, scope)


def needs(service: str, operation: str, **params) -> list[tuple[str, str]]:
    return [(a.action, a.resource) for a in required_access(parsed(service, operation, **params), ARNS)]


# ---------------------------------------------------------------------- DynamoDB (JSON 1.0)
def test_dynamodb_item_calls_need_their_table():
    key = {"pk": {"S": "a"}, "sk": {"S": "b"}}
    assert needs("dynamodb", "put_item", TableName="orders", Item=key) == [("dynamodb:PutItem", f"{TABLE}/orders")]
    assert needs("dynamodb", "get_item", TableName="orders", Key=key) == [("dynamodb:GetItem", f"{TABLE}/orders")]
    assert needs("dynamodb", "describe_table", TableName="orders") == [("dynamodb:DescribeTable", f"{TABLE}/orders")]


def test_query_and_scan_on_an_index_need_the_index():
    assert needs("dynamodb", "query", TableName="products", IndexName="gsi1",
                 KeyConditionExpression="gsi1pk = :p", ExpressionAttributeValues={":p": {"S": "x"}}) == [
        ("dynamodb:Query", f"{TABLE}/products/index/gsi1")]
    assert needs("dynamodb", "scan", TableName="products", IndexName="gsi2") == [
        ("dynamodb:Scan", f"{TABLE}/products/index/gsi2")]
    assert needs("dynamodb", "scan", TableName="products") == [("dynamodb:Scan", f"{TABLE}/products")]


def test_batches_need_the_action_on_every_table():
    item = {"pk": {"S": "a"}}
    assert needs("dynamodb", "batch_write_item", RequestItems={
        "a": [{"PutRequest": {"Item": item}}], "b": [{"DeleteRequest": {"Key": item}}]}) == [
        ("dynamodb:BatchWriteItem", f"{TABLE}/a"), ("dynamodb:BatchWriteItem", f"{TABLE}/b")]
    assert needs("dynamodb", "batch_get_item", RequestItems={"a": {"Keys": [item]}}) == [
        ("dynamodb:BatchGetItem", f"{TABLE}/a")]


def test_transactions_need_each_items_own_action():
    key = {"pk": {"S": "a"}}
    assert needs("dynamodb", "transact_write_items", TransactItems=[
        {"Put": {"TableName": "a", "Item": key}},
        {"Update": {"TableName": "b", "Key": key, "UpdateExpression": "SET x = :x",
                    "ExpressionAttributeValues": {":x": {"S": "1"}}}},
        {"Delete": {"TableName": "a", "Key": key}},
        {"ConditionCheck": {"TableName": "c", "Key": key, "ConditionExpression": "attribute_exists(pk)"}},
        {"Put": {"TableName": "a", "Item": {"pk": {"S": "z"}}}},
    ]) == [("dynamodb:PutItem", f"{TABLE}/a"), ("dynamodb:UpdateItem", f"{TABLE}/b"),
           ("dynamodb:DeleteItem", f"{TABLE}/a"), ("dynamodb:ConditionCheckItem", f"{TABLE}/c")]
    assert needs("dynamodb", "transact_get_items", TransactItems=[{"Get": {"TableName": "a", "Key": key}}]) == [
        ("dynamodb:GetItem", f"{TABLE}/a")]


def test_a_table_arn_stays_as_given_and_list_tables_is_account_wide():
    arn = f"{TABLE}/orders"
    assert needs("dynamodb", "describe_table", TableName=arn) == [("dynamodb:DescribeTable", arn)]
    assert needs("dynamodb", "list_tables") == [("dynamodb:ListTables", "*")]


def test_partiql_is_not_mapped():
    with pytest.raises(Unmapped):
        needs("dynamodb", "execute_statement", Statement="SELECT * FROM orders")


# ---------------------------------------------------------------------- Secrets Manager (JSON 1.1)
def test_secrets_by_arn_or_name():
    arn = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:meridian/platform/service-auth"
    assert needs("secretsmanager", "get_secret_value", SecretId=arn) == [("secretsmanager:GetSecretValue", arn)]
    assert needs("secretsmanager", "get_secret_value", SecretId="meridian/platform/service-auth") == [
        ("secretsmanager:GetSecretValue", arn)]
    assert needs("secretsmanager", "put_secret_value", SecretId=arn, SecretString="x") == [
        ("secretsmanager:PutSecretValue", arn)]


# ---------------------------------------------------------------------- SQS (boto3 speaks JSON to SQS)
def test_sqs_calls_need_the_queue_of_their_url():
    url = f"http://127.0.0.1:4566/{ACCOUNT}/meridian-order-email"
    call = parsed("sqs", "send_message", QueueUrl=url, MessageBody="{}")
    assert call.protocol == "json" and call.action == "sqs:SendMessage"
    queue = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:meridian-order-email"
    assert needs("sqs", "send_message", QueueUrl=url, MessageBody="{}") == [("sqs:SendMessage", queue)]
    assert needs("sqs", "send_message_batch", QueueUrl=url,
                 Entries=[{"Id": "1", "MessageBody": "{}"}]) == [("sqs:SendMessage", queue)]
    assert needs("sqs", "delete_message_batch", QueueUrl=url,
                 Entries=[{"Id": "1", "ReceiptHandle": "r"}]) == [("sqs:DeleteMessage", queue)]
    assert needs("sqs", "receive_message", QueueUrl=url) == [("sqs:ReceiveMessage", queue)]
    assert needs("sqs", "get_queue_attributes", QueueUrl=url, AttributeNames=["All"]) == [
        ("sqs:GetQueueAttributes", queue)]
    assert needs("sqs", "get_queue_url", QueueName="meridian-order-email") == [("sqs:GetQueueUrl", queue)]


# ---------------------------------------------------------------------- EventBridge
def test_put_events_needs_every_entrys_bus():
    other = f"arn:aws:events:eu-west-1:{ACCOUNT}:event-bus/other"
    entries = [{"Source": "s", "DetailType": "d", "Detail": "{}", "EventBusName": "meridian-platform"},
               {"Source": "s", "DetailType": "d", "Detail": "{}", "EventBusName": other},
               {"Source": "s", "DetailType": "d", "Detail": "{}"}]
    assert needs("events", "put_events", Entries=entries) == [
        ("events:PutEvents", f"arn:aws:events:eu-west-1:{ACCOUNT}:event-bus/meridian-platform"),
        ("events:PutEvents", other),
        ("events:PutEvents", f"arn:aws:events:eu-west-1:{ACCOUNT}:event-bus/default")]


# ---------------------------------------------------------------------- SSM
def test_parameters_drop_the_leading_slash():
    arn = f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/meridian/api-base-url"
    assert needs("ssm", "get_parameter", Name="/meridian/api-base-url") == [("ssm:GetParameter", arn)]
    assert needs("ssm", "get_parameters", Names=["/meridian/api-base-url", "plain"]) == [
        ("ssm:GetParameters", arn), ("ssm:GetParameters", f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/plain")]
    assert needs("ssm", "get_parameters_by_path", Path="/meridian") == [
        ("ssm:GetParametersByPath", f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/meridian")]


# ---------------------------------------------------------------------- SES and STS (query protocol)
def test_send_email_needs_the_senders_identity():
    call = parsed("ses", "send_email", Source="Meridian <no-reply@meridian.example.com>",
                  Destination={"ToAddresses": ["a@b.test"]},
                  Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}})
    assert call.protocol == "query" and call.action == "ses:SendEmail"
    identity = f"arn:aws:ses:eu-west-1:{ACCOUNT}:identity/no-reply@meridian.example.com"
    assert required_access(call, ARNS) == [Access("ses:SendEmail", identity)]
    raw = b"From: Meridian <no-reply@meridian.example.com>\r\nTo: a@b.test\r\nSubject: s\r\n\r\nbody"
    assert needs("ses", "send_raw_email", RawMessage={"Data": raw}) == [("ses:SendRawEmail", identity)]
    assert base64.b64encode(raw)  # botocore base64-encodes RawMessage.Data; the mapper decodes it


def test_ses_identity_calls():
    assert needs("ses", "get_identity_verification_attributes", Identities=["x@y.test", "y.test"]) == [
        ("ses:GetIdentityVerificationAttributes", f"arn:aws:ses:eu-west-1:{ACCOUNT}:identity/x@y.test"),
        ("ses:GetIdentityVerificationAttributes", f"arn:aws:ses:eu-west-1:{ACCOUNT}:identity/y.test")]
    assert needs("ses", "verify_email_identity", EmailAddress="x@y.test") == [
        ("ses:VerifyEmailIdentity", f"arn:aws:ses:eu-west-1:{ACCOUNT}:identity/x@y.test")]


def test_sts():
    assert needs("sts", "get_caller_identity") == [("sts:GetCallerIdentity", "*")]
    role = f"arn:aws:iam::{ACCOUNT}:role/other"
    assert needs("sts", "assume_role", RoleArn=role, RoleSessionName="session") == [("sts:AssumeRole", role)]


# ---------------------------------------------------------------------- what is not mapped
def test_rest_protocols_and_unknown_services_are_not_mapped():
    with pytest.raises(Unmapped, match="REST"):
        needs("lambda", "invoke", FunctionName="f")
    with pytest.raises(Unmapped):
        needs("events", "put_rule", Name="r", ScheduleExpression="rate(1 minute)")
    with pytest.raises(Unmapped):
        needs("iam", "list_roles")


def test_credential_of_a_presigned_url_and_of_nothing():
    scope = credential({}, "X-Amz-Credential=ASIAKEY%2F20250101%2Fus-east-1%2Fsqs%2Faws4_request&X-Amz-Date=x")
    assert (scope.access_key, scope.region, scope.service) == ("ASIAKEY", "us-east-1", "sqs")
    assert credential({}, "") is None
    assert credential({"authorization": "Basic abc"}) is None
