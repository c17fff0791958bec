"""An AWS API request → the IAM authorizations it needs: [Access(action, resource ARN), ...].

Covers every protocol our functions use:

- JSON protocol (`X-Amz-Target`): DynamoDB, Secrets Manager, SQS (boto3 ≥ 1.34.9 speaks JSON
  to SQS), EventBridge, SSM;
- query protocol (form-encoded `Action=…`): SES, STS, and SQS from older clients.

The resources are what IAM evaluates on AWS: a table, or `table/<t>/index/<i>` for a Query or
Scan on an index; one Access per table of a batch and per item of a transaction (IAM checks
TransactWriteItems as the PutItem/UpdateItem/DeleteItem/ConditionCheckItem of each item); the
queue of a QueueUrl; the event bus of each PutEvents entry; `parameter/<name>` for SSM; the
identity of the sender for SES. Whatever cannot be mapped raises `Unmapped`: the proxy denies
it rather than guess.
"""
from __future__ import annotations

import base64
import email.utils
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from typing import Any
from urllib.parse import parse_qs, urlparse

# operations IAM never denies (AWS answers sts:GetCallerIdentity even under an explicit Deny)
ALWAYS_ALLOWED = frozenset({"sts:GetCallerIdentity"})

# X-Amz-Target prefix → IAM service prefix
JSON_TARGETS = {
    "DynamoDB_20120810": "dynamodb",
    "secretsmanager": "secretsmanager",
    "AmazonSQS": "sqs",
    "AWSEvents": "events",
    "AmazonSSM": "ssm",
}

# SigV4 signing name → IAM prefix, where they differ
_SIGNING_TO_IAM = {"email": "ses"}

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request")


class Unmapped(ValueError):
    """The request's IAM action or resource cannot be derived: deny it."""


@dataclass(frozen=True)
class Access:
    action: str      # e.g. dynamodb:PutItem
    resource: str    # e.g. arn:aws:dynamodb:us-east-1:123456789012:table/mystack-orders


@dataclass(frozen=True)
class Credential:
    """The SigV4 credential scope of a request: <access key>/<date>/<region>/<service>/aws4_request."""
    access_key: str
    region: str
    service: str


@dataclass
class ApiCall:
    service: str                  # IAM service prefix: dynamodb, sqs, ses, ...
    operation: str                # PutItem, SendMessage, ... (REST: "<METHOD> <path>")
    protocol: str                 # "json" | "query" | "rest"
    params: dict[str, Any] = field(default_factory=dict)   # JSON body, or form/query values

    @property
    def action(self) -> str:
        return f"{self.service}:{self.operation}"


def credential(headers: Mapping[str, str], query: str = "") -> Credential | None:
    """The SigV4 credential of a request (Authorization header, or X-Amz-Credential of a presigned URL)."""
    match = _CREDENTIAL.search(headers.get("authorization", ""))
    if match is None and "X-Amz-Credential" in query:
        values = parse_qs(query).get("X-Amz-Credential", [])
        match = _CREDENTIAL.search(f"Credential={values[0]}") if values else None
    if match is None:
        return None
    return Credential(access_key=match.group(1), region=match.group(3), service=match.group(4))


def parse_call(method: str, path: str, query: str, headers: Mapping[str, str], body: bytes,
               scope: Credential) -> ApiCall:
    """Which API operation a request is (never fails: what it cannot read, required_access cannot map).
    `headers` have lower-case names."""
    target = headers.get("x-amz-target")
    if target:
        prefix, _, operation = target.rpartition(".")
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}  # nothing to map a resource from: required_access raises Unmapped
        return ApiCall(JSON_TARGETS.get(prefix, scope.service), operation, "json",
                       params if isinstance(params, dict) else {})
    form = headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    values = parse_qs(body.decode("utf-8", "replace") if form and body else query, keep_blank_values=True)
    if "Action" in values:
        params = {k: v[0] for k, v in values.items()}
        return ApiCall(_SIGNING_TO_IAM.get(scope.service, scope.service), params.pop("Action"), "query", params)
    return ApiCall(scope.service, f"{method} {path}", "rest")


