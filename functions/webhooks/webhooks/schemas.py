"""Input schemas of the webhooks API, and what it answers (for its OpenAPI document)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates
from meridian.fields import Answer, PageQuerySchema, StrictBoolean
from meridian.validation import has_control_characters

from .catalog import ALL, EVENT_TYPES, SUBSCRIBABLE
from .targets import MAX_URL_LENGTH

STATUSES = ("pending", "retrying", "delivered", "failed")


class OneLine(fields.String):
    OPENAPI = {"type": "string", "maxLength": 200}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if has_control_characters(text):
            raise ValidationError("Must be one line without control characters.")
        return text


def _events_field(**kwargs):
    return fields.List(fields.String(validate=validate.OneOf(SUBSCRIBABLE)),
                       validate=validate.Length(min=1, max=len(SUBSCRIBABLE)),
                       metadata={"description": f'Event types ("{ALL}": every one, those added later too).',
                                 "example": ["order.placed", "order.paid"]}, **kwargs)


def _url_field(**kwargs):
    return fields.String(validate=validate.Length(min=1, max=MAX_URL_LENGTH),
                         metadata={"description": "https only; a public address (private, loopback and link-local "
                                                  "addresses are refused).",
                                   "example": "https://merchant.example.com/hooks/meridian"}, **kwargs)


class EndpointCreateSchema(Schema):
    OPENAPI_EXAMPLE = {"url": "https://merchant.example.com/hooks/meridian", "events": ["order.placed", "order.paid"],
                       "description": "ERP sync"}

    url = _url_field(required=True)
    events = _events_field(required=True)
    description = OneLine(load_default=None, allow_none=True, validate=validate.Length(max=200))


class EndpointUpdateSchema(Schema):
    OPENAPI_EXAMPLE = {"enabled": True}

    url = _url_field()
    events = _events_field()
    description = OneLine(allow_none=True, validate=validate.Length(max=200))
    enabled = StrictBoolean()

    @validates("url")
    def _not_blank(self, value, **kwargs):
        if not value.strip():
            raise ValidationError("Must not be blank.")


class EndpointsQuery(PageQuerySchema):
    pass


class DeliveriesQuery(PageQuerySchema):
    pass


# ---------------------------------------------------------------------------- answers
class EndpointAnswer(Answer):
    id = fields.String(required=True)
    url = fields.String(required=True)
    events = fields.List(fields.String(metadata={"enum": list(SUBSCRIBABLE)}), required=True)
    description = fields.String(required=True, allow_none=True)
    enabled = fields.Boolean(required=True)
    disabled_reason = fields.String(required=True, allow_none=True)
    disabled_at = fields.String(required=True, allow_none=True)
    failing_since = fields.String(required=True, allow_none=True,
                                  metadata={"description": "The first failed attempt since the last success."})
    last_success_at = fields.String(required=True, allow_none=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)


class EndpointCreatedAnswer(EndpointAnswer):
    secret = fields.String(required=True, metadata={
        "description": "The signing secret (whsec_…): shown this once, never again.", "example": "whsec_…"})


class AttemptAnswer(Answer):
    at = fields.String(required=True)
    status_code = fields.Integer(required=True, allow_none=True)
    response_excerpt = fields.String(required=True, allow_none=True, metadata={"description": "At most 1 KB."})
    error = fields.String(required=True, allow_none=True)
    duration_ms = fields.Integer(required=True)
    manual = fields.Boolean(required=True)


class DeliveryAnswer(Answer):
    id = fields.String(required=True)
    endpoint_id = fields.String(required=True)
    event_id = fields.String(required=True)
    event_type = fields.String(required=True, metadata={"enum": list(EVENT_TYPES)})
    order_id = fields.String(required=True, allow_none=True)
    order_version = fields.Integer(required=True, allow_none=True)
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    attempts = fields.Integer(required=True)
    last_attempt = fields.Nested(AttemptAnswer, required=True, allow_none=True)
    history = fields.List(fields.Nested(AttemptAnswer), required=True,
                          metadata={"description": "The last attempts, oldest first."})
    next_attempt_at = fields.String(required=True, allow_none=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)
