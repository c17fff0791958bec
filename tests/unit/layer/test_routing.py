"""One path matcher (meridian.routing) for ServiceApp and the local runtime, and one mapping of errors to
problem+json in ServiceApp (no reading of Chalice's error bodies)."""
from __future__ import annotations

from pathlib import Path

import pytest
from chalice import Response
from meridian import routing
from meridian.api import ServiceApp

from infra.localaws.runtime import events
from tests.lambda_testing import ApiClient

LAYER_ROUTING = Path(__file__).resolve().parents[3] / "layers" / "common" / "meridian" / "routing.py"


# ---------------------------------------------------------------------- the matcher
def test_literal_beats_parameter_beats_greedy_whatever_the_order():
    templates = ["/p/{proxy+}", "/p/{id}", "/p/internal"]
    router = routing.Router(templates)
    assert router.match("/p/internal") == ("/p/internal", {})
    assert router.match("/p/42") == ("/p/{id}", {"id": "42"})
    assert router.match("/p/42/images") == ("/p/{proxy+}", {"proxy": "42/images"})
    assert routing.best_match(reversed(templates), "/p/internal") == ("/p/internal", {})
    assert routing.best_match(templates, "/p/42") == ("/p/{id}", {"id": "42"})


def test_specificity_is_read_from_the_left():
    router = routing.Router(["/a/{x}/c", "/a/b/{y}"])
    assert router.match("/a/b/c") == ("/a/b/{y}", {"y": "c"})
    assert routing.best_match(["/a/{x}/c", "/a/b/{y}"], "/a/b/c") == ("/a/b/{y}", {"y": "c"})


def test_parameters_are_decoded_and_a_trailing_slash_matches():
    router = routing.Router(["/users/{user_id}/keys"])
    assert router.match("/users/a%20b/keys/") == ("/users/{user_id}/keys", {"user_id": "a b"})
    assert router.match("/users//keys") is None
    assert router.match("/users/a/b/keys") is None


def test_the_root_template_matches_only_the_root():
    assert routing.best_match(["/"], "/") == ("/", {})
    assert routing.best_match(["/"], "/x") is None


def test_equally_specific_templates_keep_their_order():
    assert routing.Router(["/x/{a}", "/x/{b}"]).match("/x/1") == ("/x/{a}", {"a": "1"})
    assert routing.best_match(["/x/{b}", "/x/{a}"], "/x/1") == ("/x/{b}", {"b": "1"})


def test_the_runtime_uses_the_layers_matcher_without_importing_the_meridian_package():
    from infra.harness import config as harness_config

    events.configure(path_matcher=harness_config.PATH_MATCHER)   # as the harness passes it
    assert Path(events.routing.__file__) == LAYER_ROUTING
    assert events.routing.__name__ != "meridian.routing"
    resources = [events.ApiResource("/api/v1/p/{proxy+}"), events.ApiResource("/api/v1/p/internal", "GET")]
    assert events.match_resource(resources, "/api/v1/p/internal", "GET")[0].path == "/api/v1/p/internal"
    assert events.match_resource(resources, "/api/v1/p/internal", "POST")[0].path == "/api/v1/p/{proxy+}"


# ---------------------------------------------------------------------- errors become problems in one place
def make_app() -> ServiceApp:
    app = ServiceApp("demo")

    @app.route("/echo", methods=["POST"])
    def echo():
        """Chalice parses the body (its BadRequestError on bad JSON)."""
        return app.current_request.json_body

    @app.route("/text", methods=["POST"], content_types=["text/plain"])
    def text():
        """Takes text only."""
        return {"length": len(app.current_request.raw_body)}

    @app.route("/bad-header", methods=["GET"])
    def bad_header():
        """Chalice refuses a header value with a newline after the view answered."""
        return Response(body="{}", headers={"X-Broken": "a\nb"})

    return app


@pytest.fixture
def client():
    return ApiClient(make_app())


def test_a_content_type_the_route_does_not_take_is_a_415_problem(client):
    response = client.request("POST", "/api/v1/demo/echo", body="{}", headers={"Content-Type": "text/plain"})
    assert response.status == 415
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json["detail"] == "Unsupported media type: text/plain"
    assert response.json["type"] == "https://meridian.dev/problems/unsupported-media-type"
    ok = client.request("POST", "/api/v1/demo/text", body="hello",
                        headers={"Content-Type": "text/plain; charset=utf-8"})
    assert ok.status == 200 and ok.json == {"length": 5}
    assert client.request("POST", "/api/v1/demo/text", json={}).status == 415


def test_chalices_own_view_error_is_a_problem_of_its_status(client):
    response = client.request("POST", "/api/v1/demo/echo", body="{not json",
                              headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json["detail"] == "Error Parsing JSON"
    assert response.json["type"] == "https://meridian.dev/problems/bad-request"


def test_chalices_last_resort_answer_is_our_500_problem(client):
    response = client.get("/api/v1/demo/bad-header", headers={"X-Request-Id": "rid-500"})
    assert response.status == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json["type"] == "https://meridian.dev/problems/internal"
    assert response.json["detail"] == "An unexpected error occurred."
    assert response.json["request_id"] == "rid-500"
