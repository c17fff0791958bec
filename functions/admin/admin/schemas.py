"""Input schemas of the admin API, and what it answers (for its OpenAPI document)."""
from marshmallow import Schema, fields, validate
from meridian.auth import ROLES
from meridian.fields import Answer, PageQuerySchema

from .queues import queues

QUEUE = {"enum": sorted(queues()), "description": "One queue (with its dead-letter queue); default: every one."}


class RoleChangeSchema(Schema):
    OPENAPI_EXAMPLE = {"role": "customer"}

    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class RedriveSchema(Schema):
    OPENAPI_EXAMPLE = {"queue": sorted(queues())[0] if queues() else "orders-events", "max_messages": 10}

    queue = fields.String(load_default=None, validate=validate.Length(min=1, max=64), metadata=QUEUE)
    max_messages = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class UsersQuery(PageQuerySchema):
    email = fields.String(metadata={"description": "E-mails that start with it."})


class AuditQuery(PageQuerySchema):
    action = fields.String(metadata={"example": "user.role_changed"})
    actor = fields.String(metadata={"description": "A user id (or system)."})


class DeadLettersQuery(Schema):
    queue = fields.String(metadata=QUEUE)


# ---------------------------------------------------------------------------- answers
class AccountAnswer(Answer):
    id = fields.String(required=True)
    user_id = fields.String(required=True)
    email = fields.String(required=True)
    role = fields.String(required=True, metadata={"enum": list(ROLES)})
    name = fields.String(required=True, allow_none=True)
    locale = fields.String(required=True, allow_none=True)
    currency = fields.String(required=True, allow_none=True)
    email_verified = fields.Boolean(required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)
    previous_role = fields.String(metadata={"enum": list(ROLES), "description": "When the role changed."})


class AuditEntryAnswer(Answer):
    at = fields.String(required=True)
    actor = fields.String(required=True, metadata={"description": "A user id, or system:<service>."})
    actor_email = fields.String(required=True, allow_none=True)
    action = fields.String(required=True)
    target = fields.String(required=True, metadata={"example": "order:6f1c…"})
    before = fields.Raw(required=True, allow_none=True)
    after = fields.Raw(required=True, allow_none=True)
    request_id = fields.String(required=True, allow_none=True)
    event_id = fields.String(required=True)


class DepthAnswer(Answer):
    visible = fields.Integer(required=True)
    in_flight = fields.Integer(required=True)


class QueueDepthsAnswer(Answer):
    queue = fields.Nested(DepthAnswer, required=True)
    dead_letters = fields.Nested(DepthAnswer, required=True)


class FxFreshnessAnswer(Answer):
    available = fields.Boolean(required=True)
    as_of = fields.String(required=True, allow_none=True)
    source = fields.String(required=True, allow_none=True)
    stale = fields.Boolean(required=True, allow_none=True)


class RevenueAnswer(Answer):
    gross = fields.String(required=True, metadata={"description": "Totals of the orders that were paid."})
    refunded = fields.String(required=True, metadata={"description": "What was refunded of them."})
    net = fields.String(required=True, metadata={"description": "gross − refunded."})


class DashboardAnswer(Answer):
    orders_by_status = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True, allow_none=True)
    revenue = fields.Dict(required=True, allow_none=True, metadata={"description": "Currency → net amount."})
    revenue_breakdown = fields.Dict(keys=fields.String(), values=fields.Nested(RevenueAnswer), required=True,
                                    allow_none=True,
                                    metadata={"description": "Currency → {gross, refunded, net} amounts."})
    fx = fields.Nested(FxFreshnessAnswer, required=True)
    queues = fields.Dict(keys=fields.String(), values=fields.Nested(QueueDepthsAnswer), required=True)


class DeadLetterAnswer(Answer):
    queue = fields.String(required=True)
    message_id = fields.String(required=True)
    body = fields.Raw(required=True, metadata={"description": "The message, secrets redacted."})
    last_error = fields.String(required=True, allow_none=True,
                               metadata={"description": "Why its last attempt failed (null: moved by SQS itself)."})
    failed_at = fields.String(required=True, allow_none=True)
    receive_count = fields.Integer(required=True)
    first_sent_at = fields.String(required=True, allow_none=True)


class DeadLetterListAnswer(Answer):
    items = fields.List(fields.Nested(DeadLetterAnswer), required=True)


class RedriveAnswer(Answer):
    moved = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
