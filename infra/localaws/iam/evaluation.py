"""Allow or deny one (action, resource) under a role's identity-based policies, with moto's evaluator.

Each statement is matched by moto's `IAMPolicyStatement` (moto/iam/access_control.py: Action /
NotAction and Resource wildcards, Effect). IAM's rules on top: an explicit Deny wins, else any
Allow allows, else the action is implicitly denied. Where moto's statement evaluator falls short
we lean to deny: request context keys are not known locally, so a statement with a Condition
counts as a Deny if it is one and never as an Allow (moto would ignore the condition), and
`NotResource` (which moto ignores) is honoured.
"""
from __future__ import annotations

import enum
import json
from collections.abc import Iterable
from typing import Any

from moto.iam.access_control import IAMPolicyStatement, PermissionResult


class Decision(enum.Enum):
    ALLOWED = "allowed"
    IMPLICIT_DENY = "no identity-based policy allows"
    EXPLICIT_DENY = "explicit deny in an identity-based policy"

    @property
    def allowed(self) -> bool:
        return self is Decision.ALLOWED


def statements(document: dict[str, Any] | str) -> list[dict[str, Any]]:
    """The statements of a policy document (a dict, or its JSON text)."""
    if isinstance(document, str):
        document = json.loads(document)
    found = document.get("Statement", [])
    return [found] if isinstance(found, dict) else list(found)


def statement_result(statement: dict[str, Any], action: str, resource: str) -> PermissionResult:
    if statement.get("Condition"):
        if statement.get("Effect") != "Deny":
            return PermissionResult.NEUTRAL
        statement = {k: v for k, v in statement.items() if k != "Condition"}
    if "NotResource" in statement:
        if IAMPolicyStatement(statement)._check_element_matches("NotResource", resource):  # noqa: SLF001
            return PermissionResult.NEUTRAL
        statement = {**{k: v for k, v in statement.items() if k != "NotResource"}, "Resource": "*"}
    return IAMPolicyStatement(statement).is_action_permitted(action, resource)


def decide(documents: Iterable[dict[str, Any] | str], action: str, resource: str) -> Decision:
    allowed = False
    for document in documents:
        for statement in statements(document):
            result = statement_result(statement, action, resource)
            if result is PermissionResult.DENIED:
                return Decision.EXPLICIT_DENY
            allowed = allowed or result is PermissionResult.PERMITTED
    return Decision.ALLOWED if allowed else Decision.IMPLICIT_DENY
