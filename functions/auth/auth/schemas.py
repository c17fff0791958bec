"""Request bodies of the auth API (marshmallow; failures become 400 with per-field errors)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema
from meridian.auth import ROLES

from . import passwords

EMAIL_MAX = 254


class _Strict(Schema):
    class Meta:
        ordered = True


class Email(fields.Email):
    """An e-mail address, surrounding white space ignored."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.strip()
        return super()._deserialize(value, attr, data, **kwargs)


def _no_control_characters(value: str) -> None:
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValidationError("Must not contain control characters.")


class RegisterSchema(_Strict):
    email = Email(required=True, validate=validate.Length(max=EMAIL_MAX))
    password = fields.String(required=True)
    name = fields.String(load_default=None, allow_none=True,
                         validate=[validate.Length(min=1, max=100), _no_control_characters])
    locale = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=2, max=35))
    currency = fields.String(load_default=None, allow_none=True, validate=validate.Length(equal=3))

    @validates_schema(skip_on_field_errors=False)
    def password_policy(self, data, **kwargs):
        if "password" not in data:
            return  # already reported as missing or not a string
        problems = passwords.policy_problems(data["password"], email=data.get("email"))
        if problems:
            raise ValidationError(problems, field_name="password")


class LoginSchema(_Strict):
    email = fields.String(required=True, validate=validate.Length(min=1, max=EMAIL_MAX))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class TokenSchema(_Strict):
    token = fields.String(required=True, validate=validate.Length(min=1, max=256))


class ForgotPasswordSchema(_Strict):
    email = Email(required=True, validate=validate.Length(max=EMAIL_MAX))


class ResetPasswordSchema(_Strict):
    token = fields.String(required=True, validate=validate.Length(min=1, max=256))
    password = fields.String(required=True)

    @validates("password")
    def password_policy(self, value, **kwargs):
        problems = passwords.policy_problems(value)
        if problems:
            raise ValidationError(problems)


class SetRoleSchema(_Strict):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
