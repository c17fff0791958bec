"""The three seeded accounts: superadmin@example.com, admin@example.com, customer@example.com.

Their password is $SEED_PASSWORD when set, otherwise one generated per account, printed once
and kept in STATE_DIR/credentials (JSON {email: password}, mode 600, git-ignored).
Idempotent: an account that exists keeps its password (and gets its seeded role back);
only missing accounts are created. Accounts are created through the auth service's own
entry points: the super_admin by the bootstrap (auth/bootstrap.py, as `make create-admin` does),
the others by registration, then given their role.
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

FUNCTION = "AuthFunction"

ACCOUNTS = (
    ("superadmin@example.com", "super_admin", "Super Admin"),
    ("admin@example.com", "admin", "Admin"),
    ("customer@example.com", "customer", "Demo Customer"),
)


def _state_dir() -> Path:
    try:
        from infra.config import STATE_DIR
    except ImportError:  # run outside the repository root
        return Path(os.environ.get("MERIDIAN_STATE_DIR", ".local"))
    return STATE_DIR


def _read(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def _write(path: Path, credentials: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(credentials, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.chmod(path, 0o600)


def main() -> None:
    from auth import accounts, bootstrap, directory, passwords
    from auth.models import EmailClaim

    from_env = os.environ.get("SEED_PASSWORD") or None
    if from_env and passwords.policy_problems(from_env):
        raise SystemExit(f"SEED_PASSWORD is not acceptable: {' '.join(passwords.policy_problems(from_env))}")
    path = _state_dir() / "credentials"
    known = _read(path)
    created, kept = [], []
    for email, role, name in ACCOUNTS:
        try:
            user_id = EmailClaim.get(*EmailClaim.key(accounts.email_key(email))).user_id
        except EmailClaim.DoesNotExist:
            password = from_env or known.get(email) or secrets.token_urlsafe(18)
            if role == "super_admin":
                made = bootstrap.create_first_super_admin({"email": email, "password": password, "name": name})
                if "error" in made:
                    raise SystemExit(f"could not create {email}: {made['message']}") from None
            else:
                directory.set_role(accounts.register(email, password, name=name).user_id, role)
            known[email] = password
            created.append(email)
            continue
        if directory.get_account(user_id).role != role:
            directory.set_role(user_id, role)
        kept.append(email)
        if from_env and email not in known:
            known[email] = from_env  # best knowledge: it was seeded with the same variable
    _write(path, known)
    for email in created:
        shown = "$SEED_PASSWORD" if from_env else known[email]
        print(f"created {email} / {shown}")
    if kept:
        print(f"kept existing accounts: {', '.join(kept)} (passwords unchanged)")
    print(f"credentials in {path}")
