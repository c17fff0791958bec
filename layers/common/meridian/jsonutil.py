"""JSON encoding that keeps money exact (Decimal becomes a string, never a float), and request bodies
parsed within bounds.

`loads_request`: a body nested deeper than MAX_DEPTH (32) or holding more than MAX_ELEMENTS (10,000)
values is refused before it is parsed. Python's parser recurses once per level: 1,000 levels (a
2 KB body) raise RecursionError, which no handler expects (a 500, or a 502 at a function URL), and
element counts bound the memory a small body can ask for. The check strips strings with one regular
expression and counts brackets and commas, so it costs a small fraction of the parse itself. No
request of the API comes near either bound (the deepest, a product with variants, nests 4 levels).
"""
from __future__ import annotations

import datetime as _dt
import json
import re
import uuid
from decimal import Decimal
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> str:
    return json.dumps(value, default=_default, ensure_ascii=False, separators=(",", ":"))


MAX_DEPTH = 32
MAX_ELEMENTS = 10_000
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_STRUCTURE = re.compile(r"[\[\]{},]")


class JsonTooComplex(ValueError):
    """A body beyond the bounds: its message says which, for a 400."""


def check_bounds(text: str, *, max_depth: int = MAX_DEPTH, max_elements: int = MAX_ELEMENTS) -> None:
    depth = elements = 0
    for mark in _STRUCTURE.findall(_STRING.sub('""', text)):
        if mark in "[{":
            depth += 1
            if depth > max_depth:
                raise JsonTooComplex(f"The JSON body nests deeper than {max_depth} levels.")
        elif mark in "]}":
            depth -= 1
        else:
            elements += 1
            if elements >= max_elements:
                raise JsonTooComplex(f"The JSON body holds more than {max_elements} values.")


def loads_request(raw: str | bytes) -> Any:
    """A request body parsed as JSON within the bounds above; ValueError (JsonTooComplex when out of bounds)."""
    text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
    check_bounds(text)
    try:
        return json.loads(text)
    except RecursionError:                       # cannot happen within MAX_DEPTH; never a 500 if it did
        raise JsonTooComplex("The JSON body nests too deeply.") from None
