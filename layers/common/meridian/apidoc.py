"""Each service's OpenAPI 3 document, generated from its routes' contracts and marshmallow schemas.

A route declares its contract beside itself (`ServiceApp.route`):

    @app.route("/", methods=["POST"], body="ProductCreateSchema", responses={201: "ProductAdminSchema"},
               params=[IDEMPOTENCY_KEY], errors=(409, 422))

Schema names are resolved when the document is built (the first GET of openapi.json, never on
import: marshmallow and apispec stay off the cold-start path), in the service's schemas module and
then in `meridian.fields`. Everything else is derived here, once for every service:

* internal routes (`@require_service`) are left out; the routes' roles give the security
  (`require_role` → bearer JWT; `auth="optional"` for routes that read a token when one is sent);
* the error answers a route can give: 400 (a body, query or header to validate), 401 (a token),
  403 (a role above customer), 404 (a path parameter), 413/415 (a JSON body), 429 and 503
  (anywhere) — each `application/problem+json` with the shared `Problem` schema — plus the
  route's own `errors`;
* request bodies are `application/json` with the schema's example (`OPENAPI_EXAMPLE` on the
  schema class), query schemas become query parameters, responses are `application/json`;
* marshmallow schemas that refuse unknown fields (RAISE, marshmallow's default) are
  `additionalProperties: false`; custom fields describe themselves with an `OPENAPI` class
  attribute (merged into the field's JSON schema).

`undocumented(app)` names the public routes without a declared success answer (a unit test keeps
it empty, so documentation cannot silently fall behind the routes).
"""
from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field
from typing import Any

from .errors import PROBLEM_CONTENT_TYPE

JSON = "application/json"
BEARER = "bearerAuth"
SHARED_SCHEMAS = "meridian.fields"

# status → (name of the shared response, description, headers it always or may carry)
ERRORS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The request is invalid (`errors` names each field)."),
    401: ("Unauthorized", "No valid access token (`WWW-Authenticate: Bearer`)."),
    403: ("Forbidden", "The token's role may not do this."),
    404: ("NotFound", "No such resource (or not yours)."),
    409: ("Conflict", "The resource's state does not allow it."),
    413: ("PayloadTooLarge", "The body is too large."),
    414: ("UriTooLong", "The URI (path and query) is too long."),
    415: ("UnsupportedMediaType", "The body is not `application/json`."),
    422: ("Unprocessable", "The Idempotency-Key was used with another request."),
    429: ("TooManyRequests", "Rate limited (`Retry-After`)."),
    503: ("ServiceUnavailable", "A dependency is unavailable (`Retry-After`)."),
}
ALWAYS = (429, 503)
_HEADERS = {
    401: {"WWW-Authenticate": {"required": True, "schema": {"type": "string"}}},
    429: {"Retry-After": {"required": True, "schema": {"type": "string", "pattern": r"^\d+$"}}},
    503: {"Retry-After": {"required": False, "schema": {"type": "string", "pattern": r"^\d+$"}}},
}

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details (every error of the API).",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "example": "https://meridian.dev/problems/validation"},
        "title": {"type": "string", "example": "Validation Failed"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "request_id": {"type": "string", "nullable": True},
        "errors": {"type": "object", "description": "Field → messages (400 validation failures).",
                   "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
}


# ---------------------------------------------------------------------------- what routes declare
@dataclass(frozen=True)
class Body:
    schema: str
    required: bool = True


def optional(schema: str) -> Body:
    """A request body that may be left out (the route treats no body as `{}`)."""
    return Body(schema, required=False)


@dataclass(frozen=True)
class Page:
    """`{"items": [<schema>], "next_cursor": string|null}`: a list route's answer."""
    schema: str


def header(name: str, *, required: bool = False, description: str = "", **schema: Any) -> dict:
    return {"name": name, "in": "header", "required": required, "description": description,
            "schema": {"type": "string", **schema}}


def path_parameter(name: str) -> dict:
    """An id (or slug) in the path: an unknown one is a 404."""
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"^[A-Za-z0-9][A-Za-z0-9_-]*$"}}


def cookie(name: str, *, description: str = "", **schema: Any) -> dict:
    return {"name": name, "in": "cookie", "required": False, "description": description,
            "schema": {"type": "string", **schema}}


ANY_DOCUMENT = {"type": "object", "required": ["openapi", "info", "paths"],
                "description": "An OpenAPI 3 document.", "additionalProperties": True}

