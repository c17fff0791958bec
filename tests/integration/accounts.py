"""Logging in through the gateway, for every integration test."""
from __future__ import annotations


def bearer(stack, email: str, password: str | None = None) -> dict[str, str]:
    """`Authorization` header of a fresh login (a seeded account's password when none is given)."""
    response = stack.session().post(f"{stack.base_url}/api/v1/auth/login", timeout=20,
                                    json={"email": email, "password": password or stack.credentials[email]})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
