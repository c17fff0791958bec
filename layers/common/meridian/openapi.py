"""The platform's merged OpenAPI document: every service's /api/v1/<service>/openapi.json in one.

`merge` is the one implementation: the admin function serves `GET /api/v1/openapi.json` with it
(`MergedOpenApi`), on AWS and locally alike (the dev stack checks that route at start).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

# every service with an HTTP API (template.yaml's Api events; a unit test keeps them equal)
SERVICES = ("admin", "auth", "localization", "orders", "payments", "products", "users", "webhooks")
TITLE = "Meridian API"
VERSION = "1.0.0"


def merge(documents: dict[str, dict], *, title: str = TITLE, version: str = VERSION,
          missing: Iterable[str] = ()) -> dict:
    """One OpenAPI 3 document with the paths and components (schemas, responses, security schemes) of
    every service's. `missing`: services whose document could not be had, named in info.description.
    Two services defining one component differently is a bug in their documents: ValueError."""
    merged: dict = {"openapi": "3.0.3", "info": {"title": title, "version": version}, "paths": {},
                    "tags": [], "components": {}}
    for service, document in sorted(documents.items()):
        merged["tags"].append({"name": service, "description": document.get("info", {}).get("title", service)})
        for path, item in document.get("paths", {}).items():
            merged["paths"].setdefault(path, {}).update(item)
        for section, entries in document.get("components", {}).items():
            into = merged["components"].setdefault(section, {})
            for name, value in entries.items():
                if into.setdefault(name, value) != value:
                    raise ValueError(f"components/{section}/{name} differs between services ({service})")
    if not merged["components"]:
        del merged["components"]
    missing = sorted(set(missing))
    if missing:
        merged["info"]["description"] = (f"Incomplete: the API of {', '.join(missing)} did not answer; "
                                         "its paths are missing from this document.")
    return merged


class MergedOpenApi:
    """The merged document as a function serves it: each sibling's document fetched once through
    `meridian.clients.ServiceClient` and kept for the life of the execution environment. A service
    that does not answer is left out (named in info.description) and asked again next time."""

    def __init__(self, own: str, own_document: Callable[[], dict], services: Iterable[str] = SERVICES,
                 fetch: Callable[[str], dict | None] | None = None):
        self.own = own
        self.own_document = own_document      # in process: the function never calls itself over HTTP
        self.services = tuple(services)
        self.fetch = fetch or _fetch_through_client
        self._documents: dict[str, dict] = {}
        self._lock = threading.Lock()

    def document(self) -> dict:
        with self._lock:
            wanted = [s for s in self.services if s != self.own and s not in self._documents]
            if wanted:
                with ThreadPoolExecutor(max_workers=len(wanted)) as pool:
                    for service, document in zip(wanted, pool.map(self._fetch_one, wanted), strict=True):
                        if document is not None:
                            self._documents[service] = document
            documents = dict(self._documents)
        if self.own in self.services:
            documents[self.own] = self.own_document()
        missing = [s for s in self.services if s not in documents]
        return merge(documents, missing=missing)

    def _fetch_one(self, service: str) -> dict | None:
        try:
            document = self.fetch(service)
        except Exception as error:  # noqa: BLE001 - one sibling down never fails the whole document
            from .observability import logger

            logger.warning("openapi document not available", extra={"service": service, "error": str(error)})
            return None
        return document if isinstance(document, dict) and isinstance(document.get("paths"), dict) else None

    def forget(self) -> None:
        with self._lock:
            self._documents.clear()


def _fetch_through_client(service: str) -> dict | None:
    from .clients import ServiceClient

    return ServiceClient(service, attempts=1).get("/openapi.json").result("send its OpenAPI document", shape=dict)

