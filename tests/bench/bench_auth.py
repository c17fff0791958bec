"""What authentication costs.

* access-token verification per request: meridian.auth.verify_access_token on a real token
  from the stack, keys from the stack's JWKS (cached, as every service has them);
  target ≤ 0.3 ms at p50;
* login p50 through the stack (internal port: the gateway's login rate limit would
  throttle a benchmark), next to a bare argon2id verification at the same parameters,
  which dominates it.
"""
from __future__ import annotations

import sys
import uuid
from pathlib import Path

from tests.bench.measure import env_int, p50, p99, timed
from tests.bench.report import REPORT, ms

VERIFICATIONS = env_int("BENCH_VERIFICATIONS", 5000)
LOGINS = env_int("BENCH_LOGINS", 30)
VERIFY_TARGET_MS = 0.3
PASSWORD = "benchmark passphrase 2024"


def _argon2_parameters():
    code = str(Path(__file__).resolve().parents[2] / "functions" / "auth")
    if code not in sys.path:
        sys.path.insert(0, code)
    from argon2 import PasswordHasher, Type
    from auth.passwords import PARAMETERS  # noqa: E402 - the service's own parameters

    hasher = PasswordHasher(time_cost=PARAMETERS["time_cost"], memory_cost=PARAMETERS["memory_cost_kib"],
                            parallelism=PARAMETERS["parallelism"], hash_len=PARAMETERS["hash_len"],
                            salt_len=PARAMETERS["salt_len"], type=Type.ID)
    return PARAMETERS, hasher


def run(stack) -> None:
    from meridian.auth import JwksKeySource, verify_access_token

    session = stack.session()
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    internal = stack.api_base_url
    register = session.post(f"{internal}/api/v1/auth/register", json={"email": email, "password": PASSWORD},
                            timeout=20)
    if register.status_code != 201:
        raise RuntimeError(f"register answered {register.status_code}: {register.text}")

    def login():
        response = session.post(f"{internal}/api/v1/auth/login", json={"email": email, "password": PASSWORD},
                                timeout=20)
        if response.status_code != 200:
            raise RuntimeError(f"login answered {response.status_code}: {response.text}")
        return response.json()["access_token"]

    token = login()
    source = JwksKeySource(f"{internal}/api/v1/auth/.well-known/jwks.json")
    source.use_static(session.get(f"{internal}/api/v1/auth/.well-known/jwks.json", timeout=10).json())
    verify = timed(lambda: verify_access_token(token, source=source), VERIFICATIONS, warm_up=200)
    REPORT.figure("auth", f"access-token verification p50 (n={VERIFICATIONS})", f"{p50(verify):.3f} ms",
                  target=f"≤ {VERIFY_TARGET_MS} ms", ok=p50(verify) <= VERIFY_TARGET_MS)

    logins = timed(login, LOGINS, warm_up=3)
    parameters, hasher = _argon2_parameters()
    stored = hasher.hash(PASSWORD)
    argon = timed(lambda: hasher.verify(stored, PASSWORD), LOGINS, warm_up=2)
    REPORT.figure("auth", f"login p50 / p99 (internal port, n={LOGINS})", f"{ms(p50(logins))} / {ms(p99(logins))}",
                  floor=f"argon2id verify {ms(p50(argon))} (m={parameters['memory_cost_kib']} KiB, "
                        f"t={parameters['time_cost']}, p={parameters['parallelism']})")
