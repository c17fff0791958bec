"""The common layer's RBAC decorator: customer < admin < super_admin."""
import pytest
from meridian.api import ServiceApp
from meridian.auth import ROLES, require_role, role_at_least

from tests.lambda_testing import ApiClient


@pytest.fixture
def rbac_app():
    app = ServiceApp("demo")
    for minimum in ROLES:
        def view(minimum=minimum):
            return {"needed": minimum}

        view.__name__ = view.__doc__ = f"needs_{minimum}"
        app.route(f"/{minimum}", methods=["GET"])(require_role(minimum)(view))
    return ApiClient(app)


@pytest.mark.parametrize("role,allowed", [
    ("customer", {"customer"}),
    ("admin", {"customer", "admin"}),
    ("super_admin", {"customer", "admin", "super_admin"}),
])
def test_each_role_includes_the_ones_before(auth, rbac_app, role, allowed):
    user_id = auth.registered(f"{role}@example.com")
    from auth import directory

    directory.set_role(user_id, role)
    token = auth.login(f"{role}@example.com").json["access_token"]
    for minimum in ROLES:
        response = rbac_app.get(f"/api/v1/demo/{minimum}", headers={"Authorization": f"Bearer {token}"})
        assert response.status == (200 if minimum in allowed else 403), (role, minimum)
        if response.status == 403:
            assert response.headers["content-type"] == "application/problem+json"


def test_no_token_is_401_not_403(rbac_app):
    response = rbac_app.get("/api/v1/demo/admin")
    assert response.status == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_role_order():
    assert role_at_least("super_admin", "admin") and not role_at_least("admin", "super_admin")
    assert not role_at_least("intruder", "customer")
    with pytest.raises(ValueError):
        require_role("root")
