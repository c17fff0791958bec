"""Every service's OpenAPI document (meridian.apidoc): valid OpenAPI 3, public routes only, each with its
contract (bodies, queries, answers, errors, security), the webhook documented, and the merged document.
A route added without its contract fails here, so the documents cannot silently fall behind the routes."""
from __future__ import annotations

import inspect
import re
import sys

import pytest
from meridian import apidoc
from meridian.api import ServiceApp
from meridian.auth import require_role
from meridian.openapi import SERVICES, merge
from meridian.service_auth import require_service
from openapi_spec_validator import validate

FUNCTIONS = {"admin": "AdminFunction", "auth": "AuthFunction", "localization": "LocalizationFunction",
             "orders": "OrdersFunction", "payments": "PaymentsFunction", "products": "ProductsFunction",
             "users": "UsersFunction", "webhooks": "WebhooksFunction"}
METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture
def documents(load_function) -> dict[str, tuple[ServiceApp, dict]]:
    found = {}
    for service, function in FUNCTIONS.items():
        app = load_function(function)
        found[service] = (app, app.openapi_document())
    return found


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_every_service_with_an_api_is_documented():
    assert sorted(FUNCTIONS) == sorted(SERVICES)


def test_each_document_is_valid_openapi_3_with_public_routes_only(documents):
    for service, (app, document) in documents.items():
        validate(document)
        assert document["openapi"].startswith("3.")
        assert not [p for p in document["paths"] if "/internal/" in p], service
        assert apidoc.undocumented(app) == [], f"{service}: routes without a documented answer"
        documented = {(p, m.upper()) for p, m, _ in operations(document)}
        for path, methods in app.routes.items():
            for method, entry in methods.items():
                internal = apidoc.is_internal(entry.view_function)
                assert ((path, method) in documented) != internal, (service, method, path)


def test_internal_routes_exist_and_are_left_out(documents):
    app, document = documents["products"]
    assert any("/internal/" in path for path in app.routes)        # they are routes…
    assert not any("/internal/" in path for path in document["paths"])   # …never documented


def test_bodies_queries_and_answers_carry_schemas_and_examples(documents):
    for service, (_, document) in documents.items():
        for path, method, operation in operations(document):
            label = f"{service}: {method.upper()} {path}"
            success = [s for s in operation["responses"] if s.startswith("2")]
            assert success, label
            for status in success:
                answer = operation["responses"][status]
                assert ("content" in answer) == (status != "204"), label
                if status != "204":
                    assert answer["content"]["application/json"]["schema"], label
            for status, answer in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert answer["$ref"].startswith("#/components/responses/"), label
            if "requestBody" in operation:
                media = operation["requestBody"]["content"]["application/json"]
                assert media["schema"]["$ref"].startswith("#/components/schemas/"), label
                assert media.get("example"), f"{label}: a request body without an example"
                assert {"400", "413", "415"} <= set(operation["responses"]), label


def test_the_contracts_routes_declare_appear(documents):
    _, products = documents["products"]
    create = products["paths"]["/api/v1/products"]["post"]
    assert create["requestBody"]["required"] is True
    assert create["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ProductAdminAnswer"}
    assert {"409", "422"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in create["parameters"])
    listing = products["paths"]["/api/v1/products"]["get"]
    query = {p["name"] for p in listing["parameters"] if p["in"] == "query"}
    assert query == {"locale", "currency", "category", "q", "limit", "cursor", "status"}
    schema = products["components"]["schemas"]["ProductCreate"]
    assert schema["additionalProperties"] is False and {"name", "category", "base_price"} <= set(schema["required"])
    _, orders = documents["orders"]
    page = orders["paths"]["/api/v1/orders"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(page["required"]) == {"items", "next_cursor"}
    cancel = orders["paths"]["/api/v1/orders/{order_id}/cancel"]["post"]
    assert cancel["requestBody"]["required"] is False and "404" in cancel["responses"]
    _, auth = documents["auth"]
    assert auth["paths"]["/api/v1/auth/logout"]["post"]["responses"]["204"] == {"description": "Done (no body)."}


def test_query_schemas_name_what_the_routes_accept(documents):
    """`app.query_params(...)` refuses what it does not name: the documented query must name the same."""
    for service, (app, document) in documents.items():
        for path, methods in app.routes.items():
            for method, entry in methods.items():
                source = inspect.getsource(inspect.unwrap(entry.view_function))
                named = re.search(r"query_params\(([^)]*)\)", source)
                if not named or apidoc.is_internal(entry.view_function):
                    continue
                accepted = set(re.findall(r'"([^"]+)"', named.group(1)))
                operation = document["paths"][path][method.lower()]
                documented = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
                assert documented == accepted, (service, method, path)


def test_bearer_security_follows_the_routes_roles(documents):
    for service, (app, document) in documents.items():
        schemes = document["components"]["securitySchemes"]
        assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                                         "description": schemes["bearerAuth"]["description"]}
        for path, methods in app.routes.items():
            for method, entry in methods.items():
                if apidoc.is_internal(entry.view_function):
                    continue
                operation = document["paths"][path][method.lower()]
                role = apidoc.required_role(entry.view_function)
                label = (service, method, path)
                if role:
                    assert operation["security"] == [{"bearerAuth": []}], label
                    assert operation["x-required-role"] == role and "401" in operation["responses"], label
                    if role != "customer":
                        assert "403" in operation["responses"], label
                elif operation["security"]:
                    assert operation["security"] == [{}, {"bearerAuth": []}], label   # optional: a token is read
                    assert "401" in operation["responses"], label
    _, users = documents["users"]
    assert users["paths"]["/api/v1/users/me"]["get"]["security"] == [{"bearerAuth": []}]
    _, admin = documents["admin"]
    assert "403" in admin["paths"]["/api/v1/admin/dashboard"]["get"]["responses"]
    _, localization = documents["localization"]
    assert localization["paths"]["/api/v1/localization/locales"]["get"]["security"] == []


