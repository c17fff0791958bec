from meridian.api import ServiceApp
from meridian.errors import NotFound

from tests.lambda_testing import ApiClient


def make_app():
    app = ServiceApp("demo")

    @app.route("/things/{thing_id}", methods=["GET"])
    def get_thing(thing_id):
        """One thing."""
        if thing_id == "missing":
            raise NotFound("no such thing")
        return {"id": thing_id}

    @app.route("/things/special", methods=["GET"])
    def special():
        """The special thing."""
        return {"special": True}

    return app


def test_health_and_request_id_echo():
    client = ApiClient(make_app())
    response = client.get("/api/v1/demo/health", headers={"X-Request-Id": "abc-123"})
    assert response.status == 200
    assert response.json == {"status": "ok", "service": "demo"}
    assert response.headers["x-request-id"] == "abc-123"


def test_proxy_routing_prefers_literal_segments():
    client = ApiClient(make_app())
    assert client.get("/api/v1/demo/things/special").json == {"special": True}
    assert client.get("/api/v1/demo/things/42").json == {"id": "42"}


def test_typed_errors_become_problem_json():
    client = ApiClient(make_app())
    response = client.get("/api/v1/demo/things/missing")
    assert response.status == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json["detail"] == "no such thing"
    assert response.json["status"] == 404
    assert response.json["request_id"]


def test_unknown_route_and_method():
    client = ApiClient(make_app())
    assert client.get("/api/v1/demo/nope/nope/nope").status == 404
    response = client.post("/api/v1/demo/things/1", json={})
    assert response.status == 405
    assert response.json["title"] == "Method Not Allowed"


def test_openapi_lists_routes():
    doc = ApiClient(make_app()).get("/api/v1/demo/openapi.json").json
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/demo/things/{thing_id}" in doc["paths"]


def test_a_warm_up_invocation_loads_what_the_first_request_would_and_routes_nothing(aws, monkeypatch):
    """The local runtime's warm-up event (as a warmer's invocation): lazy modules, the base URL and the service
    secret are read now; it is never an HTTP event, so no route runs."""
    from meridian import api as meridian_api
    from meridian import lazy, service_auth

    read = []
    monkeypatch.setattr(lazy, "load_all", lambda: read.append("lazy") or ["demo.schemas"])
    monkeypatch.setattr(service_auth, "warm", lambda: read.append("secret"))
    app = make_app()
    answer = app({"source": meridian_api.WARM_UP_SOURCE}, None)
    assert answer == {"warmed": "demo", "modules": ["demo.schemas"]}
    assert read == ["lazy"]                     # no internal routes: its role need not read the service secret
    assert ApiClient(app).get("/api/v1/demo/things/a").json == {"id": "a"}

    @app.route("/internal/things", methods=["GET"])
    def internal_things():
        """Siblings only."""
        return {}

    read.clear()
    app({"source": meridian_api.WARM_UP_SOURCE}, None)
    assert read == ["lazy", "secret"]
