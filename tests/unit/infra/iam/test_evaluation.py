"""Allow / deny with moto's evaluator, on hand-written policies and on the template's own roles."""
from __future__ import annotations

import pytest

from infra.localaws.iam.evaluation import Decision, decide
from infra.localaws.iam.roles import execution_roles
from infra.localaws.template import LocalContext, Template

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/t"


def _policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_allow_implicit_and_explicit_deny():
    crud = _policy({"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"],
                    "Resource": [TABLE, f"{TABLE}/index/*"]})
    assert decide([crud], "dynamodb:GetItem", TABLE) is Decision.ALLOWED
    assert decide([crud], "dynamodb:Query", f"{TABLE}/index/gsi1") is Decision.ALLOWED
    assert decide([crud], "dynamodb:PutItem", TABLE) is Decision.IMPLICIT_DENY
    assert decide([crud], "dynamodb:GetItem", f"{TABLE}-other") is Decision.IMPLICIT_DENY
    deny = _policy({"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*"})
    assert decide([crud, deny], "dynamodb:GetItem", TABLE) is Decision.EXPLICIT_DENY
    assert decide([], "dynamodb:GetItem", TABLE) is Decision.IMPLICIT_DENY


def test_action_wildcards_and_a_statement_that_is_a_dict():
    send = {"Statement": {"Effect": "Allow", "Action": "sqs:SendMessage*",
                          "Resource": "arn:aws:sqs:us-east-1:123456789012:q"}}
    assert decide([send], "sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q").allowed
    assert not decide([send], "sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:123456789012:q").allowed


def test_not_resource_and_conditions_lean_to_deny():
    everything_but = _policy({"Effect": "Allow", "Action": "dynamodb:GetItem", "NotResource": TABLE})
    assert decide([everything_but], "dynamodb:GetItem", f"{TABLE}2").allowed
    assert not decide([everything_but], "dynamodb:GetItem", TABLE).allowed
    conditional_allow = _policy({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE,
                                 "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1"}}})
    assert decide([conditional_allow], "dynamodb:GetItem", TABLE) is Decision.IMPLICIT_DENY
    conditional_deny = _policy({"Effect": "Deny", "Action": "dynamodb:GetItem", "Resource": TABLE,
                                "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1"}}})
    allow = _policy({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE})
    assert decide([allow, conditional_deny], "dynamodb:GetItem", TABLE) is Decision.EXPLICIT_DENY


@pytest.fixture(scope="module")
def roles():
    template = Template(context=LocalContext(stack_name="meridian"))
    return template, execution_roles(template)


def _allowed(roles, function: str, action: str, resource: str) -> bool:
    return decide(roles[function].policies.values(), action, resource).allowed


def test_the_templates_roles_as_sam_expands_them(roles):
    template, by_function = roles
    assert set(by_function) == {f.logical_id for f in template.functions()}
    orders, products = template.arn("OrdersTable"), template.arn("ProductsTable")
    assert _allowed(by_function, "OrdersFunction", "dynamodb:PutItem", orders)
    assert _allowed(by_function, "OrdersFunction", "dynamodb:Query", f"{orders}/index/gsi2")
    idempotency = template.arn("OrdersIdempotencyTable")
    assert _allowed(by_function, "OrdersFunction", "dynamodb:ConditionCheckItem", idempotency)
    assert not _allowed(by_function, "OrdersFunction", "dynamodb:PutItem", products)
    assert not _allowed(by_function, "UsersFunction", "dynamodb:GetItem", orders)

    service_auth = template.ref("ServiceAuthSecret")
    assert _allowed(by_function, "UsersFunction", "secretsmanager:GetSecretValue", service_auth)
    assert not _allowed(by_function, "UsersFunction", "secretsmanager:GetSecretValue", template.ref("WebhookSecret"))
    signing_keys = template.ref("JwtSigningKeysSecret")
    assert _allowed(by_function, "AuthFunction", "secretsmanager:PutSecretValue", signing_keys)
    assert not _allowed(by_function, "AuthFunction", "secretsmanager:PutSecretValue", service_auth)

    webhooks = template.arn("PaymentWebhooksQueue")
    assert _allowed(by_function, "PaymentsWebhookFunction", "sqs:SendMessage", webhooks)
    assert not _allowed(by_function, "PaymentsWebhookFunction", "sqs:ReceiveMessage", webhooks)
    assert _allowed(by_function, "AdminFunction", "sqs:ReceiveMessage", template.arn("AuditDLQ"))

    bus = template.arn("PlatformEventBus")
    assert _allowed(by_function, "ProductsFunction", "events:PutEvents", bus)
    assert not _allowed(by_function, "ReservationSweepFunction", "events:PutEvents", bus)

    sender = "arn:aws:ses:us-east-1:123456789012:identity/no-reply@meridian.example.com"
    assert _allowed(by_function, "OrderEmailFunction", "ses:SendEmail", sender)
    assert not _allowed(by_function, "OrdersFunction", "ses:SendEmail", sender)

    parameter = "arn:aws:ssm:us-east-1:123456789012:parameter/meridian/api-base-url"
    assert _allowed(by_function, "ProductsFunction", "ssm:GetParameter", parameter)
    assert _allowed(by_function, "AuthEmailFunction", "ssm:GetParameter", parameter)      # the locale registry
    assert not _allowed(by_function, "ReservationSweepFunction", "ssm:GetParameter", parameter)
