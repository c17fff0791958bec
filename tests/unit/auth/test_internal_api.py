"""The internal API the admin service (and other services) use: service-signed calls only."""
from tests.lambda_testing import service_headers


def _signed(service, method, path):
    """Signed by `service` over this method and path, and the query and body the client sends."""
    return service_headers(service, method, path)


def test_list_users_needs_the_admin_service(auth):
    auth.registered("listed@example.com")
    path = "/api/v1/auth/internal/users"
    assert auth.client.get(path).status == 401
    assert auth.client.get(path, headers=_signed("orders", "GET", path)).status == 403
    bearer = auth.login("listed@example.com").json["access_token"]
    assert auth.client.get(path, headers={"Authorization": f"Bearer {bearer}"}).status == 401
    response = auth.client.get(path, headers=_signed("admin", "GET", path))
    assert response.status == 200
    assert [u["email"] for u in response.json["items"]] == ["listed@example.com"]
    assert "password_hash" not in response.text and "argon2" not in response.text


def test_list_users_pages_in_email_order(auth):
    for name in ("carol", "alice", "bob", "dave", "erin"):
        auth.registered(f"{name}@example.com")
    path = "/api/v1/auth/internal/users"
    seen, cursor = [], None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = auth.client.get(path, query=query, headers=_signed("admin", "GET", path)).json
        assert len(page["items"]) <= 2
        seen += [u["email"] for u in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen) and len(seen) == 5
    filtered = auth.client.get(path, query={"email": "ER"}, headers=_signed("admin", "GET", path)).json
    assert [u["email"] for u in filtered["items"]] == ["erin@example.com"]
    bad = auth.client.get(path, query={"cursor": "forged"}, headers=_signed("admin", "GET", path))
    assert bad.status == 400 and "cursor" in bad.json["errors"]


def test_set_role(auth):
    user_id = auth.registered("role@example.com")
    path = f"/api/v1/auth/internal/users/{user_id}/role"
    assert auth.client.put(path, json={"role": "admin"}).status == 401
    assert auth.client.put(path, json={"role": "admin"}, headers=_signed("users", "PUT", path)).status == 403
    invalid = auth.client.put(path, json={"role": "root"}, headers=_signed("admin", "PUT", path))
    assert invalid.status == 400 and "role" in invalid.json["errors"]
    response = auth.client.put(path, json={"role": "admin"}, headers=_signed("admin", "PUT", path))
    assert response.status == 200
    assert response.json["role"] == "admin" and response.json["previous_role"] == "customer"
    missing = "/api/v1/auth/internal/users/00000000-0000-4000-8000-000000000000/role"
    assert auth.client.put(missing, json={"role": "admin"}, headers=_signed("admin", "PUT", missing)).status == 404


def test_get_user_for_any_platform_service(auth):
    user_id = auth.registered("lookup@example.com", name="Look Up", locale="de", currency="EUR")
    path = f"/api/v1/auth/internal/users/{user_id}"
    assert auth.client.get(path).status == 401
    response = auth.client.get(path, headers=_signed("users", "GET", path))
    assert response.status == 200
    assert response.json["email"] == "lookup@example.com" and response.json["role"] == "customer"
    assert response.json["locale"] == "de" and response.json["currency"] == "EUR"
    assert "password_hash" not in response.json
    unknown = "/api/v1/auth/internal/users/nope"
    assert auth.client.get(unknown, headers=_signed("users", "GET", unknown)).status == 404
