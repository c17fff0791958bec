"""Lazy imports for the cold-start path (tests/bench/bench_foundation.py: cold start ≤ 1.5 × bare boto3).

    schemas = lazy_module("products.schemas")   # nothing runs yet
    schemas.ReservationSchema()                  # the module (and marshmallow) load here, once

The module is found at once (a typo still fails at import) but its code runs on the first
attribute access: the standard library's importlib.util.LazyLoader, as in its docs.
Use it for modules that only some requests need and that are costly to import.
"""
from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    """`name` as a module object whose code runs on first attribute access (or at once if already imported)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)   # as a normal import binds a submodule on its package
    spec.loader.exec_module(module)
    return module
