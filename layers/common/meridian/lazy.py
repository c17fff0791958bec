"""Lazy imports for the cold-start path (tests/bench/bench_foundation.py: cold start ≤ 1.5 × bare boto3).

    schemas = lazy_module("products.schemas")   # nothing runs yet
    schemas.ReservationSchema()                  # the module (and marshmallow) load here, once

The module is found at once (a typo still fails at import) but its code runs on the first
attribute access. Unlike importlib.util.LazyLoader (not thread-safe on Python 3.11: a
second thread can see a half-run module), the proxy imports under a lock through the
ordinary import system. Use it for modules that only some requests need and that are
costly to import.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from types import ModuleType
from typing import Any

_proxies: dict[str, _LazyModule] = {}


class _LazyModule:
    def __init__(self, name: str):
        self.__dict__.update(_name=name, _module=None, _lock=threading.Lock())

    def _load(self) -> ModuleType:
        if self._module is None:
            with self._lock:
                if self._module is None:
                    self.__dict__["_module"] = importlib.import_module(self._name)
        return self._module

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._load(), attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}{' (loaded)' if self._module else ''}>"


def lazy_module(name: str) -> Any:
    """`name` as an object whose module code runs on first attribute access (the module itself if imported)."""
    if name in sys.modules:
        return sys.modules[name]
    if name not in _proxies:
        if importlib.util.find_spec(name) is None:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        _proxies[name] = _LazyModule(name)
    return _proxies[name]


def load_all() -> list[str]:
    """Run every lazy module's code now (a warm-up: what provisioned concurrency does before the first request);
    the names loaded."""
    for proxy in list(_proxies.values()):
        proxy._load()
    return sorted(_proxies)
