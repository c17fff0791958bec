"""Provisioning from template.yaml against a real moto_server process (as `make up` does)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from infra.localaws.processes import ManagedProcess, free_ports, http_ok, wait_until
from infra.localaws.provision import boto_clients, provision
from infra.localaws.template import LocalContext, Template


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    (port,) = free_ports(1)
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    server = ManagedProcess("moto", [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1",
                                     "-p", str(port)], log).start()
    endpoint = f"http://127.0.0.1:{port}"
    wait_until(lambda: http_ok(f"{endpoint}/moto-api/"), what="moto_server", timeout=30, process=server)
    yield endpoint, server
    server.stop()
    assert not server.alive()


def _secret_value(sm, name: str) -> str | None:
    """None for an empty secret (declared with neither SecretString nor GenerateSecretString)."""
    try:
        return sm.get_secret_value(SecretId=name)["SecretString"]
    except sm.exceptions.ResourceNotFoundException:
        return None


def _snapshot(template: Template, client) -> dict:
    ddb, sqs, events, sm = client("dynamodb"), client("sqs"), client("events"), client("secretsmanager")
    tables = {}
    for name in sorted(ddb.list_tables()["TableNames"]):
        table = ddb.describe_table(TableName=name)["Table"]
        tables[name] = {"keys": table["KeySchema"],
                        "indexes": sorted(i["IndexName"] for i in table.get("GlobalSecondaryIndexes", []))}
    queues = {}
    for url in sorted(sqs.list_queues().get("QueueUrls", [])):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        queues[url.rsplit("/", 1)[-1]] = {k: attributes.get(k) for k in ("RedrivePolicy", "VisibilityTimeout")}
    bus = template.physical_name("PlatformEventBus")
    rules = {r["Name"]: [t["Arn"] for t in events.list_targets_by_rule(Rule=r["Name"], EventBusName=bus)["Targets"]]
             for r in events.list_rules(EventBusName=bus)["Rules"]}
    secrets = {s["Name"]: _secret_value(sm, s["Name"]) for s in sm.list_secrets()["SecretList"]}
    return {"tables": tables, "queues": queues, "rules": rules, "secrets": secrets}


def test_provisioning_twice_against_moto_server_changes_nothing(moto):
    endpoint, _ = moto
    template = Template(context=LocalContext(stack_name="unitsrv", aws_endpoint=endpoint))
    client = boto_clients(endpoint)
    provision(template, client)
    first = _snapshot(template, client)
    provision(template, client)  # must not fail
    assert _snapshot(template, client) == first

    declared_tables = {template.physical_name(t) for t in template.of_type("AWS::DynamoDB::Table")}
    assert declared_tables <= set(first["tables"])
    for logical_id, resource in template.of_type("AWS::DynamoDB::Table").items():
        declared = sorted(i["IndexName"] for i in resource["Properties"].get("GlobalSecondaryIndexes", []))
        assert first["tables"][template.physical_name(logical_id)]["indexes"] == declared
    assert "gsi1" in first["tables"][template.physical_name("ProductsTable")]["indexes"]
    for logical_id, resource in template.of_type("AWS::SQS::Queue").items():
        queue = first["queues"][template.physical_name(logical_id)]
        if "RedrivePolicy" in resource["Properties"]:
            dlq_arn = template.resolve(resource["Properties"]["RedrivePolicy"])["deadLetterTargetArn"]
            assert json.loads(queue["RedrivePolicy"])["deadLetterTargetArn"] == dlq_arn
    assert len(first["rules"]) == len(template.of_type("AWS::Events::Rule"))
    assert all(targets for targets in first["rules"].values())
    assert {template.physical_name(s) for s in template.of_type("AWS::SecretsManager::Secret")} <= set(first["secrets"])


def test_a_bus_event_reaches_its_queue_on_the_server(moto):
    endpoint, _ = moto
    template = Template(context=LocalContext(stack_name="unitsrv", aws_endpoint=endpoint))
    client = boto_clients(endpoint)
    provision(template, client)
    client("events").put_events(Entries=[{"Source": "meridian.auth", "DetailType": "user.registered",
                                          "Detail": json.dumps({"user_id": "u-server"}),
                                          "EventBusName": template.physical_name("PlatformEventBus")}])
    messages = client("sqs").receive_message(QueueUrl=template.queue_url("UsersEventsQueue"),
                                             WaitTimeSeconds=2).get("Messages", [])
    assert json.loads(messages[0]["Body"])["detail"]["user_id"] == "u-server"