# meridian.idempotency.run_once's key: at most 255 characters, trimmed; blank is no key
IDEMPOTENCY_KEY = header("Idempotency-Key", maxLength=255,
                         description="The same key with the same body answers the first result; "
                                     "with another body: 422; while the first runs: its answer, or 409.")
REQUIRED_IDEMPOTENCY_KEY = {**IDEMPOTENCY_KEY, "required": True,
                            "schema": {**IDEMPOTENCY_KEY["schema"], "pattern": r"\S"}}


@dataclass
class Contract:
    body: Body | str | None = None
    query: str | None = None
    responses: dict[int, Any] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    params: tuple[dict, ...] = ()
    auth: str | None = None              # "optional": a token is read when sent (bad one: 401)

    @classmethod
    def from_kwargs(cls, kwargs: dict) -> Contract:
        """Pop the contract's keywords from a route's keyword arguments (the rest are Chalice's)."""
        return cls(body=kwargs.pop("body", None), query=kwargs.pop("query", None),
                   responses=dict(kwargs.pop("responses", {}) or {}), errors=tuple(kwargs.pop("errors", ())),
                   params=tuple(kwargs.pop("params", ())), auth=kwargs.pop("auth", None))


def required_role(view) -> str | None:
    return getattr(view, "__required_role__", None)


def is_internal(view) -> bool:
    return getattr(view, "__service_only__", None) is not None


class _Doc:
    def __init__(self, doc: str):
        self.__doc__ = doc


@dataclass(frozen=True)
class _Entry:
    """What the builder reads of a Chalice route entry, for a documented operation that is not a route."""
    view_function: Any
    view_name: str
    view_args: tuple[str, ...]


def public_routes(app):
    """(path, method, route entry, contract) of every operation the document shows."""
    found = []
    for path, methods in app.routes.items():
        for method, entry in methods.items():
            if not is_internal(entry.view_function):
                found.append((path, method, entry, app.contracts.get((path, method), Contract())))
    for (path, method), (name, summary, contract) in app.extra_routes.items():
        args = tuple(s[1:-1] for s in path.split("/") if s.startswith("{") and s.endswith("}"))
        found.append((path, method, _Entry(_Doc(summary), name, args), contract))
    return sorted(found, key=lambda r: (r[0], r[1]))


def undocumented(app) -> list[str]:
    return [f"{method} {path}" for path, method, _, contract in public_routes(app) if not contract.responses]


# ---------------------------------------------------------------------------- building the document
def _converter_class():
    from apispec.ext.marshmallow import OpenAPIConverter
    from marshmallow import INCLUDE, RAISE

    class Converter(OpenAPIConverter):
        def schema2jsonschema(self, schema):
            jsonschema = super().schema2jsonschema(schema)
            unknown = getattr(getattr(schema, "opts", None), "unknown", None)
            if unknown == RAISE:
                jsonschema["additionalProperties"] = False
            elif unknown == INCLUDE:
                jsonschema["additionalProperties"] = True
            example = getattr(type(schema), "OPENAPI_EXAMPLE", None)
            if example is not None:
                jsonschema["example"] = example
            return jsonschema

    return Converter


def _own_openapi(self, field, ret, **kwargs) -> dict:
    """A custom field's `OPENAPI` class attribute: its JSON schema, over what its base class gives."""
    extra = dict(getattr(type(field), "OPENAPI", None) or {})
    if "pattern" in ret:            # a validator's pattern is the stricter rule: it stays
        extra.pop("pattern", None)
    if "type" in extra or "anyOf" in extra or "oneOf" in extra:
        for key in ("type", "format", "anyOf", "oneOf"):
            ret.pop(key, None)
    if ret.get("nullable") and "anyOf" in extra:
        extra["nullable"] = True
    enum = extra.get("enum", ret.get("enum"))
    if enum is not None and (extra.get("nullable") or ret.get("nullable")) and None not in enum:
        extra["enum"] = [*enum, None]    # OpenAPI 3.0: a nullable enum lists null
    return extra


class _Names:
    def __init__(self, modules: list[str]):
        self.modules = modules

    def __call__(self, name: str):
        for module_name in self.modules:
            found = getattr(importlib.import_module(module_name), name, None)
            if found is not None:
                return found
        raise LookupError(f"schema {name!r} is in none of {', '.join(self.modules)}")


