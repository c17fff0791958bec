"""Day one: the stack's first super_admin is made by the bootstrap `make create-admin` runs (the seeds
make superadmin@example.com with it: infra.harness.create_admin invokes the local runtime's worker of
AuthBootstrapFunction through boto3's Lambda client, as it invokes the deployed function on AWS); they
log in through the gateway and run the shop; `make create-admin` never makes a second one.
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


FIRST = "superadmin@example.com"


def test_first_super_admin_logs_in_and_uses_the_admin_api(stack, monkeypatch, capsys):
    email, password = FIRST, stack.credentials[FIRST]
    api, session = stack.base_url, stack.session()
    boss = bearer(stack, email, password)
    me = session.get(f"{api}/api/v1/admin/users", headers=boss, params={"email": email}, timeout=15)
    assert me.status_code == 200 and me.json()["items"][0]["role"] == "super_admin", me.text
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
    other = f"day-one-{uuid.uuid4().hex[:8]}@example.com"
    status, again, err = run_command(stack, monkeypatch, capsys, other, password)
    assert status == 1 and again["error"] == "super_admin_exists", err
    assert session.post(f"{api}/api/v1/auth/login", json={"email": other, "password": password},
                        timeout=15).status_code == 401
