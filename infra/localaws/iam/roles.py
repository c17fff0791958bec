"""Each function's execution role, as SAM makes it, in the local IAM; and its temporary credentials.

The roles come from the *translated* template (`infra.localaws.cloud.translate`): function `X` has
`XRole` with the trust policy, the managed policy ARNs and the inline policies SAM expands its
policy templates into (DynamoDBCrudPolicy → the ten dynamodb actions on the table and its
indexes, ...). Their intrinsics resolve to local names with `Template.resolve`, so a policy
names exactly the local table, queue, bus, secret, parameter or identity.

`ensure_roles` creates or updates them (CreateRole, PutRolePolicy, and DeleteRolePolicy for
policies that are gone: re-provisioning after removing a statement takes effect).
`function_credentials` assumes each role (STS AssumeRole, session name = the function's
name, as Lambda does) and returns the environment variables a worker runs with.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from infra.localaws.template import ACCOUNT_ID, Template

POLICY_VERSION = "2012-10-17"
SESSION_SECONDS = 12 * 3600   # the longest AssumeRole allows; nothing refreshes a worker's credentials
_translations: dict[str, dict] = {}


@dataclass
class ExecutionRole:
    function: str                  # the function's logical id
    logical_id: str                # the role's logical id in the translated template (<Function>Role)
    name: str                      # the local role name
    trust_policy: dict[str, Any]
    managed_policy_arns: list[str] = field(default_factory=list)
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)   # inline: name → document

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{ACCOUNT_ID}:role/{self.name}"


def translated(document: dict) -> dict:
    """SAM's translation of `document`, once per distinct document in this process (it takes seconds)."""
    from infra.localaws.cloud.translate import translate

    key = json.dumps(document, sort_keys=True, default=str)
    if key not in _translations:
        _translations[key] = translate(document)  # translate() works on a copy
    return _translations[key]


def role_name(template: Template, role_logical_id: str) -> str:
    return f"{template.ctx.stack_name}-{role_logical_id}"[:64]


def _with_version(document: dict[str, Any]) -> dict[str, Any]:
    # SAM writes inline policies without Version (IAM then assumes 2008-10-17); moto accepts
    # only 2012-10-17, which means the same for policies without policy variables
    return {"Version": POLICY_VERSION, **document} if "Version" not in document else document


def execution_roles(template: Template) -> dict[str, ExecutionRole]:
    """{function logical id: its role}, for every function whose role SAM generates."""
    resources = translated(template.doc)["Resources"]
    roles = {}
    for function_id, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        role_ref = resource["Properties"].get("Role")
        if not (isinstance(role_ref, dict) and "Fn::GetAtt" in role_ref):
            continue  # a role ARN given in the template: not ours to create
        role_id = role_ref["Fn::GetAtt"][0]
        props = template.resolve(resources[role_id]["Properties"])
        roles[function_id] = ExecutionRole(
            function=function_id, logical_id=role_id, name=role_name(template, role_id),
            trust_policy=props["AssumeRolePolicyDocument"],
            managed_policy_arns=list(props.get("ManagedPolicyArns", [])),
            policies={p["PolicyName"]: _with_version(p["PolicyDocument"]) for p in props.get("Policies", [])})
    return roles


def ensure_roles(template: Template, client: Callable[[str], Any]) -> list[str]:
    """Create or update every execution role in the local IAM. Idempotent; returns what it did."""
    iam = client("iam")
    roles = execution_roles(template).values()
    managed = _existing_managed_policies(iam, {arn for role in roles for arn in role.managed_policy_arns})
    done = []
    for role in roles:
        trust = json.dumps(role.trust_policy)
        try:
            iam.create_role(RoleName=role.name, AssumeRolePolicyDocument=trust, MaxSessionDuration=SESSION_SECONDS,
                            Description=f"execution role of {role.function}",
                            Tags=[{"Key": "lambda:createdBy", "Value": "SAM"}])
            existing, attached = set(), set()
        except iam.exceptions.EntityAlreadyExistsException:
            iam.update_assume_role_policy(RoleName=role.name, PolicyDocument=trust)
            existing = set(iam.list_role_policies(RoleName=role.name, MaxItems=1000)["PolicyNames"])
            attached = {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role.name)["AttachedPolicies"]}
        for name, document in role.policies.items():
            iam.put_role_policy(RoleName=role.name, PolicyName=name, PolicyDocument=json.dumps(document))
        for stale in existing - set(role.policies):
            iam.delete_role_policy(RoleName=role.name, PolicyName=stale)
        wanted = {arn for arn in role.managed_policy_arns if arn in managed}
        for arn in wanted - attached:
            iam.attach_role_policy(RoleName=role.name, PolicyArn=arn)
        for stale in attached - wanted:
            iam.detach_role_policy(RoleName=role.name, PolicyArn=stale)
        done.append(f"role {role.name} ({len(role.policies)} policies)")
    return done


def _existing_managed_policies(iam: Any, arns: set[str]) -> set[str]:
    """The managed policies the local IAM has. AWS's own (logging, X-Ray, SQS polling by Lambda
    itself) exist in moto only with MOTO_IAM_LOAD_MANAGED_POLICIES=true; without them they are
    not attached, and no call a function makes locally needs them."""
    existing = set()
    for arn in sorted(arns):
        try:
            iam.get_policy(PolicyArn=arn)
            existing.add(arn)
        except iam.exceptions.NoSuchEntityException:
            pass
    return existing


def function_credentials(template: Template, client: Callable[[str], Any]) -> dict[str, dict[str, str]]:
    """{function logical id: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN of its role}."""
    sts = client("sts")
    credentials = {}
    for function_id, role in execution_roles(template).items():
        issued = sts.assume_role(RoleArn=role.arn, RoleSessionName=template.physical_name(function_id)[:64],
                                 DurationSeconds=SESSION_SECONDS)["Credentials"]
        credentials[function_id] = {"AWS_ACCESS_KEY_ID": issued["AccessKeyId"],
                                    "AWS_SECRET_ACCESS_KEY": issued["SecretAccessKey"],
                                    "AWS_SESSION_TOKEN": issued["SessionToken"]}
    return credentials