def test_the_payment_webhook_is_documented(documents):
    from payments.signature import HEADER, WEBHOOK_PATH

    from infra.harness.config import FUNCTION_URL_PATHS

    assert FUNCTION_URL_PATHS["PaymentsWebhookFunction"] == WEBHOOK_PATH       # the one path, locally and here
    _, document = documents["payments"]
    operation = document["paths"][WEBHOOK_PATH]["post"]
    assert [p["name"] for p in operation["parameters"] if p["in"] == "header" and p["required"]] == [HEADER]
    assert operation["requestBody"]["content"]["application/json"]["example"]["type"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/WebhookAnswer"}
    assert "400" in operation["responses"] and operation["security"] == []


def test_the_merged_document_is_valid_and_complete(documents):
    merged = merge({service: document for service, (_, document) in documents.items()})
    validate(merged)
    assert "/webhooks/payments" in merged["paths"] and "/api/v1/openapi.json" in merged["paths"]
    assert {"bearerAuth"} == set(merged["components"]["securitySchemes"])
    assert {"BadRequest", "Unauthorized", "ServiceUnavailable"} <= set(merged["components"]["responses"])
    assert not [p for p in merged["paths"] if "/internal/" in p]


def test_conflicting_components_are_refused():
    first = {"paths": {}, "components": {"schemas": {"Thing": {"type": "object"}}}}
    second = {"paths": {}, "components": {"schemas": {"Thing": {"type": "string"}}}}
    with pytest.raises(ValueError, match="Thing"):
        merge({"a": first, "b": second})


# ---------------------------------------------------------------------------- the rules, on a small app
def make_app():
    app = ServiceApp("demo", schemas="tests.unit.layer.test_openapi_documents")

    @app.route("/things", methods=["POST"], body="ThingSchema", responses={201: "ThingSchema"})
    @require_role("admin")
    def create_thing():
        """Create a thing."""

    @app.route("/things/{thing_id}", methods=["GET"], responses={200: "ThingSchema"})
    def get_thing(thing_id):
        """One thing."""

    @app.route("/internal/things", methods=["GET"], responses={200: "ThingSchema"})
    @require_service("orders")
    def internal_things():
        """Not for the public."""

    return app


def _thing_schema():
    from marshmallow import Schema, fields

    class ThingSchema(Schema):
        OPENAPI_EXAMPLE = {"name": "a thing"}
        name = fields.String(required=True)

    return ThingSchema


ThingSchema = _thing_schema()


def test_a_route_added_without_its_contract_is_reported():
    app = make_app()
    assert apidoc.undocumented(app) == []

    @app.route("/things/{thing_id}", methods=["DELETE"])
    def delete_thing(thing_id):
        """Forgot to say what it answers."""

    assert apidoc.undocumented(app) == ["DELETE /api/v1/demo/things/{thing_id}"]


def test_the_rules_on_a_small_app():
    document = make_app().openapi_document()
    validate(document)
    assert "/api/v1/demo/internal/things" not in document["paths"]
    create = document["paths"]["/api/v1/demo/things"]["post"]
    assert create["security"] == [{"bearerAuth": []}]
    assert set(create["responses"]) == {"201", "400", "401", "403", "413", "415", "429", "503"}
    assert create["requestBody"]["content"]["application/json"]["example"] == {"name": "a thing"}
    read = document["paths"]["/api/v1/demo/things/{thing_id}"]["get"]
    assert read["security"] == [] and set(read["responses"]) == {"200", "404", "414", "429", "503"}
    assert document["components"]["schemas"]["Thing"]["additionalProperties"] is False   # marshmallow's RAISE
    assert "marshmallow" in sys.modules


def test_the_document_is_built_on_first_use_not_on_import(load_function):
    app = load_function("UsersFunction")
    assert app._document is None
    assert app.openapi_document() is app.openapi_document()      # built once, kept
