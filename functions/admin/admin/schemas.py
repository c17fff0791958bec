"""Input schemas of the admin API."""
from marshmallow import Schema, fields, validate
from meridian.auth import ROLES


class RoleChangeSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class RedriveSchema(Schema):
    queue = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    max_messages = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    message_id = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
