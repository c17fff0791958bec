"""The gateway's merged OpenAPI document, written at start for nginx to serve when no function has
the `/api/v1/openapi.json` route. The merge itself is the layer's (layers/common/meridian/openapi.py),
the same one the function serving that route on AWS uses; it needs only the standard library, so
it is loaded from its file without putting the whole layer on this process's path.
"""
from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path

_LAYER_OPENAPI = Path(__file__).resolve().parent.parent / "layers" / "common" / "meridian" / "openapi.py"


def _layer_module():
    name = "_meridian_layer_openapi"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, _LAYER_OPENAPI)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


merge = _layer_module().merge


def write_merged(services: list[str], fetch: Callable[[str], dict], destination: Path) -> dict:
    """Fetch each service's document (fetch(path) → JSON), merge, and write atomically."""
    documents = {service: fetch(f"/api/v1/{service}/openapi.json") for service in services}
    merged = merge(documents)
    partial = destination.with_suffix(".partial")
    partial.write_text(json.dumps(merged, indent=1, sort_keys=True), encoding="utf-8")
    partial.replace(destination)
    return merged
