import json

import boto3
import pytest


def test_every_declared_resource_exists(aws):
    t = aws
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    tables = set(ddb.list_tables()["TableNames"])
    for logical_id in t.of_type("AWS::DynamoDB::Table"):
        assert t.physical_name(logical_id) in tables
    products = ddb.describe_table(TableName=t.physical_name("ProductsTable"))["Table"]
    assert products["GlobalSecondaryIndexes"][0]["IndexName"] == "gsi1"

    sqs = boto3.client("sqs", region_name="us-east-1")
    for logical_id, res in t.of_type("AWS::SQS::Queue").items():
        url = sqs.get_queue_url(QueueName=t.physical_name(logical_id))["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        if "RedrivePolicy" in res["Properties"]:
            assert "deadLetterTargetArn" in attrs["RedrivePolicy"]

    events = boto3.client("events", region_name="us-east-1")
    bus = t.physical_name("PlatformEventBus")
    rules = {r["Name"] for r in events.list_rules(EventBusName=bus)["Rules"]}
    assert len(rules) == len(t.of_type("AWS::Events::Rule"))
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    for logical_id, res in t.of_type("AWS::SecretsManager::Secret").items():
        name = t.physical_name(logical_id)
        if {"SecretString", "GenerateSecretString"} & set(res["Properties"]):
            assert sm.get_secret_value(SecretId=name)["SecretString"]
        else:  # an empty secret, as CloudFormation makes it: its owner writes the value
            assert sm.describe_secret(SecretId=name)["Name"] == name


def test_provisioning_twice_changes_nothing(aws):
    from infra.localaws.provision import provision

    sm = boto3.client("secretsmanager", region_name="us-east-1")
    name = aws.physical_name("WebhookSecret")
    before = sm.get_secret_value(SecretId=name)["SecretString"]
    provision(aws, lambda s: boto3.client(s, region_name="us-east-1"))
    assert sm.get_secret_value(SecretId=name)["SecretString"] == before


def test_bus_rule_delivers_to_its_queue(aws):
    import json

    events = boto3.client("events", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    events.put_events(Entries=[{"Source": "meridian.auth", "DetailType": "user.registered",
                                "Detail": json.dumps({"user_id": "u1"}),
                                "EventBusName": aws.physical_name("PlatformEventBus")}])
    url = sqs.get_queue_url(QueueName=aws.physical_name("UsersEventsQueue"))["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
    assert json.loads(messages[0]["Body"])["detail"]["user_id"] == "u1"


def test_secrets_are_created_as_the_template_declares_them():
    """SecretString as given, GenerateSecretString as Secrets Manager generates it, neither: empty."""
    from moto import mock_aws

    from infra.localaws.provision import provision
    from infra.localaws.template import LocalContext, Template

    secret = "AWS::SecretsManager::Secret"
    doc = {"Resources": {
        "Given": {"Type": secret, "Properties": {"Name": {"Fn::Sub": "${AWS::StackName}/given"},
                                                  "SecretString": {"Fn::Sub": "in ${AWS::Region}"}}},
        "Generated": {"Type": secret, "Properties": {"Name": "generated", "GenerateSecretString": {
            "PasswordLength": 40, "ExcludePunctuation": True}}},
        "Templated": {"Type": secret, "Properties": {"Name": "templated", "GenerateSecretString": {
            "SecretStringTemplate": '{"username": "app"}', "GenerateStringKey": "password",
            "PasswordLength": 20, "ExcludeCharacters": "abc"}}},
        "Empty": {"Type": secret, "Properties": {"Name": "empty", "Description": "filled by its owner"}},
    }}
    with mock_aws():
        sm = boto3.client("secretsmanager", region_name="us-east-1")
        provision(Template(doc, LocalContext(stack_name="s")), lambda s: boto3.client(s, region_name="us-east-1"),
                  roles=False)
        assert sm.get_secret_value(SecretId="s/given")["SecretString"] == "in us-east-1"
        generated = sm.get_secret_value(SecretId="generated")["SecretString"]
        assert len(generated) == 40 and generated.isalnum()
        templated = json.loads(sm.get_secret_value(SecretId="templated")["SecretString"])
        assert templated["username"] == "app"
        assert len(templated["password"]) == 20 and not set("abc") & set(templated["password"])
        assert sm.describe_secret(SecretId="empty")["Description"] == "filled by its owner"
        assert "VersionIdsToStages" not in sm.describe_secret(SecretId="empty")
        with pytest.raises(sm.exceptions.ResourceNotFoundException):
            sm.get_secret_value(SecretId="empty")


def test_the_identities_functions_send_from_are_verified():
    """SES (and moto) send only from verified identities: those SAM's SES policy templates name."""
    from moto import mock_aws

    from infra.localaws.provision import provision
    from infra.localaws.template import LocalContext, Template

    doc = {"Parameters": {"Sender": {"Type": "String", "Default": "noreply@example.com"}}, "Resources": {
        "Mailer": {"Type": "AWS::Serverless::Function", "Properties": {
            "CodeUri": "x/", "Handler": "h.f", "Policies": ["AWSLambdaBasicExecutionRole",
                                                            {"SESCrudPolicy": {"IdentityName": {"Ref": "Sender"}}}]}}}}
    with mock_aws():
        ses = boto3.client("ses", region_name="us-east-1")
        provision(Template(doc, LocalContext(stack_name="s")), lambda s: boto3.client(s, region_name="us-east-1"),
                  roles=False)
        assert ses.list_identities()["Identities"] == ["noreply@example.com"]