@dataclass(frozen=True)
class Arns:
    """ARNs in the caller's region and account."""
    region: str
    account: str
    partition: str = "aws"

    def _arn(self, service: str, resource: str, *, region: bool = True) -> str:
        return f"arn:{self.partition}:{service}:{self.region if region else ''}:{self.account}:{resource}"

    def table(self, name: str) -> str:
        return name if name.startswith("arn:") else self._arn("dynamodb", f"table/{name}")

    def secret(self, secret_id: str) -> str:
        return secret_id if secret_id.startswith("arn:") else self._arn("secretsmanager", f"secret:{secret_id}")

    def queue(self, name: str, account: str | None = None) -> str:
        return f"arn:{self.partition}:sqs:{self.region}:{account or self.account}:{name}"

    def queue_of_url(self, url: str) -> str:
        parts = [p for p in urlparse(url).path.split("/") if p]
        if not parts:
            raise Unmapped(f"QueueUrl {url!r} names no queue")
        account = parts[-2] if len(parts) >= 2 and parts[-2].isdigit() else None
        return self.queue(parts[-1], account)

    def event_bus(self, name_or_arn: str) -> str:
        return name_or_arn if name_or_arn.startswith("arn:") else self._arn("events", f"event-bus/{name_or_arn}")

    def parameter(self, name: str) -> str:
        return name if name.startswith("arn:") else self._arn("ssm", f"parameter/{name.lstrip('/')}")

    def ses_identity(self, identity: str) -> str:
        return identity if identity.startswith("arn:") else self._arn("ses", f"identity/{identity}")

    def role(self, name_or_arn: str) -> str:
        return name_or_arn if name_or_arn.startswith("arn:") else self._arn("iam", f"role/{name_or_arn}", region=False)


def required_access(call: ApiCall, arns: Arns) -> list[Access]:
    """Every (action, resource) the call needs, in order, without duplicates. Raises Unmapped."""
    if call.action in ALWAYS_ALLOWED:
        return [Access(call.action, "*")]
    if call.protocol == "rest":
        raise Unmapped(f"{call.service} REST request {call.operation!r}: no IAM mapping for REST protocols")
    mapper = _MAPPERS.get(call.service)
    if mapper is None:
        raise Unmapped(f"{call.action}: no IAM mapping for the {call.service!r} service")
    try:
        accesses = mapper(call, arns)
    except Unmapped:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as error:  # a malformed request
        raise Unmapped(f"{call.action}: unexpected request shape ({type(error).__name__}: {error})") from None
    return list(dict.fromkeys(accesses))


def _require(params: Mapping[str, Any], key: str, call: ApiCall) -> Any:
    value = params.get(key)
    if value in (None, "", [], {}):
        raise Unmapped(f"{call.action} without {key}")
    return value


# ---------------------------------------------------------------------- DynamoDB
_TRANSACT_WRITE = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                   "ConditionCheck": "ConditionCheckItem"}
_TRANSACT_GET = {"Get": "GetItem"}
_DYNAMODB_ACCOUNT_WIDE = {"ListTables", "DescribeLimits", "DescribeEndpoints", "ListBackups",
                          "ListGlobalTables", "ListExports", "ListImports"}


def _dynamodb(call: ApiCall, arns: Arns) -> list[Access]:
    op, p = call.operation, call.params
    if op in ("BatchGetItem", "BatchWriteItem"):
        return [Access(call.action, arns.table(t)) for t in _require(p, "RequestItems", call)]
    if op in ("TransactWriteItems", "TransactGetItems"):
        kinds = _TRANSACT_WRITE if op == "TransactWriteItems" else _TRANSACT_GET
        accesses = []
        for item in _require(p, "TransactItems", call):
            (kind, spec), = item.items()
            if kind not in kinds:
                raise Unmapped(f"{call.action}: unknown transaction item {kind!r}")
            accesses.append(Access(f"dynamodb:{kinds[kind]}", arns.table(_require(spec, "TableName", call))))
        return accesses
    if op in _DYNAMODB_ACCOUNT_WIDE:
        return [Access(call.action, "*")]
    if "TableName" in p:
        resource = arns.table(p["TableName"])
        if op in ("Query", "Scan") and p.get("IndexName"):
            resource = f"{resource}/index/{p['IndexName']}"
        return [Access(call.action, resource)]
    if "ResourceArn" in p:  # TagResource, ListTagsOfResource, ...
        return [Access(call.action, p["ResourceArn"])]
    raise Unmapped(f"{call.action}: no table in the request (PartiQL and other table-less calls are not mapped)")


# ---------------------------------------------------------------------- Secrets Manager
def _secretsmanager(call: ApiCall, arns: Arns) -> list[Access]:
    p = call.params
    if call.operation in ("ListSecrets", "GetRandomPassword"):
        return [Access(call.action, "*")]
    if call.operation == "BatchGetSecretValue" and p.get("SecretIdList"):
        return [Access("secretsmanager:GetSecretValue", arns.secret(s)) for s in p["SecretIdList"]]
    if call.operation == "CreateSecret":
        return [Access(call.action, arns.secret(_require(p, "Name", call)))]
    return [Access(call.action, arns.secret(_require(p, "SecretId", call)))]


# ---------------------------------------------------------------------- SQS
_SQS_BATCH = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
              "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}


