"""Create every table, queue, DLQ, bus, rule (+ SQS target), secret, parameter, e-mail identity and
function role a SAM template declares.

Idempotent: running it twice changes nothing and fails on nothing. Works against the
moto server, a LocalStack, or moto in-process (unit tests pass their own clients).
"""
from __future__ import annotations

import json
from collections.abc import Callable

from infra.localaws.template import Template

# GenerateSecretString's properties that are GetRandomPassword's parameters
_RANDOM_PASSWORD_OPTIONS = ("PasswordLength", "ExcludeCharacters", "ExcludeNumbers", "ExcludePunctuation",
                            "ExcludeUppercase", "ExcludeLowercase", "IncludeSpace", "RequireEachIncludedType")


class Provisioner:
    def __init__(self, template: Template, client: Callable[[str], object]):
        self.t = template
        self.client = client
        self.log: list[str] = []

    def run(self, *, roles: bool = True) -> list[str]:
        self.tables()
        self.queues()
        self.buses()
        self.rules()
        self.secrets()
        self.parameters()
        self.email_identities()
        if roles:
            self.roles()
        return self.log

    # ------------------------------------------------------------------ DynamoDB
    def tables(self) -> None:
        ddb = self.client("dynamodb")
        existing = set(ddb.list_tables().get("TableNames", []))
        for logical_id, resource in self.t.of_type("AWS::DynamoDB::Table").items():
            props = resource["Properties"]
            name = self.t.physical_name(logical_id)
            if name not in existing:
                args = {
                    "TableName": name,
                    "AttributeDefinitions": props["AttributeDefinitions"],
                    "KeySchema": props["KeySchema"],
                    "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
                }
                if props.get("GlobalSecondaryIndexes"):
                    args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
                if props.get("StreamSpecification"):
                    args["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
                ddb.create_table(**args)
                self.log.append(f"table {name}")
            ttl = props.get("TimeToLiveSpecification")
            if ttl and ttl.get("Enabled"):
                current = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
                if current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
                    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={
                        "AttributeName": ttl["AttributeName"], "Enabled": True})

    # ------------------------------------------------------------------ SQS
    def queues(self) -> None:
        sqs = self.client("sqs")
        queues = self.t.of_type("AWS::SQS::Queue")
        # DLQs first: a redrive policy needs its target to exist
        ordered = sorted(queues.items(), key=lambda kv: "RedrivePolicy" in kv[1].get("Properties", {}))
        for logical_id, resource in ordered:
            props = resource.get("Properties", {})
            attributes = {}
            for key in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds",
                        "ReceiveMessageWaitTimeSeconds", "FifoQueue", "ContentBasedDeduplication"):
                if key in props:
                    value = props[key]
                    attributes[key] = str(value).lower() if isinstance(value, bool) else str(value)
            if "RedrivePolicy" in props:
                attributes["RedrivePolicy"] = json.dumps(self.t.resolve(props["RedrivePolicy"]))
            name = self.t.physical_name(logical_id)
            sqs.create_queue(QueueName=name, Attributes=attributes)  # same attributes → no-op
            self.log.append(f"queue {name}")

    # ------------------------------------------------------------------ EventBridge
    def buses(self) -> None:
        events = self.client("events")
        existing = {b["Name"] for b in events.list_event_buses().get("EventBuses", [])}
        for logical_id in self.t.of_type("AWS::Events::EventBus"):
            name = self.t.physical_name(logical_id)
            if name not in existing:
                events.create_event_bus(Name=name)
                self.log.append(f"bus {name}")

    def rules(self) -> None:
        events = self.client("events")
        for logical_id, resource in self.t.of_type("AWS::Events::Rule").items():
            props = self.t.resolve(resource["Properties"])
            bus = props.get("EventBusName", "default")
            name = self.t.physical_name(logical_id)
            args = {"Name": name, "EventBusName": bus, "State": "ENABLED"}
            if "EventPattern" in props:
                args["EventPattern"] = json.dumps(props["EventPattern"])
            if "ScheduleExpression" in props:
                args["ScheduleExpression"] = props["ScheduleExpression"]
            events.put_rule(**args)
            targets = [{"Id": t["Id"], "Arn": t["Arn"]} for t in props.get("Targets", [])]
            if targets:
                events.put_targets(Rule=name, EventBusName=bus, Targets=targets)
            self.log.append(f"rule {name}")

    # ------------------------------------------------------------------ Secrets Manager
    def secrets(self) -> None:
        """As CloudFormation creates them: `SecretString` as given, `GenerateSecretString` as Secrets
        Manager generates it (optionally inside `SecretStringTemplate` under `GenerateStringKey`),
        neither: an empty secret, with no version, for whoever owns it to fill."""
        sm = self.client("secretsmanager")
        for logical_id, resource in self.t.of_type("AWS::SecretsManager::Secret").items():
            props = resource.get("Properties", {})
            name = self.t.physical_name(logical_id)
            try:
                sm.describe_secret(SecretId=name)
                continue  # never replace an existing secret's value
            except sm.exceptions.ResourceNotFoundException:
                pass
            args = {"Name": name, "Description": props.get("Description", "")}
            value = self._secret_value(sm, props)
            if value is not None:
                args["SecretString"] = value
            sm.create_secret(**args)
            self.log.append(f"secret {name}")

    def _secret_value(self, sm, props: dict) -> str | None:
        if "SecretString" in props:
            return self.t.resolve(props["SecretString"])
        spec = props.get("GenerateSecretString")
        if spec is None:
            return None
        spec = self.t.resolve(spec)
        options = {key: spec[key] for key in _RANDOM_PASSWORD_OPTIONS if key in spec}
        password = sm.get_random_password(**options)["RandomPassword"]
        if "SecretStringTemplate" in spec:
            document = json.loads(spec["SecretStringTemplate"])
            document[spec["GenerateStringKey"]] = password
            return json.dumps(document)
        return password

    # ------------------------------------------------------------------ SSM parameters
    def parameters(self) -> None:
        """String parameters (the API's base URL, resolved to the local gateway with its stage)."""
        ssm = self.client("ssm")
        for resource in self.t.of_type("AWS::SSM::Parameter").values():
            props = self.t.resolve(resource["Properties"])
            ssm.put_parameter(Name=props["Name"], Value=str(props["Value"]), Type=props.get("Type", "String"),
                              Overwrite=True)
            self.log.append(f"parameter {props['Name']}")

    # ------------------------------------------------------------------ SES
    def email_identities(self) -> None:
        """The identities functions send from, verified (SES, and moto, send only from verified ones):
        AWS::SES::EmailIdentity resources and the `IdentityName` of SAM's SES policy templates
        (SESCrudPolicy, SESSendBouncePolicy, …), which a stack's owner verifies outside it on AWS."""
        identities = {self.t.resolve(r["Properties"]["EmailIdentity"])
                      for r in self.t.of_type("AWS::SES::EmailIdentity").values()}
        for resource in self.t.of_type("AWS::Serverless::Function").values():
            for policy in resource.get("Properties", {}).get("Policies", []) or []:
                if not isinstance(policy, dict):
                    continue
                for name, args in policy.items():
                    if name.startswith("SES") and isinstance(args, dict) and "IdentityName" in args:
                        identities.add(self.t.resolve(args["IdentityName"]))
        ses = self.client("ses")
        for identity in sorted(i for i in identities if i):
            if "@" in identity:
                ses.verify_email_identity(EmailAddress=identity)
            else:
                ses.verify_domain_identity(Domain=identity)
            self.log.append(f"email identity {identity}")

    # ------------------------------------------------------------------ IAM
    def roles(self) -> None:
        """Each function's execution role, from the SAM-translated template (infra/localaws/iam/roles.py)."""
        from infra.localaws.iam.roles import ensure_roles

        self.log.extend(ensure_roles(self.t, self.client))


def provision(template: Template, client: Callable[[str], object], *, roles: bool = True) -> list[str]:
    """Everything the template declares; `roles=False` leaves out the IAM roles (in-process unit
    tests, where nothing evaluates them)."""
    return Provisioner(template, client).run(roles=roles)


def boto_clients(endpoint: str, region: str = "us-east-1", *, dynamodb_endpoint: str = ""
                 ) -> Callable[[str], object]:
    """Operator clients: every service at `endpoint`, DynamoDB at `dynamodb_endpoint` when given."""
    import boto3

    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=region)
    cache: dict[str, object] = {}

    def client(service: str):
        if service not in cache:
            url = dynamodb_endpoint if service == "dynamodb" and dynamodb_endpoint else endpoint
            cache[service] = session.client(service, endpoint_url=url)
        return cache[service]

    return client


if __name__ == "__main__":
    import argparse

    from infra.localaws.template import LocalContext

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint", default="http://127.0.0.1:4566")
    parser.add_argument("--stack-name", default="local")
    ns = parser.parse_args()
    tpl = Template(context=LocalContext(stack_name=ns.stack_name, aws_endpoint=ns.endpoint))
    for line in provision(tpl, boto_clients(ns.endpoint)):
        print(f"  provisioned {line}")
