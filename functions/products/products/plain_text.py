"""The one rule for text fields (names, descriptions, attribute values): plain text only.

Text is stored and returned exactly as plain text in JSON; clients must escape it when
they render it (it is never HTML). Input that looks like markup is REJECTED (400 with
the field named), not silently altered, so what an admin typed is what shoppers see:

* an HTML/XML tag, comment, doctype or processing instruction: `<` followed by a letter,
  `/`, `!` or `?` (so "3 < 5" and "<3" are fine, "<b>" and "</p>" are not);
* a character reference such as `&amp;`, `&#60;` or `&#x3c;` (a bare "&" is fine);
* control characters (newlines and tabs are allowed in descriptions only).

Text is NFC-normalised and stripped of surrounding whitespace.
"""
from __future__ import annotations

import re
import unicodedata

from marshmallow import ValidationError, fields

_TAG = re.compile(r"<\s*[A-Za-z/!?]")
_CHAR_REF = re.compile(r"&(#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);")
_CONTROL_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_MULTI_LINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")

HTML_MESSAGE = "HTML is not allowed here; send plain text."


def clean(value: str, *, multiline: bool = False) -> str:
    """The text as it will be stored, or ValidationError explaining the rule it breaks."""
    if not isinstance(value, str):
        raise ValidationError("Must be a string.")
    text = unicodedata.normalize("NFC", value).strip()
    if multiline:
        text = text.replace("\r\n", "\n")
    if _TAG.search(text) or _CHAR_REF.search(text):
        raise ValidationError(HTML_MESSAGE)
    control = _CONTROL_MULTI_LINE if multiline else _CONTROL_SINGLE_LINE
    if control.search(text):
        raise ValidationError("Control characters are not allowed." if multiline else
                              "Line breaks and control characters are not allowed.")
    return text


def openapi(*, min_length: int, max_length: int, multiline: bool) -> dict:
    """The rule as an OpenAPI (JSON schema) string: no markup, no character references, no control characters."""
    allowed = r"[^\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]" if multiline else r"[^\x00-\x1f\x7f-\x9f\u2028\u2029]"
    body = rf"{allowed}*[^\s\x00-\x1f\x7f-\x9f\u2028\u2029]{allowed}*" if min_length else rf"{allowed}*"
    pattern = rf"^(?!.*<\s*[A-Za-z/!?])(?!.*&(#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);){body}$"
    return {"minLength": min_length, "maxLength": max_length, "pattern": pattern,
            "description": "Plain text (no HTML, no character references)."}


class PlainText(fields.String):
    """A marshmallow string field that applies `clean` and a length range (after cleaning)."""

    def __init__(self, *, min_length: int = 0, max_length: int = 200, multiline: bool = False, **kwargs):
        kwargs.setdefault("metadata", {}).update(openapi(min_length=min_length, max_length=max_length,
                                                         multiline=multiline))
        super().__init__(**kwargs)
        self.min_length, self.max_length, self.multiline = min_length, max_length, multiline

    def _deserialize(self, value, attr, data, **kwargs):
        text = clean(super()._deserialize(value, attr, data, **kwargs), multiline=self.multiline)
        if len(text) < self.min_length:
            raise ValidationError("Must not be empty." if self.min_length == 1 else
                                  f"Must be at least {self.min_length} characters.")
        if len(text) > self.max_length:
            raise ValidationError(f"Must be at most {self.max_length} characters.")
        return text
