"""Every admin action is on the audit trail: ServiceApp records a 2xx to any non-GET an admin or
super_admin makes, without the view doing anything (meridian.audit)."""
import pytest
from meridian import audit, events
from meridian.api import ServiceApp, json_response
from meridian.auth import require_role

from tests.lambda_testing import ApiClient, TokenFactory


@pytest.fixture
def published(monkeypatch):
    sent = []
    monkeypatch.setattr(events, "publish", lambda *event: sent.append(event))
    return sent


@pytest.fixture
def tokens():
    return TokenFactory()


def make_app():
    app = ServiceApp("demo")

    @app.route("/things/{thing_id}/ship", methods=["POST"])
    @require_role("customer")
    def ship_thing(thing_id):
        """Ship a thing (plain: the default record)."""
        return {"id": thing_id, "status": "shipped", "client_secret": "pi_1_secret_x"}

    @app.route("/things/{thing_id}", methods=["PUT"])
    @require_role("admin")
    def rename_thing(thing_id):
        """Rename (describes itself)."""
        audit.describe(action="thing.renamed", target=f"thing:{thing_id}", before={"name": "a"}, after={"name": "b"})
        return json_response(None, 204)

    @app.route("/things", methods=["POST"])
    @require_role("admin")
    def huge():
        """A huge answer."""
        if app.json_body():
            return json_response({"refused": True}, 409)
        return {"blob": "x" * (audit.MAX_RECORD_BYTES + 1)}

    @app.route("/things/{thing_id}", methods=["GET"])
    @require_role("admin")
    def get_thing(thing_id):
        """Read."""
        return {"id": thing_id}

    return app


def test_an_admins_non_get_is_recorded_with_actor_request_and_redacted_after(published, tokens):
    client = ApiClient(make_app())
    response = client.post("/api/v1/demo/things/t1/ship", headers={
        **tokens.header(sub="adm-1", role="admin", email="ada@example.com"), "X-Request-Id": "req-42"})
    assert response.status == 200
    [(source, detail_type, detail)] = published
    assert (source, detail_type) == ("demo", "admin.action")
    assert detail == {"action": "demo.ship_thing", "target": "thing:t1", "actor": "adm-1",
                      "actor_email": "ada@example.com", "actor_role": "admin", "before": None,
                      "after": {"id": "t1", "status": "shipped", "client_secret": "[redacted]"},
                      "request_id": "req-42", "request": "POST /api/v1/demo/things/{thing_id}/ship", "status": 200}


def test_what_the_domain_describes_is_recorded(published, tokens):
    client = ApiClient(make_app())
    assert client.put("/api/v1/demo/things/t2", headers=tokens.header(role="super_admin")).status == 204
    [(_, _, detail)] = published
    assert (detail["action"], detail["target"], detail["before"], detail["after"], detail["actor_role"]) == (
        "thing.renamed", "thing:t2", {"name": "a"}, {"name": "b"}, "super_admin")


def test_customers_reads_and_refusals_are_not_admin_actions(published, tokens):
    client = ApiClient(make_app())
    assert client.post("/api/v1/demo/things/t1/ship", headers=tokens.header(role="customer")).status == 200
    assert client.get("/api/v1/demo/things/t1", headers=tokens.header(role="admin")).status == 200
    assert client.put("/api/v1/demo/things/t1", headers=tokens.header(role="customer")).status == 403
    assert client.post("/api/v1/demo/things", headers=tokens.header(role="admin"), json={"x": 1}).status == 409
    assert published == []


def test_a_record_too_large_for_an_event_keeps_its_size_only(published, tokens):
    client = ApiClient(make_app())
    assert client.post("/api/v1/demo/things", headers=tokens.header(role="admin")).status == 200
    [(_, _, detail)] = published
    size, limit = audit.MAX_RECORD_BYTES + 19, audit.MAX_RECORD_BYTES
    assert detail["before"] is None and detail["after"] == {"omitted": f"{size} bytes, over {limit}"}


def test_a_bus_that_refuses_does_not_undo_the_answer(monkeypatch, tokens):
    calls = []

    def refuse(*args):
        calls.append(args)
        raise RuntimeError("bus down")

    monkeypatch.setattr(events, "publish", refuse)
    client = ApiClient(make_app())
    assert client.post("/api/v1/demo/things/t1/ship", headers=tokens.header(role="admin")).status == 200
    assert len(calls) == 3      # tried three times, then logged and counted; the change stands