def _sqs(call: ApiCall, arns: Arns) -> list[Access]:
    p = call.params
    action = f"sqs:{_SQS_BATCH.get(call.operation, call.operation)}"
    if call.operation == "ListQueues":
        return [Access(action, "*")]
    if call.operation in ("GetQueueUrl", "CreateQueue"):
        return [Access(action, arns.queue(_require(p, "QueueName", call), p.get("QueueOwnerAWSAccountId")))]
    return [Access(action, arns.queue_of_url(_require(p, "QueueUrl", call)))]


# ---------------------------------------------------------------------- EventBridge
def _events(call: ApiCall, arns: Arns) -> list[Access]:
    if call.operation != "PutEvents":
        raise Unmapped(f"{call.action}: only events:PutEvents is mapped")
    return [Access(call.action, arns.event_bus(entry.get("EventBusName") or "default"))
            for entry in _require(call.params, "Entries", call)]


# ---------------------------------------------------------------------- SSM
def _ssm(call: ApiCall, arns: Arns) -> list[Access]:
    p = call.params
    if call.operation == "DescribeParameters":
        return [Access(call.action, "*")]
    if call.operation in ("GetParameters", "DeleteParameters"):
        return [Access(call.action, arns.parameter(n)) for n in _require(p, "Names", call)]
    if call.operation == "GetParametersByPath":
        return [Access(call.action, arns.parameter(_require(p, "Path", call)))]
    if call.operation in ("GetParameter", "PutParameter", "DeleteParameter", "GetParameterHistory",
                          "LabelParameterVersion"):
        return [Access(call.action, arns.parameter(_require(p, "Name", call)))]
    raise Unmapped(f"{call.action}: not a parameter operation")


# ---------------------------------------------------------------------- SES (v1, query protocol)
def _member_list(params: Mapping[str, str], name: str) -> list[str]:
    prefix = f"{name}.member."
    members = [(int(k[len(prefix):]), v) for k, v in params.items()
               if k.startswith(prefix) and k[len(prefix):].isdigit()]
    return [v for _, v in sorted(members)]


def _address(text: str) -> str:
    return email.utils.parseaddr(text)[1]


def _raw_message_sender(call: ApiCall) -> str:
    raw = _require(call.params, "RawMessage.Data", call)
    try:
        message = BytesHeaderParser().parsebytes(base64.b64decode(raw))
    except (ValueError, TypeError) as error:
        raise Unmapped(f"{call.action}: RawMessage.Data is not base64 ({error})") from None
    return message.get("From", "")


def _ses(call: ApiCall, arns: Arns) -> list[Access]:
    p, op = call.params, call.operation
    if op in ("SendEmail", "SendRawEmail", "SendTemplatedEmail", "SendBulkTemplatedEmail"):
        if p.get("SourceArn"):
            return [Access(call.action, p["SourceArn"])]
        source = p.get("Source") or (_raw_message_sender(call) if op == "SendRawEmail" else "")
        sender = _address(source)
        if not sender:
            raise Unmapped(f"{call.action}: no sender (Source) in the request")
        return [Access(call.action, arns.ses_identity(sender))]
    if op == "VerifyEmailIdentity" or op == "VerifyEmailAddress":
        return [Access(call.action, arns.ses_identity(_require(p, "EmailAddress", call)))]
    if op in ("VerifyDomainIdentity", "VerifyDomainDkim"):
        return [Access(call.action, arns.ses_identity(_require(p, "Domain", call)))]
    if op in ("GetIdentityVerificationAttributes", "GetIdentityDkimAttributes",
              "GetIdentityNotificationAttributes", "GetIdentityMailFromDomainAttributes"):
        identities = _member_list(p, "Identities")
        if not identities:
            raise Unmapped(f"{call.action} without Identities")
        return [Access(call.action, arns.ses_identity(i)) for i in identities]
    if op in ("GetSendQuota", "GetSendStatistics", "ListIdentities", "ListVerifiedEmailAddresses",
              "GetAccountSendingEnabled"):
        return [Access(call.action, "*")]
    raise Unmapped(f"{call.action}: not mapped")


# ---------------------------------------------------------------------- STS
def _sts(call: ApiCall, arns: Arns) -> list[Access]:
    if call.operation in ("AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"):
        return [Access(call.action, arns.role(_require(call.params, "RoleArn", call)))]
    if call.operation in ("GetSessionToken", "GetAccessKeyInfo", "DecodeAuthorizationMessage"):
        return [Access(call.action, "*")]
    raise Unmapped(f"{call.action}: not mapped")


_MAPPERS: dict[str, Callable[[ApiCall, Arns], list[Access]]] = {
    "dynamodb": _dynamodb,
    "secretsmanager": _secretsmanager,
    "sqs": _sqs,
    "events": _events,
    "ssm": _ssm,
    "ses": _ses,
    "sts": _sts,
}
