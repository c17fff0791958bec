"""The gateway's merged OpenAPI document: every service's /api/v1/<service>/openapi.json in one."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path


def merge(documents: dict[str, dict], *, title: str = "Meridian API", version: str = "1.0.0") -> dict:
    """One OpenAPI 3 document with the paths (and component schemas) of every service's."""
    merged: dict = {"openapi": "3.0.3", "info": {"title": title, "version": version}, "paths": {},
                    "tags": [], "components": {"schemas": {}}}
    for service, document in sorted(documents.items()):
        merged["tags"].append({"name": service, "description": document.get("info", {}).get("title", service)})
        for path, item in document.get("paths", {}).items():
            merged["paths"].setdefault(path, {}).update(item)
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            merged["components"]["schemas"][name] = schema
    if not merged["components"]["schemas"]:
        del merged["components"]
    return merged


def write_merged(services: list[str], fetch: Callable[[str], dict], destination: Path) -> dict:
    """Fetch each service's document (fetch(path) → JSON), merge, and write atomically."""
    documents = {service: fetch(f"/api/v1/{service}/openapi.json") for service in services}
    merged = merge(documents)
    partial = destination.with_suffix(".partial")
    partial.write_text(json.dumps(merged, indent=1, sort_keys=True), encoding="utf-8")
    partial.replace(destination)
    return merged
