"""Configuration from environment variables (template.yaml sets them).

A service module reads its settings at import time with `require_env`, so a missing
variable fails the cold start with the variable's name instead of failing later.
"""
from __future__ import annotations

import os


class MissingConfiguration(RuntimeError):
    pass


def require_env(name: str) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        raise MissingConfiguration(f"environment variable {name} is required but not set")
    return value


def optional_env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise MissingConfiguration(f"environment variable {name} must be an integer, got {raw!r}") from exc


def seconds_env(name: str, default: float) -> float:
    """A duration (seconds or hours, as the name says) from the environment; never money."""
    raw = os.environ.get(name)
    if raw in (None, ""):
        return float(default)
    try:
        return float(raw)
    except ValueError as exc:
        raise MissingConfiguration(f"environment variable {name} must be a number, got {raw!r}") from exc
