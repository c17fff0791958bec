"""Request bodies of the auth API (marshmallow; failures become 400 with per-field errors), and what it
answers (for its OpenAPI document)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema
from meridian.auth import ROLES
from meridian.fields import Answer, Email, PreferredCurrency, PreferredLocale

from . import passwords

EMAIL_MAX = 254
PASSWORD = {"description": (f"{passwords.MIN_LENGTH} to {passwords.MAX_LENGTH} characters, at least three different "
                            "ones, not a common password, not the e-mail address."),
            "minLength": passwords.MIN_LENGTH, "maxLength": passwords.MAX_LENGTH, "example": "correct horse battery"}


class _Strict(Schema):
    class Meta:
        ordered = True


def _no_control_characters(value: str) -> None:
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValidationError("Must not contain control characters.")


class RegisterSchema(_Strict):
    OPENAPI_EXAMPLE = {"email": "ada@example.com", "password": "correct horse battery", "name": "Ada Lovelace",
                       "locale": "en-GB", "currency": "GBP"}

    email = Email(required=True, validate=validate.Length(max=EMAIL_MAX))
    password = fields.String(required=True, metadata=PASSWORD)
    name = fields.String(load_default=None, allow_none=True,
                         validate=[validate.Length(min=1, max=100), _no_control_characters],
                         metadata={"pattern": r"^[^\x00-\x1f\x7f]+$"})
    locale = PreferredLocale(load_default=None, allow_none=True)
    currency = PreferredCurrency(load_default=None, allow_none=True)

    @validates_schema(skip_on_field_errors=False)
    def password_policy(self, data, **kwargs):
        if "password" not in data:
            return  # already reported as missing or not a string
        problems = passwords.policy_problems(data["password"], email=data.get("email"))
        if problems:
            raise ValidationError(problems, field_name="password")


class LoginSchema(_Strict):
    OPENAPI_EXAMPLE = {"email": "ada@example.com", "password": "correct horse battery"}

    email = fields.String(required=True, validate=validate.Length(min=1, max=EMAIL_MAX))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class TokenSchema(_Strict):
    OPENAPI_EXAMPLE = {"token": "kP3x0V7yq2m4Jb1sQ9wZ5tN8rL6hD0aF2cE4gI6kM8o"}

    token = fields.String(required=True, validate=validate.Length(min=1, max=256))


class ForgotPasswordSchema(_Strict):
    OPENAPI_EXAMPLE = {"email": "ada@example.com", "locale": "ja"}

    email = Email(required=True, validate=validate.Length(max=EMAIL_MAX))
    # the language of the page that asks: the reset e-mail is written in it (else the account's, else en)
    locale = PreferredLocale(load_default=None, allow_none=True)


class ResetPasswordSchema(_Strict):
    OPENAPI_EXAMPLE = {"token": "kP3x0V7yq2m4Jb1sQ9wZ5tN8rL6hD0aF2cE4gI6kM8o", "password": "correct horse battery"}

    token = fields.String(required=True, validate=validate.Length(min=1, max=256))
    password = fields.String(required=True, metadata=PASSWORD)

    @validates("password")
    def password_policy(self, value, **kwargs):
        problems = passwords.policy_problems(value)
        if problems:
            raise ValidationError(problems)


class SetRoleSchema(_Strict):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


# ---------------------------------------------------------------------------- answers
class RegisteredAnswer(Answer):
    user_id = fields.String(required=True)
    email = fields.String(required=True)


class AccessTokenAnswer(Answer):
    access_token = fields.String(required=True, metadata={"description": "A JWT (EdDSA or RS256, `kid` header)."})
    token_type = fields.String(required=True, metadata={"enum": ["Bearer"]})
    expires_in = fields.Integer(required=True, metadata={"description": "Seconds (at most 900)."})


class AcceptedAnswer(Answer):
    status = fields.String(required=True, metadata={"enum": ["accepted"]})


class PublicKeyAnswer(Answer):
    kty = fields.String(required=True)
    kid = fields.String(required=True)
    alg = fields.String(required=True)
    use = fields.String(required=True, metadata={"enum": ["sig"]})


class KeySetAnswer(Answer):
    keys = fields.List(fields.Nested(PublicKeyAnswer), required=True)
