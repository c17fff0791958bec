"""Secrets out of what people read: dead letters and audit entries show `redacted(value)`.

Values under secret-bearing keys (client_secret, token, password, secret, api key, authorization,
signature, credential) and strings that look like credentials (a payment intent's
`pi_…_secret_…`, Stripe `sk_`/`rk_`/`whsec_` keys) become "[redacted]".
"""
from __future__ import annotations

import re

REDACTED = "[redacted]"
_SECRET_KEY = re.compile(r"secret|token|password|passwd|api[_-]?key|authorization|signature|credential", re.I)
_SECRET_TEXT = re.compile(r"\bpi_[A-Za-z0-9]+_secret_[A-Za-z0-9]+|\b(?:sk|rk)_(?:test|live)_[A-Za-z0-9]+|"
                          r"\bwhsec_[A-Za-z0-9]+")


def redacted(value: object) -> object:
    """`value` with secrets replaced (see the module's documentation)."""
    if isinstance(value, dict):
        return {k: REDACTED if _SECRET_KEY.search(str(k)) else redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redacted(v) for v in value]
    if isinstance(value, str):
        return _SECRET_TEXT.sub(REDACTED, value)
    return value
