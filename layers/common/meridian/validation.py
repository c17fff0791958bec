"""Marshmallow helpers: every input goes through a schema; failures become 400 per field."""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import ValidationFailed

if TYPE_CHECKING:
    from marshmallow import Schema  # marshmallow loads with the first schema, not on a cold start


def has_control_characters(text: str) -> bool:
    """C0 and C1 control characters (CR, LF, NUL, ESC, …): never inside a one-line field."""
    return any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in text)


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                name = prefix or "_schema"
            for k, v in _flatten(value, name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out[prefix or "_schema"] = list(messages)
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            for k, v in _flatten(value, f"{prefix}.{index}" if prefix else str(index)).items():
                out.setdefault(k, []).extend(v)
    else:
        out[prefix or "_schema"] = [str(messages)]
    return out


def load(schema: Schema, data: Any, *, partial: bool = False) -> Any:
    """Validate and deserialize `data`, raising ValidationFailed (400) with per-field errors."""
    from marshmallow import ValidationError  # already loaded: `schema` is a marshmallow Schema

    if data is None:
        raise ValidationFailed({"_schema": ["A JSON object body is required."]})
    try:
        return schema.load(data, partial=partial)
    except ValidationError as exc:
        raise ValidationFailed(_flatten(exc.messages)) from None
