"""The three seeded accounts: superadmin@example.com, admin@example.com, customer@example.com.

Their password is $SEED_PASSWORD when set, otherwise one generated per account, printed once
and kept in STATE_DIR/credentials (JSON {email: password}, mode 600, git-ignored).

Made as an operator would on a deployed stack: the super admin through the auth bootstrap
entry point `make create-admin` invokes (AuthBootstrapFunction, infra/harness/create_admin.py);
admin@ and customer@ register (POST /api/v1/auth/register), verify their e-mail with the token
of the verification e-mail (moto's SES keeps it), and the super admin gives admin@ its role
(PUT /api/v1/admin/users/{user_id}/role). Idempotent: an account that exists keeps its password
and gets its seeded role back; only missing accounts are created.
"""
from __future__ import annotations

import os
import secrets
from concurrent.futures import ThreadPoolExecutor

FUNCTION = "AuthFunction"

ACCOUNTS = (
    ("superadmin@example.com", "super_admin", "Super Admin"),
    ("admin@example.com", "admin", "Admin"),
    ("customer@example.com", "customer", "Demo Customer"),
)


def _super_admin(api, email: str, password: str, name: str) -> bool:
    """The stack's first super_admin, by the bootstrap entry point; True when this call created it."""
    from infra.harness import create_admin

    try:
        result = create_admin.create_admin(email, password, name=name, local=True, state_file=api.state_file)
        if result.get("error") == "email_taken":   # registered before the bootstrap existed: promote it
            result = create_admin.create_admin(email, password, name=name, local=True, promote_existing=True,
                                               state_file=api.state_file)
    except create_admin.CommandError as error:
        raise SystemExit(f"bootstrap of {email} failed: {error}") from None
    if result.get("error") not in (None, "super_admin_exists"):
        raise SystemExit(f"bootstrap of {email} refused: {result.get('message', result['error'])}")
    return "error" not in result and not result.get("promoted")


def _register(api, email: str, password: str, name: str) -> str | None:
    """Register and verify the e-mail; the new user id, or None when the e-mail is already registered."""
    answer = api.call("POST", "/api/v1/auth/register", json_body={"email": email, "password": password, "name": name})
    if answer.status == 409:
        return None
    api.expect(answer, 201, what=f"register {email}")
    token = api.verification_token(email)
    api.expect(api.call("POST", "/api/v1/auth/verify-email", json_body={"token": token}), 204,
               what=f"verify {email}")
    return answer.body["user_id"]


def _accounts(api, token: str) -> dict[str, dict]:
    """{email: account} of the seeded e-mails, as the admin API lists them."""
    found = {}
    for email, _, _ in ACCOUNTS:
        answer = api.expect(api.call("GET", "/api/v1/admin/users", token=token, params={"email": email}), 200,
                            what=f"look up {email}")
        found.update({a["email"]: a for a in answer.body["items"] if a["email"] == email})
    return found


def main(api=None) -> None:
    from infra.harness.seed_api import SeedApi, read_credentials, write_credentials

    api = api or SeedApi.from_state()
    from_env = os.environ.get("SEED_PASSWORD") or None
    path = api.credentials_path
    known = read_credentials(path)
    passwords = {email: from_env or known.get(email) or secrets.token_urlsafe(18) for email, _, _ in ACCOUNTS}
    created = []
    (super_email, _, super_name), *others = ACCOUNTS
    if _super_admin(api, super_email, passwords[super_email], super_name):
        created.append(super_email)
    with ThreadPoolExecutor(max_workers=len(others)) as pool:
        registered = list(pool.map(lambda account: _register(api, account[0], passwords[account[0]], account[2]),
                                   others))
    created += [email for (email, _, _), user_id in zip(others, registered, strict=True) if user_id]
    token = api.login(super_email, passwords[super_email])
    listed = _accounts(api, token)
    for email, role, _ in others:
        account = listed.get(email)
        if account is None:
            raise SystemExit(f"{email} is not listed by the admin API")
        if account["role"] != role:
            api.expect(api.call("PUT", f"/api/v1/admin/users/{account['user_id']}/role", token=token,
                                json_body={"role": role}), 200, what=f"role {role} for {email}")
    kept = [email for email, _, _ in ACCOUNTS if email not in created]
    for email in created:
        known[email] = passwords[email]
    for email in kept:
        if from_env and email not in known:
            known[email] = from_env  # best knowledge: it was seeded with the same variable
    write_credentials(path, known)
    for email in created:
        shown = "$SEED_PASSWORD" if from_env else known[email]
        print(f"created {email} / {shown}")
    if kept:
        print(f"kept existing accounts: {', '.join(kept)} (passwords unchanged)")
    print(f"credentials in {path}")
