"""Day one: `make create-admin LOCAL=1` makes the stack's first super_admin, who logs in through the gateway.

The command's own code path (infra.harness.create_admin.main) invokes the local runtime's worker of
AuthBootstrapFunction through boto3's Lambda client, as it invokes the deployed function on AWS.
"""
from __future__ import annotations

import json
import uuid

from infra.harness import create_admin
from tests.integration.accounts import bearer


def run_command(stack, monkeypatch, capsys, email: str, password: str, *extra: str) -> tuple[int, dict, str]:
    monkeypatch.setenv("ADMIN_PASSWORD", password)
    status = create_admin.main(["--email", email, "--local", "--state-file", str(stack.state_dir / "stack.json"),
                                *extra])
    out = capsys.readouterr()
    assert password not in out.out + out.err
    return status, json.loads(out.out) if out.out.strip() else {}, out.err


def test_first_super_admin_logs_in_and_uses_the_admin_api(stack, monkeypatch, capsys):
    email, password = f"day-one-{uuid.uuid4().hex[:8]}@example.com", f"day one passphrase {uuid.uuid4().hex[:6]}"
    status, result, err = run_command(stack, monkeypatch, capsys, email, password, "--name", "Day One")
    assert status == 0, err
    assert result["email"] == email and result["role"] == "super_admin"

    api, session = stack.base_url, stack.session()
    boss = bearer(stack, email, password)
    users = session.get(f"{api}/api/v1/admin/users", headers=boss, params={"limit": "100"}, timeout=15)
    assert users.status_code == 200, users.text
    assert users.json()["items"]

    # what only a super_admin may do: make someone an admin
    customer = f"day-one-staff-{uuid.uuid4().hex[:8]}@example.com"
    registered = session.post(f"{api}/api/v1/auth/register", json={"email": customer, "password": password},
                              timeout=15)
    assert registered.status_code == 201, registered.text
    granted = session.put(f"{api}/api/v1/admin/users/{registered.json()['user_id']}/role", headers=boss,
                          json={"role": "admin"}, timeout=15)
    assert granted.status_code == 200, granted.text

    # once per stack: a second run is refused and the command fails
    status, again, err = run_command(stack, monkeypatch, capsys, f"x-{email}", password)
    assert status == 1 and again["error"] == "super_admin_exists", err
    assert session.post(f"{api}/api/v1/auth/login", json={"email": f"x-{email}", "password": password},
                        timeout=15).status_code == 401