def _schema_name(schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__
    name = name[:-6] if name.endswith("Schema") and len(name) > 6 else name
    modifiers = []
    if not isinstance(schema, type):
        if schema.only:
            modifiers.append("Only" + "".join(sorted(str(f).title() for f in schema.only)))
        if schema.partial:
            modifiers.append("Partial")
    return name + "".join(modifiers)


def _error_statuses(path: str, method: str, view, contract: Contract, role: str | None) -> set[int]:
    statuses = set(ALWAYS) | set(contract.errors)
    if contract.body is not None:
        statuses |= {400, 413, 415}
    if contract.query is not None or any(p.get("required") and p["in"] == "header" for p in contract.params):
        statuses.add(400)
    if role is not None or contract.auth == "optional":
        statuses.add(401)
    if role not in (None, "customer"):
        statuses.add(403)
    if "{" in path:
        statuses.add(404)
    if "{" in path or contract.query is not None:
        statuses.add(414)
    return statuses


def _response(status: int, schema: Any, resolve) -> dict:
    if schema is None:
        return {"description": _SUCCESS.get(status, "Success.")}
    if isinstance(schema, Page):
        content = {"type": "object", "required": ["items", "next_cursor"], "properties": {
            "items": {"type": "array", "items": resolve(schema.schema)},
            "next_cursor": {"type": "string", "nullable": True,
                            "description": "Pass as ?cursor= for the next page; null on the last one."}}}
    elif isinstance(schema, dict):
        content = schema
    else:
        content = resolve(schema)
    return {"description": _SUCCESS.get(status, "Success."), "content": {JSON: {"schema": content}}}


_SUCCESS = {200: "OK.", 201: "Created.", 202: "Accepted.", 204: "Done (no body)."}


def build(app) -> dict:
    """The service's OpenAPI 3.0 document (see the module's documentation)."""
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin

    class Plugin(MarshmallowPlugin):
        Converter = _converter_class()

    plugin = Plugin(schema_name_resolver=_schema_name)
    spec = APISpec(title=app.title, version=app.version, openapi_version="3.0.3", plugins=[plugin],
                   info={"description": f"The {app.service} service of the Meridian API."})
    plugin.converter.add_attribute_function(_own_openapi)
    names = _Names([m for m in (app.schemas_module, SHARED_SCHEMAS) if m])
    spec.components.security_scheme(BEARER, {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                                             "description": "An access token from POST /api/v1/auth/login."})
    spec.components.schema("Problem", PROBLEM_SCHEMA)
    for status, (name, description) in sorted(ERRORS.items()):
        response = {"description": description,
                    "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        if status in _HEADERS:
            response["headers"] = _HEADERS[status]
        spec.components.response(name, response)

    def resolve(name: str):
        return names(name)()

    def resolve_dict(name: str) -> dict:
        return plugin.resolver.resolve_schema_dict(resolve(name))

    for path, method, entry, contract in public_routes(app):
        view = entry.view_function
        role = required_role(view)
        doc = inspect.cleandoc(view.__doc__ or entry.view_name)
        summary, _, description = doc.partition("\n")
        operation: dict[str, Any] = {"operationId": f"{app.service}_{entry.view_name}", "summary": summary,
                                     "tags": [app.service]}
        if description.strip():
            operation["description"] = description.strip()
        declared = {(p["in"], p["name"]) for p in contract.params}
        parameters: list[dict] = [path_parameter(name) for name in entry.view_args if ("path", name) not in declared]
        if contract.query:
            parameters.append({"in": "query", "schema": resolve(contract.query)})
        parameters.extend(contract.params)
        if parameters:
            operation["parameters"] = parameters
        if contract.body is not None:
            body = contract.body if isinstance(contract.body, Body) else Body(contract.body)
            schema = resolve(body.schema)
            media: dict[str, Any] = {"schema": schema}
            example = getattr(type(schema), "OPENAPI_EXAMPLE", None)
            if example is not None:
                media["example"] = example
            operation["requestBody"] = {"required": body.required, "content": {JSON: media}}
        responses = {str(status): _response(status, schema, resolve_dict)
                     for status, schema in sorted(contract.responses.items())}
        for status in sorted(_error_statuses(path, method, view, contract, role)):
            responses.setdefault(str(status), {"$ref": f"#/components/responses/{ERRORS[status][0]}"})
        operation["responses"] = responses
        if role is not None:
            operation["security"] = [{BEARER: []}]
            operation["x-required-role"] = role
        elif contract.auth == "optional":
            operation["security"] = [{}, {BEARER: []}]
        else:
            operation["security"] = []
        spec.path(path=path, operations={method.lower(): operation})
    return spec.to_dict()
