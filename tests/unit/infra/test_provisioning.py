import boto3


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
    for logical_id in t.of_type("AWS::SecretsManager::Secret"):
        assert sm.get_secret_value(SecretId=t.physical_name(logical_id))["SecretString"]


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
